/**
 * The safetensors format (Hugging Face), browser-safe: parse, validate, convert to tensors,
 * serialize.
 *
 * Layout of a file:
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  UTF-8 JSON: { name: { dtype, shape, data_offsets: [begin, end] }, ...,
 *                            "__metadata__": { key: string value } }  (may end in spaces)
 *   [rest]     the byte buffer; offsets are relative to its start; tensors are row-major,
 *              little-endian, and together cover the buffer exactly (no holes, no overlaps)
 *
 * Reading validates all of this and names the tensor and the field that is wrong. Writing
 * follows the reference writer: tensors sorted by dtype (widest first) then by name, so every
 * tensor's bytes are aligned to its element size, and the header padded with spaces to a
 * multiple of 8 bytes.
 */
import { type Tensor, tensor } from '@openeurollm/tensor';

/** Element types of the format (the dtype strings of the header). */
export type SafetensorsDType =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'F64'
  | 'I64'
  | 'U64';

/**
 * Every dtype with its size in bytes, in the order of the reference implementation's enum
 * (the writer sorts by this order, last first).
 */
export const SAFETENSORS_DTYPE_SIZES: Readonly<Record<SafetensorsDType, number>> = Object.freeze({
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
});

export const SAFETENSORS_DTYPES = Object.freeze(
  Object.keys(SAFETENSORS_DTYPE_SIZES) as SafetensorsDType[],
);

const DTYPE_RANK = new Map<string, number>(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

/** The reference reader refuses headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

/** The metadata key of the header; no tensor may have this name. */
const METADATA_KEY = '__metadata__';

/** A tensor as stored: dtype, shape and its raw little-endian bytes. */
export interface SafetensorsRaw {
  dtype: SafetensorsDType;
  shape: readonly number[];
  /** Row-major little-endian elements; `numel(shape) * itemsize` bytes. */
  bytes: Uint8Array;
}

/** A tensor of a parsed file; `bytes` is a view into the file's bytes, not a copy. */
export interface SafetensorsEntry extends SafetensorsRaw {
  name: string;
  /** [begin, end) in the byte buffer (after the header), as written in the header. */
  dataOffsets: readonly [number, number];
}

export interface SafetensorsFile {
  /** The tensors in the order of their bytes in the file. */
  tensors: Map<string, SafetensorsEntry>;
  /** `__metadata__` of the header; empty when there is none. */
  metadata: Record<string, string>;
  /** N: the length of the JSON header in bytes (padding included). */
  headerLength: number;
}

export interface ToTensorOptions {
  /** Backend to create tensors on; default the active backend. */
  backend?: string;
}

/** Tensors to serialize: our tensors, or raw entries written as they are (any dtype). */
export type SafetensorsInput =
  | Record<string, Tensor | SafetensorsRaw>
  | Map<string, Tensor | SafetensorsRaw>;

export interface SerializeOptions {
  /** Free-form `__metadata__` (string values only). HF checkpoints want `format: 'pt'`. */
  metadata?: Record<string, string>;
  /**
   * How float32 tensors are stored: 'F32' (default, exact), 'F16' or 'BF16' (rounded to
   * nearest, ties to even; F16 overflows to infinity above 65504). int32 tensors are I32.
   */
  dtype?: 'F32' | 'F16' | 'BF16';
}

// ---------------------------------------------------------------------------------------------
// host byte order

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Reverses the bytes of each `size`-byte element in place (big-endian hosts only). */
function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

interface TypedCtor<T> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  BYTES_PER_ELEMENT: number;
}

/** The elements of little-endian `bytes` as a host typed array (a view when it can be). */
function hostArray<T>(bytes: Uint8Array, Ctor: TypedCtor<T>): T {
  const size = Ctor.BYTES_PER_ELEMENT;
  const n = bytes.length / size;
  if (LITTLE_ENDIAN && bytes.byteOffset % size === 0) {
    return new Ctor(bytes.buffer, bytes.byteOffset, n);
  }
  const copy = bytes.slice();
  if (!LITTLE_ENDIAN) swapBytes(copy, size);
  return new Ctor(copy.buffer, 0, n);
}

/** The bytes of a host typed array in little-endian order (a view on little-endian hosts). */
function littleEndianBytes(a: ArrayBufferView & { BYTES_PER_ELEMENT: number }): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN || a.BYTES_PER_ELEMENT === 1) return bytes;
  const copy = bytes.slice();
  swapBytes(copy, a.BYTES_PER_ELEMENT);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// float16 / bfloat16 / float8 <-> float32

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a float32 value, rounded to nearest, ties to even. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    // Infinity keeps its sign; NaN stays a quiet NaN with the top payload bits.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const e = exp - 127 + 15; // the binary16 biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    // A binary16 subnormal (or zero): value = m * 2^-24 with m = (1.mant) >> (14 - e).
    if (e < -10) return sign; // below half the smallest subnormal: zero
    const m = mant | 0x800000;
    const shift = 14 - e; // 14..24
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && (h & 1) === 1)) h++;
    return sign | h; // a carry into bit 10 correctly makes the smallest normal
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry may reach infinity
  return sign | h;
}

let f16Table: Float32Array | null = null;

/** float32 value of every binary16 bit pattern (built on first use, 256 KB). */
function float16Table(): Float32Array {
  if (f16Table) return f16Table;
  const bits = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) {
      // zero or subnormal: mant * 2^-24, exact in float32
      f32[0] = mant * 2 ** -24;
      bits[h] = sign | u32[0];
    } else if (exp === 0x1f) {
      bits[h] = sign | 0x7f800000 | (mant << 13); // infinity or NaN (payload kept)
    } else {
      bits[h] = sign | ((exp + 112) << 23) | (mant << 13);
    }
  }
  f16Table = new Float32Array(bits.buffer);
  return f16Table;
}

/** The float32 value of binary16 bits. */
export function float16BitsToFloat32(bits: number): number {
  return float16Table()[bits & 0xffff];
}

/** bfloat16 bits of a float32 value, rounded to nearest, ties to even. */
export function float32ToBFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
    return ((x >>> 16) & 0x8000) | 0x7fc0 | ((x >>> 16) & 0x3f); // NaN stays a quiet NaN
  }
  // Adding 0x7fff plus the lowest kept bit rounds to nearest with ties to even; a carry out of
  // the mantissa moves to the next binade, or to infinity, as it should.
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The float32 value of bfloat16 bits. */
export function bfloat16BitsToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** Table of the 256 values of an 8-bit float with `e` exponent and `m` mantissa bits. */
function float8Table(e: number, m: number, fn: boolean): Float32Array {
  const out = new Float32Array(256);
  const bias = (1 << (e - 1)) - 1;
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const exp = (b >>> m) & ((1 << e) - 1);
    const mant = b & ((1 << m) - 1);
    const maxExp = (1 << e) - 1;
    let v: number;
    if (fn) {
      // E4M3 "FN": no infinities; only S.1111.111 is NaN, the top binade holds normal values.
      if (exp === maxExp && mant === (1 << m) - 1) v = Number.NaN;
      else if (exp === 0) v = sign * mant * 2 ** (1 - bias - m);
      else v = sign * (1 + mant / (1 << m)) * 2 ** (exp - bias);
    } else if (exp === maxExp) {
      v = mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN; // IEEE-like (E5M2)
    } else if (exp === 0) {
      v = sign * mant * 2 ** (1 - bias - m);
    } else {
      v = sign * (1 + mant / (1 << m)) * 2 ** (exp - bias);
    }
    out[b] = v;
  }
  return out;
}

let f8Tables: { e4m3: Float32Array; e5m2: Float32Array } | null = null;

/** Converts a float32 array to binary16 bits. */
export function toFloat16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

/** Converts binary16 bits to float32. */
export function fromFloat16Bits(bits: ArrayLike<number>): Float32Array {
  const table = float16Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] & 0xffff];
  return out;
}

/** Converts a float32 array to bfloat16 bits. */
export function toBFloat16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToBFloat16Bits(values[i]);
  return out;
}

/** Converts bfloat16 bits to float32. */
export function fromBFloat16Bits(bits: ArrayLike<number>): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = (bits[i] & 0xffff) << 16;
  return new Float32Array(out.buffer);
}

// ---------------------------------------------------------------------------------------------
// parsing

function fail(message: string): never {
  throw new Error(`parseSafetensors: ${message}`);
}

/** A short description of an untrusted JSON value, safe for deep or huge values. */
function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array ${preview(x)}`;
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'string') return `the string ${truncate(JSON.stringify(x))}`;
  return `${typeof x} ${String(x)}`;
}

/** `[1,2,[...],{...}]`: the first items of an array, one level deep. */
function preview(a: readonly unknown[]): string {
  const items = a.slice(0, 8).map((x) => {
    if (Array.isArray(x)) return '[...]';
    if (typeof x === 'object' && x !== null) return '{...}';
    return typeof x === 'string' ? truncate(JSON.stringify(x), 20) : String(x);
  });
  return `[${items.join(',')}${a.length > 8 ? ',...' : ''}]`;
}

function truncate(s: string, max = 60): string {
  return s.length <= max ? s : `${s.slice(0, max)}...`;
}

const quote = (name: string) => truncate(JSON.stringify(name), 200);

/**
 * The first key repeated within one JSON object of `text` (which must be valid JSON), with the
 * path of keys to that object; null when there is none. `JSON.parse` keeps the last of
 * repeated keys silently, and the format forbids them.
 */
function findDuplicateKey(text: string): { key: string; path: string[] } | null {
  interface Frame {
    keys: Set<string> | null; // null for arrays
    name: string;
    expectKey: boolean;
    lastKey: string;
  }
  const stack: Frame[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: find its closing quote (one not escaped by an odd run of backslashes)
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return null; // cannot happen for valid JSON
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j++;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, j);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.keys.has(key)) return { key, path: stack.slice(1).map((f) => f.name) };
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      const parent = stack[stack.length - 1];
      stack.push({
        keys: c === 0x7b ? new Set() : null,
        name: parent?.keys ? parent.lastKey : '[]',
        expectKey: c === 0x7b,
        lastKey: '',
      });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
    i++;
  }
  return null;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

type Fail = (message: string) => never;

function checkShape(where: string, shape: unknown, fail: Fail): number[] {
  if (!Array.isArray(shape)) fail(`${where}: shape must be an array, got ${describe(shape)}`);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      fail(
        `${where}: shape ${preview(shape)} must hold non-negative integers, dimension ${i} is ${describe(d)}`,
      );
    }
  }
  return shape.slice() as number[];
}

/** numel(shape) * itemsize, or an error when it is not a safe integer. */
function byteSize(where: string, shape: readonly number[], itemsize: number, fail: Fail): number {
  let n = itemsize;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n)) {
    fail(`${where}: shape ${preview(shape)} is too large (more than 2^53 bytes)`);
  }
  return n;
}

function checkDType(where: string, dtype: unknown, fail: Fail): SafetensorsDType {
  if (typeof dtype !== 'string' || !DTYPE_RANK.has(dtype)) {
    fail(
      `${where}: unknown or unsupported dtype ${describe(dtype)} (expected one of ${SAFETENSORS_DTYPES.join(', ')})`,
    );
  }
  return dtype as SafetensorsDType;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and validates a safetensors file. The entries' bytes are views into `bytes` (no copy);
 * every error is an `Error` whose message starts with `parseSafetensors:` and names the tensor
 * and field at fault.
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) {
    fail(`expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length < 8) {
    fail(`the file is ${bytes.length} bytes, too short for the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  const available = bytes.length - 8;
  if (n64 > BigInt(available)) {
    fail(
      `the header length is ${n64} bytes but only ${available} bytes follow it (is this a safetensors file?)`,
    );
  }
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES)
    fail(`the header is ${n} bytes, above the limit of ${MAX_HEADER_BYTES}`);
  if (n < 2) fail(`the header length is ${n} bytes, too short for a JSON object`);

  let text: string;
  try {
    text = utf8.decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message}): ${truncate(text)}`);
  }
  if (!isPlainObject(header)) fail(`the header must be a JSON object, got ${describe(header)}`);
  const dup = findDuplicateKey(text);
  if (dup) {
    const where = dup.path.length ? ` in ${dup.path.map(quote).join(' > ')}` : '';
    fail(`the header repeats the key ${quote(dup.key)}${where}`);
  }

  const bufferStart = 8 + n;
  const bufferLength = bytes.length - bufferStart;
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const name of Object.keys(header)) {
    const info = header[name];
    if (name === METADATA_KEY) {
      if (info === null) continue;
      if (!isPlainObject(info)) fail(`__metadata__ must be an object, got ${describe(info)}`);
      const meta: Record<string, string> = Object.create(null);
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') {
          fail(`__metadata__ value of ${quote(k)} must be a string, got ${describe(v)}`);
        }
        meta[k] = v;
      }
      metadata = meta;
      continue;
    }
    const where = `tensor ${quote(name)}`;
    if (!isPlainObject(info)) {
      fail(`${where}: expected {dtype, shape, data_offsets}, got ${describe(info)}`);
    }
    for (const field of ['dtype', 'shape', 'data_offsets']) {
      if (!(field in info)) fail(`${where}: missing field '${field}'`);
    }
    const dtype = checkDType(where, info.dtype, fail);
    const shape = checkShape(where, info.shape, fail);
    const offsets = info.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      fail(
        `${where}: data_offsets must be [begin, end] with integers 0 <= begin <= end, got ${describe(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const size = byteSize(where, shape, SAFETENSORS_DTYPE_SIZES[dtype], fail);
    if (end - begin !== size) {
      fail(
        `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} ${preview(shape)} needs ${size}`,
      );
    }
    if (end > bufferLength) {
      fail(
        `${where}: data_offsets [${begin}, ${end}] run past the end of the byte buffer (${bufferLength} bytes)`,
      );
    }
    entries.push({
      name,
      dtype,
      shape: Object.freeze(shape),
      dataOffsets: Object.freeze([begin, end] as [number, number]),
      bytes: bytes.subarray(bufferStart + begin, bufferStart + end),
    });
  }

  // The tensors must tile the buffer exactly: sorted by offsets, each starts where the last ended.
  entries.sort(
    (a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let pos = 0;
  let previous: SafetensorsEntry | null = null;
  for (const e of entries) {
    const [begin, end] = e.dataOffsets;
    if (begin < pos) {
      fail(
        `tensor ${quote(e.name)}: data_offsets [${begin}, ${end}] overlap tensor ${quote(previous!.name)} [${previous!.dataOffsets[0]}, ${previous!.dataOffsets[1]}]`,
      );
    }
    if (begin > pos) {
      fail(
        `bytes [${pos}, ${begin}) of the byte buffer belong to no tensor (a hole before tensor ${quote(e.name)})`,
      );
    }
    pos = end;
    previous = e;
  }
  if (pos !== bufferLength) {
    fail(
      `bytes [${pos}, ${bufferLength}) at the end of the byte buffer belong to no tensor (the file has ${bufferLength - pos} extra bytes)`,
    );
  }
  const tensors = new Map<string, SafetensorsEntry>();
  for (const e of entries) tensors.set(e.name, e);
  return { tensors, metadata, headerLength: n };
}

// ---------------------------------------------------------------------------------------------
// entries -> tensors

const INT32_MAX = 2147483647;

function toInt32(
  where: string,
  values: ArrayLike<number | bigint>,
  min: number | bigint,
  max: number | bigint,
  what: string,
): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min || v > max) {
      throw new Error(
        `entryToTensor: ${where}: element ${i} is ${v}, outside ${what}; convert the tensor before saving it`,
      );
    }
    out[i] = Number(v);
  }
  return out;
}

/**
 * A tensor from a stored entry: F32 as is; F16, BF16, F64 and the float8 types as float32;
 * I32 as int32; the other integer types and BOOL as int32 when every value fits (an error
 * names the first that does not). The data is copied: the tensor does not keep the file alive.
 */
export function entryToTensor(
  entry: SafetensorsRaw & { name?: string },
  options: ToTensorOptions = {},
): Tensor {
  const where = `tensor ${quote(entry?.name ?? '(unnamed)')}`;
  const fail: Fail = (message) => {
    throw new Error(`entryToTensor: ${message}`);
  };
  if (!entry || typeof entry !== 'object' || !(entry.bytes instanceof Uint8Array)) {
    fail(`${where}: expected {dtype, shape, bytes: Uint8Array}, got ${describe(entry)}`);
  }
  const dtype = checkDType(where, entry.dtype, fail);
  const shape = checkShape(where, entry.shape, fail);
  const size = byteSize(where, shape, SAFETENSORS_DTYPE_SIZES[dtype], fail);
  const b = entry.bytes;
  if (b.length !== size) {
    fail(`${where}: ${dtype} ${preview(shape)} needs ${size} bytes, got ${b.length}`);
  }
  const values = decode(where, dtype, b);
  return tensor(values, {
    shape,
    backend: options.backend,
    dtype: values instanceof Int32Array ? 'int32' : 'float32',
  });
}

/** The elements of `b` as float32 or int32 host values. */
function decode(where: string, dtype: SafetensorsDType, b: Uint8Array): Float32Array | Int32Array {
  const int32 = 'the int32 range';
  switch (dtype) {
    case 'F32':
      return hostArray(b, Float32Array);
    case 'F64':
      return Float32Array.from(hostArray(b, Float64Array)); // rounds to nearest; overflows to inf
    case 'F16':
      return fromFloat16Bits(hostArray(b, Uint16Array));
    case 'BF16':
      return fromBFloat16Bits(hostArray(b, Uint16Array));
    case 'F8_E4M3':
    case 'F8_E5M2': {
      f8Tables ??= { e4m3: float8Table(4, 3, true), e5m2: float8Table(5, 2, false) };
      const table = dtype === 'F8_E4M3' ? f8Tables.e4m3 : f8Tables.e5m2;
      return Float32Array.from(b, (x) => table[x]);
    }
    case 'I32':
      return hostArray(b, Int32Array);
    case 'I64':
      return toInt32(where, hostArray(b, BigInt64Array), -(2n ** 31n), 2n ** 31n - 1n, int32);
    case 'U64':
      return toInt32(where, hostArray(b, BigUint64Array), 0n, 2n ** 31n - 1n, int32);
    case 'U32':
      return toInt32(where, hostArray(b, Uint32Array), 0, INT32_MAX, int32);
    case 'I16':
      return Int32Array.from(hostArray(b, Int16Array));
    case 'U16':
      return Int32Array.from(hostArray(b, Uint16Array));
    case 'I8':
      return Int32Array.from(hostArray(b, Int8Array));
    case 'U8':
      return Int32Array.from(b);
    case 'BOOL':
      return toInt32(where, b, 0, 1, 'the BOOL values 0 and 1');
    default: {
      const never: never = dtype;
      throw new Error(`entryToTensor: ${where}: unhandled dtype ${String(never)}`);
    }
  }
}

/** Parses a safetensors file and converts every tensor (see `entryToTensor`). */
export function loadTensors(
  bytes: Uint8Array,
  options: ToTensorOptions = {},
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, entry] of parseSafetensors(bytes).tensors) {
    Object.defineProperty(out, name, {
      value: entryToTensor(entry, options),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// serializing

function serializeFail(message: string): never {
  throw new Error(`serializeSafetensors: ${message}`);
}

function isRaw(x: unknown): x is SafetensorsRaw {
  return typeof x === 'object' && x !== null && 'bytes' in x;
}

function isTensorLike(x: unknown): x is Tensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Tensor).data === 'function' &&
    ((x as Tensor).dtype === 'float32' || (x as Tensor).dtype === 'int32') &&
    Array.isArray((x as Tensor).shape)
  );
}

interface Planned {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  size: number;
  source: Tensor | SafetensorsRaw;
}

/**
 * Serializes tensors to the bytes of a safetensors file. float32 tensors are stored as
 * `options.dtype` (F32 by default), int32 tensors as I32, raw entries as they are. Tensors are
 * sorted like the reference writer (by dtype, widest first, then by name); the header is padded
 * with spaces to a multiple of 8 bytes so every tensor is aligned to its element size.
 */
export function serializeSafetensors(
  tensors: SafetensorsInput,
  options: SerializeOptions = {},
): Uint8Array {
  const floatDType = options.dtype ?? 'F32';
  if (floatDType !== 'F32' && floatDType !== 'F16' && floatDType !== 'BF16') {
    serializeFail(`options.dtype must be 'F32', 'F16' or 'BF16', got ${describe(floatDType)}`);
  }
  const items =
    tensors instanceof Map
      ? [...tensors.entries()]
      : isPlainObject(tensors)
        ? Object.entries(tensors)
        : serializeFail(`expected a Record or a Map of tensors, got ${describe(tensors)}`);

  const planned: Planned[] = [];
  for (const [name, value] of items) {
    if (typeof name !== 'string')
      serializeFail(`tensor names must be strings, got ${describe(name)}`);
    if (name === METADATA_KEY)
      serializeFail(`'${METADATA_KEY}' is reserved and cannot name a tensor`);
    const where = `tensor ${quote(name)}`;
    if (isRaw(value)) {
      const dtype = checkDType(where, value.dtype, serializeFail);
      if (!(value.bytes instanceof Uint8Array)) {
        serializeFail(`${where}: bytes must be a Uint8Array, got ${describe(value.bytes)}`);
      }
      const shape = checkShape(where, value.shape, serializeFail);
      const size = byteSize(where, shape, SAFETENSORS_DTYPE_SIZES[dtype], serializeFail);
      if (value.bytes.length !== size) {
        serializeFail(
          `${where}: ${value.dtype} ${preview(shape)} needs ${size} bytes, got ${value.bytes.length}`,
        );
      }
      planned.push({ name, dtype, shape, size, source: value });
    } else if (isTensorLike(value)) {
      const dtype: SafetensorsDType = value.dtype === 'int32' ? 'I32' : floatDType;
      const shape = value.shape.slice();
      planned.push({
        name,
        dtype,
        shape,
        size: byteSize(where, shape, SAFETENSORS_DTYPE_SIZES[dtype], serializeFail),
        source: value,
      });
    } else {
      serializeFail(`${where}: expected a Tensor or {dtype, shape, bytes}, got ${describe(value)}`);
    }
  }
  planned.sort(
    (a, b) =>
      DTYPE_RANK.get(b.dtype)! - DTYPE_RANK.get(a.dtype)! ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );

  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined) {
    if (!isPlainObject(options.metadata)) {
      serializeFail(
        `options.metadata must be an object of strings, got ${describe(options.metadata)}`,
      );
    }
    for (const [k, v] of Object.entries(options.metadata)) {
      if (typeof v !== 'string') {
        serializeFail(`options.metadata value of ${quote(k)} must be a string, got ${describe(v)}`);
      }
    }
    if (Object.keys(options.metadata).length > 0) header[METADATA_KEY] = { ...options.metadata };
  }
  let offset = 0;
  for (const p of planned) {
    Object.defineProperty(header, p.name, {
      value: { dtype: p.dtype, shape: p.shape, data_offsets: [offset, offset + p.size] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset += p.size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withPad = new Uint8Array(padded).fill(0x20);
    withPad.set(json);
    json = withPad;
  }

  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const p of planned) {
    out.set(tensorBytes(p), pos);
    pos += p.size;
  }
  return out;
}

/** The stored bytes of one planned tensor. */
function tensorBytes(p: Planned): Uint8Array {
  if (isRaw(p.source)) return p.source.bytes;
  const data = p.source.data();
  if (data.length * SAFETENSORS_DTYPE_SIZES[p.dtype] !== p.size) {
    serializeFail(
      `tensor ${quote(p.name)}: data() gave ${data.length} elements for shape ${preview(p.shape)}`,
    );
  }
  switch (p.dtype) {
    case 'F16':
      return littleEndianBytes(toFloat16Bits(data));
    case 'BF16':
      return littleEndianBytes(toBFloat16Bits(data));
    default:
      return littleEndianBytes(data); // F32 or I32, as held
  }
}
