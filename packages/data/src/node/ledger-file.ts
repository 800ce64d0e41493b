/**
 * The ledger on disk: JSON lines appended beside the output. During a run its records go to a
 * temporary file; when the run ends they are appended to the ledger in one write and the
 * temporary file is removed, so the ledger never holds half a run (a failed run leaves nothing,
 * like its outputs).
 */
import {
  appendFileSync,
  createWriteStream,
  existsSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import { LEDGER_FORMAT, LEDGER_VERSION, Ledger } from '../ledger.js';

/** Reads a ledger file (see Ledger.fromJSONL for `runs`). */
export function readLedger(path: string, options: { runs?: 'all' | 'last' } = {}): Ledger {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(
      `readLedger: cannot read '${path}' (a ledger is written beside the output of packIndexedDataset as <outPrefix>.ledger.jsonl)`,
    );
  }
  return Ledger.fromJSONL(text, { ...options, what: path });
}

/** Writes a whole in-memory ledger to a file (through a temporary name). */
export function writeLedger(ledger: Ledger, path: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const ws = ledger.toJSONL();
  appendFileSync(tmp, ws);
  renameSync(tmp, path);
}

/** Streams a run's records to a temporary file; `commit` appends them to the ledger file. */
export class LedgerFileSink {
  readonly path: string;
  private readonly tmp: string;
  private readonly stream: WriteStream;
  private failed: Error | null = null;

  constructor(path: string) {
    this.path = path;
    this.tmp = `${path}.partial-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
    this.stream = createWriteStream(this.tmp);
    this.stream.on('error', (e) => {
      this.failed = e;
    });
  }

  /** The function to set as `ledger.sink`. */
  readonly write = (record: Record<string, unknown>): void => {
    this.stream.write(`${JSON.stringify(record)}\n`);
  };

  private async close(): Promise<void> {
    await new Promise<void>((res, rej) =>
      this.stream.end((e?: Error | null) => (e ? rej(e) : res())),
    );
    if (this.failed) throw this.failed;
  }

  /** Appends the run to the ledger file (writing its header first when the file is new). */
  async commit(): Promise<void> {
    await this.close();
    const body = readFileSync(this.tmp);
    const isNew = !existsSync(this.path) || statSync(this.path).size === 0;
    const header = isNew
      ? `${JSON.stringify({ type: 'header', format: LEDGER_FORMAT, version: LEDGER_VERSION })}\n`
      : '';
    appendFileSync(this.path, Buffer.concat([Buffer.from(header), body]));
    rmSync(this.tmp, { force: true });
  }

  /** Drops the run's records. */
  async discard(): Promise<void> {
    try {
      await this.close();
    } catch {
      // the records are dropped anyway
    }
    rmSync(this.tmp, { force: true });
  }
}
