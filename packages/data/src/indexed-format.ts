/**
 * Megatron-LM's indexed dataset (the "MMIDIDX" layout of megatron/core/datasets/
 * indexed_dataset.py): a `.bin` file of token ids back to back, and an `.idx` file, all
 * little-endian:
 *
 *   magic          9 bytes  "MMIDIDX\0\0"
 *   version        uint64   1
 *   dtype code     uint8    1 uint8, 2 int8, 3 int16, 4 int32, 5 int64, 6 float64, 7 float32, 8 uint16
 *   sequence count uint64   S
 *   document count uint64   D + 1 (the document index array below)
 *   lengths        int32[S]      tokens per sequence
 *   pointers       int64[S]      byte offset of each sequence in .bin
 *   doc indices    int64[D + 1]  0, then after each document the number of sequences so far
 *
 * We write one sequence per document (so the document indices are 0, 1, ..., S), uint16 tokens
 * for vocabularies under 65,500 and int32 above, as Megatron's DType.optimal_dtype does.
 */

export const MMIDIDX_MAGIC = new Uint8Array([0x4d, 0x4d, 0x49, 0x44, 0x49, 0x44, 0x58, 0x00, 0x00]);
export const MMIDIDX_VERSION = 1;

export type TokenDtype =
  | 'uint8'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float64'
  | 'float32'
  | 'uint16';

export const DTYPE_CODES: Readonly<Record<TokenDtype, number>> = {
  uint8: 1,
  int8: 2,
  int16: 3,
  int32: 4,
  int64: 5,
  float64: 6,
  float32: 7,
  uint16: 8,
};

export const DTYPE_SIZES: Readonly<Record<TokenDtype, number>> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  float64: 8,
  float32: 4,
  uint16: 2,
};

/** uint16 when every id fits (vocabulary under 65,500, Megatron's rule), else int32. */
export function tokenDtypeFor(vocabSize: number): 'uint16' | 'int32' {
  return vocabSize < 65_500 ? 'uint16' : 'int32';
}

export function dtypeFromCode(code: number): TokenDtype {
  const entry = Object.entries(DTYPE_CODES).find(([, c]) => c === code);
  if (!entry) throw new Error(`indexed dataset: unknown dtype code ${code} (known: 1-8)`);
  return entry[0] as TokenDtype;
}

export interface IndexData {
  dtype: TokenDtype;
  /** Tokens per sequence. */
  lengths: Int32Array;
  /** Byte offset of each sequence in .bin. */
  pointers: Float64Array;
  /** Sequence indices bounding documents: 0, ..., S. */
  documentIndices: Float64Array;
}

/** The bytes of an .idx file. */
export function encodeIndex(
  dtype: TokenDtype,
  lengths: ArrayLike<number>,
  documentIndices: ArrayLike<number>,
): Uint8Array {
  const S = lengths.length;
  const D = documentIndices.length;
  const size = 9 + 8 + 1 + 8 + 8 + 4 * S + 8 * S + 8 * D;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set(MMIDIDX_MAGIC, 0);
  let o = 9;
  v.setBigUint64(o, BigInt(MMIDIDX_VERSION), true);
  o += 8;
  v.setUint8(o, DTYPE_CODES[dtype]);
  o += 1;
  v.setBigUint64(o, BigInt(S), true);
  o += 8;
  v.setBigUint64(o, BigInt(D), true);
  o += 8;
  for (let i = 0; i < S; i++, o += 4) v.setInt32(o, lengths[i], true);
  let ptr = 0;
  const item = DTYPE_SIZES[dtype];
  for (let i = 0; i < S; i++, o += 8) {
    v.setBigInt64(o, BigInt(ptr), true);
    ptr += lengths[i] * item;
  }
  for (let i = 0; i < D; i++, o += 8) v.setBigInt64(o, BigInt(documentIndices[i]), true);
  return out;
}

/** Reads an .idx file; `what` names it in errors. */
export function decodeIndex(bytes: Uint8Array, what = '.idx'): IndexData {
  const remake = 'remake it with packIndexedDataset';
  if (bytes.length < 34) {
    throw new Error(
      `${what}: ${bytes.length} bytes, too short for an MMIDIDX header (34 bytes); ${remake}`,
    );
  }
  for (let i = 0; i < 9; i++) {
    if (bytes[i] !== MMIDIDX_MAGIC[i]) {
      throw new Error(
        `${what}: found magic ${JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 9)))}, expected "MMIDIDX\\0\\0" (a Megatron indexed dataset index); ${remake}`,
      );
    }
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = Number(v.getBigUint64(9, true));
  if (version !== MMIDIDX_VERSION) {
    throw new Error(`${what}: MMIDIDX version ${version}, this reader knows version 1; ${remake}`);
  }
  const dtype = dtypeFromCode(v.getUint8(17));
  const S = Number(v.getBigUint64(18, true));
  const D = Number(v.getBigUint64(26, true));
  const need = 34 + 4 * S + 8 * S + 8 * D;
  if (bytes.length < need) {
    throw new Error(
      `${what}: ${bytes.length} bytes, the header promises ${need} (${S} sequences, ${D} document indices): truncated; ${remake}`,
    );
  }
  let o = 34;
  const lengths = new Int32Array(S);
  for (let i = 0; i < S; i++, o += 4) lengths[i] = v.getInt32(o, true);
  const pointers = new Float64Array(S);
  for (let i = 0; i < S; i++, o += 8) pointers[i] = Number(v.getBigInt64(o, true));
  const documentIndices = new Float64Array(D);
  for (let i = 0; i < D; i++, o += 8) documentIndices[i] = Number(v.getBigInt64(o, true));
  return { dtype, lengths, pointers, documentIndices };
}
