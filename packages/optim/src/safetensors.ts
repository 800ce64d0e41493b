import { type Tensor, tensor } from '@openeurollm/tensor';
import { formatShape } from './check.js';
import {
  OPTIMIZER_STATE_FORMAT,
  type OptimizerMeta,
  type OptimizerStateDict,
} from './optimizer.js';

/** The `__metadata__` key that holds the optimizer's meta as a JSON string. */
export const META_KEY = 'oellm.optimizer';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkHost(where: string): void {
  if (!LITTLE_ENDIAN) throw new Error(`${where}: safetensors I/O needs a little-endian host`);
}

/**
 * Encodes an optimizer state dict as one safetensors file: each state tensor as `F32` under its
 * flat name, and the meta as a JSON string under `__metadata__['oellm.optimizer']` (beside
 * `format: 'oellm-optim-state'`), in the layout of the safetensors specification.
 */
export function optimizerStateToSafetensors(sd: OptimizerStateDict): Uint8Array {
  const where = 'optimizerStateToSafetensors';
  checkHost(where);
  const names = Object.keys(sd.state).sort();
  const header: Record<string, unknown> = {
    __metadata__: { format: OPTIMIZER_STATE_FORMAT, [META_KEY]: JSON.stringify(sd.meta) },
  };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t: Tensor = sd.state[name];
    if (t.dtype !== 'float32') {
      throw new Error(`${where}: state tensor '${name}' is ${t.dtype}, expected float32`);
    }
    const data = t.data() as Float32Array;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = {
      dtype: 'F32',
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes.length],
    };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // pad with spaces so the data starts 8-byte aligned, as the reference writer does
  json += ' '.repeat((8 - ((new TextEncoder().encode(json).length + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export interface ReadOptimizerStateOptions {
  /** Backend for the state tensors; default the active one (`loadStateDict` moves them anyway). */
  backend?: string;
}

/** Decodes a file written by `optimizerStateToSafetensors` into a state dict for `loadStateDict`. */
export function optimizerStateFromSafetensors(
  bytes: Uint8Array,
  options: ReadOptimizerStateOptions = {},
): OptimizerStateDict {
  const where = 'optimizerStateFromSafetensors';
  checkHost(where);
  const fail = (what: string): never => {
    throw new Error(
      `${where}: ${what}; expected a safetensors file written by optimizerStateToSafetensors (or saveOptimizerState) from optimizer.stateDict()`,
    );
  };
  if (bytes.length < 8) fail(`the data has ${bytes.length} bytes, too short for a header`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    fail(`the header length ${n} is beyond the ${bytes.length} bytes of data`);
  }
  const start = 8 + Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, start)));
  } catch (e) {
    return fail(`the header is not JSON (${(e as Error).message})`);
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const metaJson = metadata[META_KEY];
  if (typeof metaJson !== 'string') {
    fail(`no '${META_KEY}' entry in __metadata__ (found ${JSON.stringify(Object.keys(metadata))})`);
  }
  const meta = JSON.parse(metaJson) as OptimizerMeta;
  const state: Record<string, Tensor> = {};
  const dataLength = bytes.length - start;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = entry as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    if (dtype !== 'F32') fail(`tensor '${name}' has dtype ${dtype}, expected F32`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (
      !Array.isArray(offsets) ||
      offsets[0] < 0 ||
      offsets[1] > dataLength ||
      offsets[1] - offsets[0] !== size * 4
    ) {
      fail(
        `tensor '${name}' of shape ${formatShape(shape)} has data offsets ${JSON.stringify(offsets)}, which do not fit ${size * 4} bytes within ${dataLength}`,
      );
    }
    // copy into a fresh buffer: the bytes may not be 4-byte aligned (and a Node Buffer's
    // slice() would be a view into a shared pool)
    const values = new Float32Array(size);
    new Uint8Array(values.buffer).set(bytes.subarray(start + offsets[0], start + offsets[1]));
    state[name] = tensor(values, { shape, backend: options.backend });
  }
  return { state, meta };
}
