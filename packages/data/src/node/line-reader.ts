/**
 * Lines of a text file, plain or gzip (detected by its magic bytes), as UTF-8 strings with
 * their line numbers, streaming. A line that is not valid UTF-8 and a gzip stream that ends
 * early or is corrupt are reported, with file and line, instead of thrown, so the caller can
 * count them and go on.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

export type LineItem =
  | { kind: 'line'; line: number; text: string; bytes: number }
  | { kind: 'invalid-utf8'; line: number; bytes: number }
  | { kind: 'gzip-error'; line: number; message: string }
  | { kind: 'empty-file' };

/** True when the file starts with the gzip magic bytes. */
export async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function decodeLine(buf: Buffer, line: number): LineItem {
  // a trailing \r (Windows line ends) is not part of the line
  const end = buf.length > 0 && buf[buf.length - 1] === 0x0d ? buf.length - 1 : buf.length;
  try {
    return {
      kind: 'line',
      line,
      text: decoder.decode(buf.subarray(0, end)),
      bytes: buf.length + 1,
    };
  } catch {
    return { kind: 'invalid-utf8', line, bytes: buf.length + 1 };
  }
}

/** Streams the lines of a file (gunzipping it when it is gzip). */
export async function* readLines(path: string): AsyncIterable<LineItem> {
  const gz = await isGzip(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = gz ? raw.pipe(createGunzip()) : raw;
  if (gz) raw.on('error', (e) => stream.destroy(e));
  let carry: Buffer | null = null;
  let line = 0;
  let sawBytes = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (chunk.length > 0) sawBytes = true;
      let start = 0;
      let nl = chunk.indexOf(0x0a, start);
      while (nl >= 0) {
        const piece: Buffer = carry
          ? Buffer.concat([carry, chunk.subarray(start, nl)])
          : chunk.subarray(start, nl);
        carry = null;
        line++;
        yield decodeLine(piece, line);
        start = nl + 1;
        nl = chunk.indexOf(0x0a, start);
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        carry = carry ? Buffer.concat([carry, rest]) : Buffer.from(rest);
      }
    }
  } catch (err) {
    if (!gz) throw err;
    // truncated or corrupt gzip: what came before stands; the partial last line does not
    yield {
      kind: 'gzip-error',
      line: line + 1,
      message: err instanceof Error ? err.message : String(err),
    };
    raw.destroy();
    return;
  }
  if (carry && carry.length > 0) {
    line++;
    yield decodeLine(carry, line);
  }
  if (!sawBytes) yield { kind: 'empty-file' };
}
