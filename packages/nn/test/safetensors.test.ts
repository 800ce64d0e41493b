import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tensor, tensor } from '@openeurollm/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bfloat16BitsToFloat32,
  entryToTensor,
  float16BitsToFloat32,
  float32ToBFloat16Bits,
  float32ToFloat16Bits,
  fromBFloat16Bits,
  fromFloat16Bits,
  loadTensors,
  parseSafetensors,
  SAFETENSORS_DTYPE_SIZES,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
  type SafetensorsRaw,
  serializeSafetensors,
  toBFloat16Bits,
  toFloat16Bits,
} from '../src/safetensors.js';
import { readSafetensors, readTensors, writeSafetensors } from '../src/safetensors-node.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, 'fixtures');
const SCRIPT = join(here, '..', 'scripts', 'torch_reference.py');
const REMAKE = '/usr/bin/python3 packages/nn/scripts/torch_reference.py fixtures';
const PYTHON = '/usr/bin/python3';

const tmp = mkdtempSync(join(tmpdir(), 'oellm-safetensors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// ------------------------------------------------------------------------------------------
// helpers

/** A safetensors file from a header object (or raw header text) and a byte buffer. */
function build(header: unknown, buffer: Uint8Array | number = 0, pad = true): Uint8Array {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  if (pad) text += ' '.repeat((8 - (text.length % 8)) % 8);
  const json = new TextEncoder().encode(text);
  const buf = typeof buffer === 'number' ? new Uint8Array(buffer) : buffer;
  const out = new Uint8Array(8 + json.length + buf.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(buf, 8 + json.length);
  return out;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const f32 = (x: number) => Math.fround(x);

function headerOf(file: Uint8Array): { text: string; json: Record<string, unknown> } {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const text = new TextDecoder().decode(file.subarray(8, 8 + n));
  return { text, json: JSON.parse(text) };
}

/** A seeded generator (mulberry32) so failures repeat. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expectParseError(file: Uint8Array, pattern: RegExp): void {
  expect(() => parseSafetensors(file)).toThrow(pattern);
}

const goodHeader = () => ({
  a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  b: { dtype: 'I32', shape: [], data_offsets: [8, 12] },
});

// ------------------------------------------------------------------------------------------

describe('serialize and parse', () => {
  it('round-trips float32 and int32 tensors of every rank, bit for bit', () => {
    const special = new Float32Array([0, -0, 1.5, -3e38, 1e-45, Infinity, -Infinity, Number.NaN]);
    const tensors: Record<string, Tensor> = {
      scalar: tensor(2.5),
      empty: tensor(new Float32Array(0), { shape: [0, 3] }),
      special: tensor(special),
      cube: tensor(
        Float32Array.from({ length: 24 }, (_, i) => i / 7),
        { shape: [2, 3, 4] },
      ),
      ids: tensor([[1, -2, 2147483647, -2147483648]], { dtype: 'int32' }),
    };
    const file = serializeSafetensors(tensors, { metadata: { format: 'pt', note: 'ü ✓' } });
    const parsed = parseSafetensors(file);
    expect(parsed.metadata).toEqual({ format: 'pt', note: 'ü ✓' });
    expect([...parsed.tensors.keys()]).toEqual(['cube', 'empty', 'scalar', 'special', 'ids']);
    const back = loadTensors(file);
    for (const [name, t] of Object.entries(tensors)) {
      expect(back[name].shape).toEqual(t.shape);
      expect(back[name].dtype).toEqual(t.dtype);
      if (t.dtype === 'float32') {
        expect(bitsOf(back[name].data() as Float32Array)).toEqual(bitsOf(t.data() as Float32Array));
      } else {
        expect(Array.from(back[name].data())).toEqual(Array.from(t.data()));
      }
    }
    expect(parsed.tensors.get('ids')!.dtype).toBe('I32');
    expect(parsed.tensors.get('scalar')!.shape).toEqual([]);
  });

  it('writes like the reference writer: sorted by dtype then name, padded, aligned', () => {
    const raw = (dtype: SafetensorsDType, n: number): SafetensorsRaw => ({
      dtype,
      shape: [n],
      bytes: new Uint8Array(n * SAFETENSORS_DTYPE_SIZES[dtype]).fill(1),
    });
    const file = serializeSafetensors(
      new Map<string, Tensor | SafetensorsRaw>([
        ['z', raw('U8', 3)],
        ['b', tensor([1, 2, 3])],
        ['a', tensor([1, 2, 3])],
        ['h', raw('BF16', 1)],
        ['l', raw('I64', 1)],
        ['i', tensor([7], { dtype: 'int32' })],
      ]),
      { metadata: { k: 'v' } },
    );
    const { text, json } = headerOf(file);
    expect(text.length % 8).toBe(0);
    expect(text).toMatch(/^\{"__metadata__":\{"k":"v"\},"l":/);
    expect(text.trimEnd()).toBe(JSON.stringify(json));
    expect(Object.keys(json)).toEqual(['__metadata__', 'l', 'a', 'b', 'i', 'h', 'z']);
    const parsed = parseSafetensors(file);
    for (const e of parsed.tensors.values()) {
      expect((8 + text.length + e.dataOffsets[0]) % SAFETENSORS_DTYPE_SIZES[e.dtype]).toBe(0);
    }
    // no metadata: no __metadata__ key
    expect(Object.keys(headerOf(serializeSafetensors({ a: tensor(1) })).json)).toEqual(['a']);
    // an empty file is valid
    const none = parseSafetensors(serializeSafetensors({}));
    expect(none.tensors.size).toBe(0);
  });

  it('round-trips raw entries of every dtype and converts each to a tensor', () => {
    const cases: Array<[SafetensorsDType, ArrayBufferView, number[]]> = [
      ['F64', new Float64Array([0.1, -2, 1e300]), [f32(0.1), -2, Infinity]],
      ['F32', new Float32Array([1.25, -0.5]), [1.25, -0.5]],
      ['F16', new Uint16Array([0x3c00, 0xc000, 0x0001]), [1, -2, 2 ** -24]],
      ['BF16', new Uint16Array([0x3f80, 0xc040]), [1, -3]],
      ['I64', new BigInt64Array([-(2n ** 31n), 2n ** 31n - 1n, 5n]), [-(2 ** 31), 2 ** 31 - 1, 5]],
      ['U64', new BigUint64Array([0n, 2n ** 31n - 1n]), [0, 2 ** 31 - 1]],
      ['I32', new Int32Array([-7, 8]), [-7, 8]],
      ['U32', new Uint32Array([0, 2 ** 31 - 1]), [0, 2 ** 31 - 1]],
      ['I16', new Int16Array([-32768, 32767]), [-32768, 32767]],
      ['U16', new Uint16Array([0, 65535]), [0, 65535]],
      ['I8', new Int8Array([-128, 127]), [-128, 127]],
      ['U8', new Uint8Array([0, 255]), [0, 255]],
      ['BOOL', new Uint8Array([1, 0, 1]), [1, 0, 1]],
      // float8: 0x38 = 1.0, 0x01 = 2^-9 (subnormal), 0x7e = 448 (max), 0x7f = NaN
      ['F8_E4M3', new Uint8Array([0x38, 0x01, 0x7e, 0xfe, 0x7f]), [1, 2 ** -9, 448, -448, NaN]],
      // 0x3c = 1.0, 0x01 = 2^-16, 0x7b = 57344 (max), 0x7c = inf, 0x7d = NaN
      [
        'F8_E5M2',
        new Uint8Array([0x3c, 0x01, 0x7b, 0x7c, 0xfc, 0x7d]),
        [1, 2 ** -16, 57344, Infinity, -Infinity, NaN],
      ],
    ];
    expect(cases.map((c) => c[0]).sort()).toEqual([...SAFETENSORS_DTYPES].sort());
    const input: Record<string, SafetensorsRaw> = {};
    for (const [dtype, arr, values] of cases) {
      input[dtype] = { dtype, shape: [values.length], bytes: bytesOf(arr) };
    }
    const file = serializeSafetensors(input);
    const parsed = parseSafetensors(file);
    for (const [dtype, arr, values] of cases) {
      const e = parsed.tensors.get(dtype)!;
      expect(e.dtype).toBe(dtype);
      expect(Array.from(e.bytes)).toEqual(Array.from(bytesOf(arr)));
      const t = entryToTensor(e);
      expect(t.dtype).toBe(dtype.startsWith('F') || dtype === 'BF16' ? 'float32' : 'int32');
      expect(Array.from(t.data())).toEqual(values);
    }
  });

  it('converts float32 to F16 and BF16 when asked', () => {
    const x = tensor([1 + 2 ** -11, 1e5, 2 ** -25, -0.1], { shape: [2, 2] });
    const h = loadTensors(serializeSafetensors({ x }, { dtype: 'F16' })).x;
    expect(h.shape).toEqual([2, 2]);
    expect(Array.from(h.data())).toEqual([1, Infinity, 0, float16BitsToFloat32(0xae66)]);
    const b = loadTensors(serializeSafetensors({ x }, { dtype: 'BF16' })).x;
    expect(Array.from(b.data())).toEqual(Array.from(fromBFloat16Bits(toBFloat16Bits(x.data()))));
    expect(
      parseSafetensors(serializeSafetensors({ x }, { dtype: 'BF16' })).tensors.get('x')!.dtype,
    ).toBe('BF16');
    // int32 tensors stay I32 whatever the float dtype
    const i = serializeSafetensors({ i: tensor([3], { dtype: 'int32' }) }, { dtype: 'F16' });
    expect(parseSafetensors(i).tensors.get('i')!.dtype).toBe('I32');
  });

  it('keeps tensors named like Object.prototype members as plain entries', () => {
    const file = serializeSafetensors(
      new Map([
        ['__proto__', tensor([1])],
        ['constructor', tensor([2])],
      ]),
    );
    const back = loadTensors(file);
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'constructor']);
    const own = Object.getOwnPropertyDescriptor(back, '__proto__')?.value as Tensor;
    expect(Array.from(own.data())).toEqual([1]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('reads entries at unaligned offsets of the input', () => {
    const file = serializeSafetensors({ a: tensor([1.5, -2.25, 3]) });
    const shifted = new Uint8Array(file.length + 1).subarray(1);
    shifted.set(file);
    expect(Array.from(loadTensors(shifted).a.data())).toEqual([1.5, -2.25, 3]);
  });
});

describe('float16 and bfloat16 conversion', () => {
  it('rounds float32 to float16 to nearest, ties to even', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff], // max
      [65519, 0x7bff], // below the midpoint to infinity
      [65520, 0x7c00], // the midpoint rounds to even: infinity
      [-65520, 0xfc00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // half of it: tie, to even (zero)
      [f32(2 ** -25 * (1 + 2 ** -23)), 0x0001], // just above the tie
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal units: to even
      [5 * 2 ** -25, 0x0002], // tie between 2 and 3: to even
      [2 ** -26, 0x0000],
      [1e-45, 0x0000], // a float32 subnormal
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -14 - 2 ** -25, 0x0400], // tie between largest subnormal and smallest normal
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [1 + 2 ** -11, 0x3c00], // tie: to even
      [1 + 3 * 2 ** -11, 0x3c02], // tie: to even (up)
      [1 + 2 ** -11 + 2 ** -20, 0x3c01],
      [1 + 2 ** -10, 0x3c01],
    ];
    for (const [x, bits] of cases) expect([x, float32ToFloat16Bits(x)]).toEqual([x, bits]);
    expect(float32ToFloat16Bits(Number.NaN)).toBe(0x7e00);
    expect(float32ToFloat16Bits(-Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('rounds float32 to bfloat16 to nearest, ties to even', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3f80],
      [1 + 2 ** -8, 0x3f80], // tie: to even
      [1 + 3 * 2 ** -8, 0x3f82], // tie: to even (up)
      [1 + 2 ** -8 + 2 ** -20, 0x3f81],
      [3.4028234663852886e38, 0x7f80], // float32 max rounds up to infinity
      [f32(3.3895e38), 0x7f7f],
      [Infinity, 0x7f80],
      [-Infinity, 0xff80],
      [1e-45, 0x0000], // smallest float32 subnormal: below half a bfloat16 unit
      [f32(2 ** -126), 0x0080],
    ];
    for (const [x, bits] of cases) expect([x, float32ToBFloat16Bits(x)]).toEqual([x, bits]);
    expect(float32ToBFloat16Bits(Number.NaN)).toBe(0x7fc0);
    expect(Number.isNaN(bfloat16BitsToFloat32(float32ToBFloat16Bits(Number.NaN)))).toBe(true);
  });

  it('decodes every float16 and bfloat16 pattern and re-encodes it unchanged', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const h = fromFloat16Bits(all);
    const b = fromBFloat16Bits(all);
    const hBack = toFloat16Bits(h);
    const bBack = toBFloat16Bits(b);
    let nans = 0;
    for (let i = 0; i < 65536; i++) {
      if (Number.isNaN(h[i])) {
        nans++;
        expect(Number.isNaN(float16BitsToFloat32(hBack[i]))).toBe(true);
        continue;
      }
      if (hBack[i] !== i) expect([i, hBack[i]]).toEqual([i, i]);
      if (!Number.isNaN(b[i]) && bBack[i] !== i) expect([i, bBack[i]]).toEqual([i, i]);
    }
    expect(nans).toBe(2 * 1023);
    expect([h[0x0001], h[0x03ff], h[0x0400], h[0x7bff], h[0xc000]]).toEqual([
      2 ** -24,
      1023 * 2 ** -24,
      2 ** -14,
      65504,
      -2,
    ]);
    expect([h[0x7c00], h[0xfc00]]).toEqual([Infinity, -Infinity]);
  });

  it('rounds to the nearest float16 value for random float32 inputs', () => {
    const next = rng(7);
    for (let i = 0; i < 2000; i++) {
      const x = f32((next() - 0.5) * 2 ** Math.floor(next() * 40 - 26));
      const bits = float32ToFloat16Bits(x);
      const y = float16BitsToFloat32(bits);
      // no float16 value is closer: compare with the neighbours
      for (const nb of [bits - 1, bits + 1]) {
        if ((nb & 0x7fff) > 0x7c00 || nb < 0 || nb > 0xffff || ((nb ^ bits) & 0x8000) !== 0)
          continue;
        const z = float16BitsToFloat32(nb);
        expect(Math.abs(x - y) <= Math.abs(x - z)).toBe(true);
      }
    }
  });
});

describe('parseSafetensors rejects bad files with clear errors', () => {
  const cases: Array<[string, () => Uint8Array, RegExp]> = [
    [
      'a file shorter than 8 bytes',
      () => new Uint8Array(5),
      /5 bytes, too short for the 8-byte header length/,
    ],
    [
      'a header length larger than the file',
      () => build(goodHeader(), 12).subarray(0, 20),
      /header length is \d+ bytes but only 12 bytes follow/,
    ],
    [
      'a huge header length',
      () => {
        const b = new Uint8Array(16);
        b[7] = 0xff;
        return b;
      },
      /header length is 18374686479671623680 bytes but only 8/,
    ],
    [
      'a header that is not UTF-8',
      () => build('{"a\xff":1}').map((x, i) => (i === 11 ? 0xff : x)),
      /not valid UTF-8/,
    ],
    ['a header that is not JSON', () => build('{"a": [1, 2}'), /the header is not valid JSON/],
    ['a header that is an array', () => build([1, 2]), /must be a JSON object, got an array/],
    ['a header that is null', () => build('null'), /must be a JSON object, got null/],
    [
      'a header that is a number',
      () => build('12345678'),
      /must be a JSON object, got number 12345678/,
    ],
    [
      'a tensor that is not an object',
      () => build({ a: [1] }),
      /tensor "a": expected \{dtype, shape, data_offsets\}, got an array/,
    ],
    [
      'a missing field',
      () => build({ a: { dtype: 'F32', shape: [1] } }, 4),
      /tensor "a": missing field 'data_offsets'/,
    ],
    [
      'an unknown dtype',
      () => build({ a: { dtype: 'F7', shape: [1], data_offsets: [0, 4] } }, 4),
      /tensor "a": unknown or unsupported dtype the string "F7" \(expected one of BOOL/,
    ],
    [
      'a dtype that is not a string',
      () => build({ a: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, 4),
      /tensor "a": unknown or unsupported dtype number 4/,
    ],
    [
      'a shape that is not an array',
      () => build({ a: { dtype: 'F32', shape: 4, data_offsets: [0, 4] } }, 4),
      /tensor "a": shape must be an array, got number 4/,
    ],
    [
      'a negative dimension',
      () => build({ a: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 4] } }, 4),
      /tensor "a": shape \[2,-1\] must hold non-negative integers, dimension 1 is number -1/,
    ],
    [
      'a fractional dimension',
      () => build({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4),
      /dimension 0 is number 1.5/,
    ],
    [
      'a string dimension',
      () => build({ a: { dtype: 'F32', shape: ['1'], data_offsets: [0, 4] } }, 4),
      /dimension 0 is the string "1"/,
    ],
    [
      'a shape too large to address',
      () =>
        build({ a: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 4] } }, 4),
      /tensor "a": shape .* is too large/,
    ],
    [
      'data_offsets that are not a pair',
      () => build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, 4),
      /tensor "a": data_offsets must be \[begin, end\] .* got an array \[0,4,8\]/,
    ],
    [
      'data_offsets with begin > end',
      () => build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4),
      /data_offsets must be \[begin, end\] with integers 0 <= begin <= end, got an array \[4,0\]/,
    ],
    [
      'negative data_offsets',
      () => build({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, 4),
      /data_offsets must be/,
    ],
    [
      'data_offsets of the wrong size',
      () => build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4),
      /tensor "a": data_offsets \[0, 4\] hold 4 bytes but F32 \[2\] needs 8/,
    ],
    [
      'data_offsets past the end',
      () => build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4),
      /tensor "a": data_offsets \[0, 8\] run past the end of the byte buffer \(4 bytes\)/,
    ],
    [
      'overlapping tensors',
      () =>
        build(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
          },
          8,
        ),
      /tensor "b": data_offsets \[4, 8\] overlap tensor "a" \[0, 8\]/,
    ],
    [
      'an empty tensor inside another',
      () =>
        build(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
          },
          8,
        ),
      /tensor "b": .* overlap tensor "a"/,
    ],
    [
      'a hole in the buffer',
      () =>
        build(
          {
            a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
            b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
          },
          12,
        ),
      /bytes \[4, 8\) of the byte buffer belong to no tensor \(a hole before tensor "b"\)/,
    ],
    [
      'a hole at the start',
      () => build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8),
      /bytes \[0, 4\) .* belong to no tensor/,
    ],
    [
      'extra bytes at the end',
      () => build(goodHeader(), 13),
      /bytes \[12, 13\) at the end of the byte buffer belong to no tensor \(the file has 1 extra bytes\)/,
    ],
    ['bytes but no tensors', () => build({}, 4), /bytes \[0, 4\) at the end/],
    [
      '__metadata__ that is not an object',
      () => build({ __metadata__: 'x' }),
      /__metadata__ must be an object, got the string "x"/,
    ],
    [
      'a __metadata__ value that is not a string',
      () => build({ __metadata__: { a: 'b', n: 1 } }),
      /__metadata__ value of "n" must be a string, got number 1/,
    ],
    [
      'a repeated tensor name',
      () =>
        build(
          '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
          4,
        ),
      /repeats the key "a"$/,
    ],
    [
      'a repeated name spelled with an escape',
      () =>
        build(
          '{"ab":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
          8,
        ),
      /repeats the key "ab"$/,
    ],
    [
      'a repeated field',
      () => build('{"t":{"dtype":"F32","shape":[1],"dtype":"I32","data_offsets":[0,4]}}', 4),
      /repeats the key "dtype" in "t"/,
    ],
    [
      'a repeated metadata key',
      () => build('{"__metadata__":{"k":"a","k":"b"}}'),
      /repeats the key "k" in "__metadata__"/,
    ],
  ];
  for (const [what, make, pattern] of cases) {
    it(`rejects ${what}`, () =>
      expectParseError(make(), new RegExp(`^parseSafetensors: .*?${pattern.source}`)));
  }

  it('rejects input that is not a Uint8Array', () => {
    expect(() => parseSafetensors('abc' as unknown as Uint8Array)).toThrow(
      /^parseSafetensors: expected the file's bytes as a Uint8Array, got the string "abc"/,
    );
  });

  it('accepts what the format allows: padding, key order, extra fields, null metadata', () => {
    const header =
      '  {"b":{"data_offsets":[4,8],"shape":[1],"dtype":"F32","extra":1},"__metadata__":null,"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}   ';
    const buf = bytesOf(new Float32Array([1, 2]));
    const parsed = parseSafetensors(build(header, buf, false));
    expect([...parsed.tensors.keys()]).toEqual(['a', 'b']);
    expect(parsed.metadata).toEqual({});
    // zero-size tensors may sit at any boundary, also at the very end
    const z = build(
      {
        e: { dtype: 'F32', shape: [0, 2], data_offsets: [4, 4] },
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      },
      4,
    );
    expect(entryToTensor(parseSafetensors(z).tensors.get('e')!).shape).toEqual([0, 2]);
  });
});

describe('entryToTensor and serializeSafetensors errors', () => {
  it('refuses integers outside the int32 range, naming the tensor and element', () => {
    const big = {
      name: 'ids',
      dtype: 'I64' as const,
      shape: [2],
      bytes: bytesOf(new BigInt64Array([1n, 2n ** 40n])),
    };
    expect(() => entryToTensor(big)).toThrow(
      /^entryToTensor: tensor "ids": element 1 is 1099511627776, outside the int32 range/,
    );
    const u = { dtype: 'U32' as const, shape: [1], bytes: bytesOf(new Uint32Array([2 ** 31])) };
    expect(() => entryToTensor(u)).toThrow(/element 0 is 2147483648, outside the int32 range/);
    const neg = {
      dtype: 'I64' as const,
      shape: [1],
      bytes: bytesOf(new BigInt64Array([-(2n ** 31n) - 1n])),
    };
    expect(() => entryToTensor(neg)).toThrow(/element 0 is -2147483649/);
    const b = { dtype: 'BOOL' as const, shape: [2], bytes: new Uint8Array([1, 2]) };
    expect(() => entryToTensor(b)).toThrow(/element 1 is 2, outside the BOOL values 0 and 1/);
    expect(() => entryToTensor({ dtype: 'F32', shape: [2], bytes: new Uint8Array(4) })).toThrow(
      /^entryToTensor: tensor "\(unnamed\)": F32 \[2\] needs 8 bytes, got 4/,
    );
    expect(() =>
      entryToTensor({ dtype: 'X' as SafetensorsDType, shape: [1], bytes: new Uint8Array(4) }),
    ).toThrow(/^entryToTensor: .*unknown or unsupported dtype the string "X"/);
  });

  it('refuses bad input to serializeSafetensors', () => {
    const t = tensor([1]);
    expect(() => serializeSafetensors({ __metadata__: t })).toThrow(
      /^serializeSafetensors: '__metadata__' is reserved/,
    );
    expect(() => serializeSafetensors({ a: t }, { dtype: 'F64' as 'F32' })).toThrow(
      /options.dtype must be 'F32', 'F16' or 'BF16', got the string "F64"/,
    );
    expect(() =>
      serializeSafetensors({ a: t }, { metadata: { n: 1 as unknown as string } }),
    ).toThrow(/options.metadata value of "n" must be a string, got number 1/);
    expect(() => serializeSafetensors({ a: [1, 2] as unknown as Tensor })).toThrow(
      /tensor "a": expected a Tensor or \{dtype, shape, bytes\}, got an array/,
    );
    expect(() =>
      serializeSafetensors({ a: { dtype: 'F32', shape: [2], bytes: new Uint8Array(4) } }),
    ).toThrow(/tensor "a": F32 \[2\] needs 8 bytes, got 4/);
    expect(() =>
      serializeSafetensors({
        a: { dtype: 'Q', shape: [1], bytes: new Uint8Array(4) } as unknown as SafetensorsRaw,
      }),
    ).toThrow(/tensor "a": unknown or unsupported dtype/);
    expect(() => serializeSafetensors(null as unknown as Record<string, Tensor>)).toThrow(
      /expected a Record or a Map of tensors, got null/,
    );
  });
});

describe('fuzz: arbitrary bytes give a file or an Error, never a crash or a hang', () => {
  const valid = serializeSafetensors(
    {
      w: tensor(
        Float32Array.from({ length: 12 }, (_, i) => i - 5),
        { shape: [3, 4] },
      ),
      ids: tensor([1, 2, 3], { dtype: 'int32' }),
      flags: { dtype: 'BOOL', shape: [2], bytes: new Uint8Array([0, 1]) },
      big: { dtype: 'I64', shape: [1], bytes: bytesOf(new BigInt64Array([9n])) },
      h: tensor([0.5, 2], { shape: [2] }),
    },
    { metadata: { format: 'pt' } },
  );

  function check(bytes: Uint8Array): 'ok' | 'error' {
    let file: ReturnType<typeof parseSafetensors>;
    try {
      file = parseSafetensors(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toMatch(/^parseSafetensors: /);
      return 'error';
    }
    for (const entry of file.tensors.values()) {
      try {
        entryToTensor(entry);
      } catch (e) {
        expect((e as Error).message).toMatch(/^entryToTensor: /);
      }
    }
    return 'ok';
  }

  it('random bytes, and random bytes behind a plausible header length', () => {
    const next = rng(1);
    for (let i = 0; i < 500; i++) {
      const b = Uint8Array.from({ length: Math.floor(next() * 64) }, () =>
        Math.floor(next() * 256),
      );
      if (b.length >= 8 && i % 2 === 0)
        new DataView(b.buffer).setBigUint64(0, BigInt(Math.floor(next() * (b.length - 7))), true);
      expect(check(b)).toBe('error');
    }
  });

  it('every truncation of a valid file', () => {
    expect(check(valid)).toBe('ok');
    for (let n = 0; n < valid.length; n++) expect(check(valid.subarray(0, n))).toBe('error');
  });

  it('random byte mutations of a valid file', () => {
    const next = rng(2);
    const headerEnd = 8 + Number(new DataView(valid.buffer).getBigUint64(0, true));
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < 3000; i++) {
      const b = valid.slice();
      const edits = 1 + Math.floor(next() * 3);
      for (let k = 0; k < edits; k++) {
        // mostly in the header, where the structure is
        const pos = next() < 0.8 ? Math.floor(next() * headerEnd) : Math.floor(next() * b.length);
        b[pos] =
          next() < 0.5
            ? Math.floor(next() * 256)
            : '{}[]",:0123456789-e. '.charCodeAt(Math.floor(next() * 21));
      }
      outcomes[check(b)]++;
    }
    expect(outcomes.error).toBeGreaterThan(1000);
    expect(outcomes.ok).toBeGreaterThan(0);
  });

  it('deeply nested and very long headers', () => {
    expect(check(build('['.repeat(100_000)))).toBe('error');
    expect(check(build(`{"__metadata__":{"a":"${'x'.repeat(1_000_000)}"}}`))).toBe('ok');
    expect(check(build(`{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`))).toBe('error');
  });
});

describe('files on disk', () => {
  it('writes atomically and reads back', () => {
    const path = join(tmp, 'model.safetensors');
    writeSafetensors(
      path,
      { a: tensor([1, 2]), b: tensor([3], { dtype: 'int32' }) },
      { metadata: { format: 'pt' } },
    );
    writeSafetensors(path, { a: tensor([5, 6, 7]) }, { dtype: 'BF16' }); // replaces the old file
    const file = readSafetensors(path);
    expect(file.tensors.get('a')!.dtype).toBe('BF16');
    expect(file.metadata).toEqual({});
    expect(Array.from(readTensors(path).a.data())).toEqual([5, 6, 7]);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves nothing behind when writing fails', () => {
    const path = join(tmp, 'bad.safetensors');
    expect(() => writeSafetensors(path, { __metadata__: tensor([1]) })).toThrow(
      /^serializeSafetensors:/,
    );
    expect(existsSync(path)).toBe(false);
    const missing = join(tmp, 'no-such-folder', 'x.safetensors');
    expect(() => writeSafetensors(missing, { a: tensor([1]) })).toThrow(
      /^writeSafetensors: cannot write '.*no-such-folder\/x.safetensors': ENOENT/,
    );
    // a folder in the way of the rename: the temporary file is removed again
    const taken = join(tmp, 'taken');
    mkdirSync(taken, { recursive: true });
    expect(() => writeSafetensors(taken, { a: tensor([1]) })).toThrow(
      /^writeSafetensors: cannot write '.*taken': EISDIR/,
    );
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('names the path in read errors', () => {
    const missing = join(tmp, 'missing.safetensors');
    expect(() => readSafetensors(missing)).toThrow(
      new RegExp(`^readSafetensors: cannot read '${missing}': ENOENT`),
    );
    const corrupt = join(tmp, 'corrupt.safetensors');
    writeFileSync(corrupt, build(goodHeader(), 13));
    expect(() => readSafetensors(corrupt)).toThrow(
      new RegExp(`^readSafetensors: '${corrupt}': parseSafetensors: bytes \\[12, 13\\)`),
    );
    const big = join(tmp, 'big-ints.safetensors');
    writeSafetensors(big, {
      x: { dtype: 'I64', shape: [1], bytes: bytesOf(new BigInt64Array([2n ** 40n])) },
    });
    expect(() => readTensors(big)).toThrow(
      new RegExp(`^readTensors: '${big}': entryToTensor: tensor "x": element 0`),
    );
  });
});

// ------------------------------------------------------------------------------------------
// fixtures written by scripts/torch_reference.py

interface HFConfig {
  model_type: string;
  [key: string]: unknown;
}

/** HF parameter names and shapes of a config, written out here independently of the script. */
function hfParameters(cfg: HFConfig): Map<string, number[]> {
  const p = new Map<string, number[]>();
  const n = (k: string) => cfg[k] as number;
  if (cfg.model_type === 'gpt2') {
    const [V, C] = [n('vocab_size'), n('n_embd')];
    const inner = (cfg.n_inner as number | null) ?? 4 * C;
    p.set('transformer.wte.weight', [V, C]);
    p.set('transformer.wpe.weight', [n('n_positions'), C]);
    for (let i = 0; i < n('n_layer'); i++) {
      const h = `transformer.h.${i}.`;
      for (const ln of ['ln_1', 'ln_2']) {
        p.set(`${h}${ln}.weight`, [C]);
        p.set(`${h}${ln}.bias`, [C]);
      }
      p.set(`${h}attn.c_attn.weight`, [C, 3 * C]); // Conv1D: [in, out]
      p.set(`${h}attn.c_attn.bias`, [3 * C]);
      p.set(`${h}attn.c_proj.weight`, [C, C]);
      p.set(`${h}attn.c_proj.bias`, [C]);
      p.set(`${h}mlp.c_fc.weight`, [C, inner]);
      p.set(`${h}mlp.c_fc.bias`, [inner]);
      p.set(`${h}mlp.c_proj.weight`, [inner, C]);
      p.set(`${h}mlp.c_proj.bias`, [C]);
    }
    p.set('transformer.ln_f.weight', [C]);
    p.set('transformer.ln_f.bias', [C]);
    if (cfg.tie_word_embeddings === false) p.set('lm_head.weight', [V, C]);
  } else {
    const [V, C, I, H] = [
      n('vocab_size'),
      n('hidden_size'),
      n('intermediate_size'),
      n('num_attention_heads'),
    ];
    const KV = n('num_key_value_heads');
    const D = C / H;
    p.set('model.embed_tokens.weight', [V, C]);
    for (let i = 0; i < n('num_hidden_layers'); i++) {
      const l = `model.layers.${i}.`;
      p.set(`${l}input_layernorm.weight`, [C]);
      p.set(`${l}self_attn.q_proj.weight`, [H * D, C]); // nn.Linear: [out, in]
      p.set(`${l}self_attn.k_proj.weight`, [KV * D, C]);
      p.set(`${l}self_attn.v_proj.weight`, [KV * D, C]);
      p.set(`${l}self_attn.o_proj.weight`, [C, H * D]);
      p.set(`${l}post_attention_layernorm.weight`, [C]);
      p.set(`${l}mlp.gate_proj.weight`, [I, C]);
      p.set(`${l}mlp.up_proj.weight`, [I, C]);
      p.set(`${l}mlp.down_proj.weight`, [C, I]);
    }
    p.set('model.norm.weight', [C]);
    if (!cfg.tie_word_embeddings) p.set('lm_head.weight', [V, C]);
  }
  return p;
}

function readFixture(rel: string) {
  const path = join(FIXTURES, rel);
  if (!existsSync(path)) throw new Error(`fixture ${path} is missing; remake it with: ${REMAKE}`);
  return readSafetensors(path);
}

const pythonWithTorch =
  existsSync(PYTHON) &&
  spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

describe('fixtures from scripts/torch_reference.py', () => {
  it('parses every fixture file', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.safetensors')) files.push(join(dir, e.name));
      }
    };
    walk(FIXTURES);
    expect(files.length).toBe(5);
    for (const f of files) {
      const file = readSafetensors(f);
      expect(file.tensors.size).toBeGreaterThan(0);
      expect(file.headerLength % 8).toBe(0);
      const version = file.metadata.format_version ?? file.metadata.format;
      expect(['1', 'pt']).toContain(version);
    }
  });

  for (const arch of ['gpt2', 'llama']) {
    describe(arch, () => {
      const cfg = JSON.parse(readFileSync(join(FIXTURES, arch, 'config.json'), 'utf8')) as HFConfig;
      const params = hfParameters(cfg);

      it('model.safetensors holds the HF names and shapes of config.json', () => {
        const model = readFixture(`${arch}/model.safetensors`);
        expect(model.metadata).toEqual({ format: 'pt' });
        expect([...model.tensors.keys()].sort()).toEqual([...params.keys()].sort());
        for (const [name, shape] of params) {
          const e = model.tensors.get(name)!;
          expect([name, e.dtype, e.shape]).toEqual([name, 'F32', shape]);
        }
        expect(params.has('lm_head.weight')).toBe(arch === 'llama');
      });

      it('re-serializing the model gives the same bytes as the Python writer', () => {
        const bytes = readFileSync(join(FIXTURES, arch, 'model.safetensors'));
        const again = serializeSafetensors(loadTensors(bytes), { metadata: { format: 'pt' } });
        expect(Buffer.from(again).equals(bytes)).toBe(true);
      });

      it('expected.safetensors holds the batch, logits, loss, gradients and AdamW state', () => {
        const exp = readFixture(`${arch}/expected.safetensors`);
        const meta = exp.metadata;
        expect(meta.format_version).toBe('1');
        for (const key of [
          'generator',
          'remake',
          'torch_version',
          'arch',
          'seed',
          'init',
          'batch',
          'loss',
          'optimizer',
          'adamw_update',
          'weight_decay_rule',
          'weight_decay_groups',
          'config',
        ]) {
          expect(typeof meta[key]).toBe('string');
        }
        expect(meta.model_type).toBe(arch);
        expect(JSON.parse(meta.config)).toEqual(cfg);
        const want = new Map<string, [string, number[]]>([
          ['input_ids', ['I32', [2, 12]]],
          ['targets', ['I32', [2, 12]]],
          ['logits', ['F32', [2, 12, cfg.vocab_size as number]]],
          ['loss', ['F32', []]],
          ['losses', ['F32', [3]]],
        ]);
        for (const [name, shape] of params) {
          for (const prefix of [
            'grad.',
            'grad2.',
            'grad3.',
            'step3.',
            'step3.exp_avg.',
            'step3.exp_avg_sq.',
          ]) {
            want.set(prefix + name, ['F32', shape]);
          }
        }
        expect([...exp.tensors.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [name, [dtype, shape]] of want) {
          const e = exp.tensors.get(name)!;
          expect([name, e.dtype, e.shape]).toEqual([name, dtype, shape]);
        }
        const t = (name: string) => entryToTensor(exp.tensors.get(name)!);
        const targets = Array.from(t('targets').data());
        expect(targets.filter((x) => x === -100).length).toBe(3);
        expect(targets.every((x) => x === -100 || (x >= 0 && x < (cfg.vocab_size as number)))).toBe(
          true,
        );
        const losses = Array.from(t('losses').data());
        expect(losses[0]).toBe(t('loss').item());
        expect(losses[2]).toBeLessThan(losses[0]);
        // weight decay groups cover every parameter once; embeddings and vectors are not decayed
        const groups = JSON.parse(meta.weight_decay_groups) as Record<string, string[]>;
        expect([...groups['0.1'], ...groups['0.0']].sort()).toEqual([...params.keys()].sort());
        for (const [name, shape] of params) {
          const decayed = shape.length >= 2 && !/(wte|wpe|embed_tokens)\.weight$/.test(name);
          expect([name, groups['0.1'].includes(name)]).toEqual([name, decayed]);
        }
      });

      it.skipIf(!pythonWithTorch)(
        'a checkpoint written here loads in PyTorch with the same logits (F32, and F16 or BF16)',
        () => {
          const exp = readFixture(`${arch}/expected.safetensors`);
          const ids = entryToTensor(exp.tensors.get('input_ids')!).toArray();
          const want = entryToTensor(exp.tensors.get('logits')!).data();
          const weights = readTensors(join(FIXTURES, arch, 'model.safetensors'));
          const input = join(tmp, `${arch}-ids.json`);
          writeFileSync(input, JSON.stringify(ids));
          // F32 must match exactly; the rounded copy only roughly (its rounding is checked
          // bit for bit against torch below). Each run spends ~1.5 s importing torch.
          const rounded = arch === 'gpt2' ? 'F16' : 'BF16';
          const worst: Record<string, number> = {};
          for (const dtype of ['F32', rounded] as const) {
            const dir = join(tmp, `${arch}-${dtype}`);
            mkdirSync(dir, { recursive: true });
            copyFileSync(join(FIXTURES, arch, 'config.json'), join(dir, 'config.json'));
            writeSafetensors(join(dir, 'model.safetensors'), weights, {
              dtype,
              metadata: { format: 'pt' },
            });
            const out = join(dir, 'logits.json');
            const run = spawnSync(PYTHON, [SCRIPT, 'logits', dir, input, out], {
              encoding: 'utf8',
            });
            expect(run.stderr).toBe('');
            expect(run.status).toBe(0);
            const got = JSON.parse(readFileSync(out, 'utf8')) as {
              shape: number[];
              logits: number[][][];
            };
            expect(got.shape).toEqual([2, 12, cfg.vocab_size]);
            const flat = got.logits.flat(2);
            worst[dtype] = Math.max(...flat.map((x, i) => Math.abs(x - want[i])));
          }
          // the same weights in PyTorch: equal up to float32 rounding (its reductions split work
          // by thread count, which differs between the fixture run and this one)
          expect(worst.F32).toBeLessThan(1e-5);
          expect(worst[rounded]).toBeGreaterThan(0);
          expect(worst[rounded]).toBeLessThan(rounded === 'F16' ? 1e-3 : 2e-2);
        },
      );
    });
  }

  describe('dtypes.safetensors', () => {
    const file = readFixture('dtypes.safetensors');
    const meta = file.metadata;
    const t = (name: string) => entryToTensor(file.tensors.get(name)!);

    it('has the dtypes and shapes the script lists', () => {
      const dtypes = JSON.parse(meta.dtypes) as Record<string, string>;
      const shapes = JSON.parse(meta.shapes) as Record<string, number[]>;
      expect([...file.tensors.keys()].sort()).toEqual(Object.keys(dtypes).sort());
      for (const [name, e] of file.tensors) {
        expect([name, e.dtype, e.shape]).toEqual([name, dtypes[name], shapes[name]]);
      }
      expect(new Set(Object.values(dtypes))).toEqual(
        new Set(['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL']),
      );
    });

    it('reads the integer dtypes as the values torch wrote', () => {
      const values = JSON.parse(meta.values) as Record<string, unknown[]>;
      for (const [name, v] of Object.entries(values)) {
        const want = v.flat(4).map((x) => (x === true ? 1 : x === false ? 0 : x));
        expect([name, Array.from(t(name).data())]).toEqual([name, want]);
      }
      expect(() => t('i64_too_big')).toThrow(
        /^entryToTensor: tensor "i64_too_big": element 1 is 1099511627776, outside the int32 range/,
      );
      expect(t('scalar').shape).toEqual([]);
      expect(t('scalar').item()).toBe(3.5);
      expect(t('empty').shape).toEqual([0, 3]);
      expect(t('cube').toArray()).toEqual(
        tensor(
          Float32Array.from({ length: 24 }, (_, i) => i),
          { shape: [2, 3, 4] },
        ).toArray(),
      );
    });

    it('converts F16, BF16 and F64 to float32 exactly as torch does', () => {
      for (const [src, ref] of [
        ['f16', 'f16_as_f32'],
        ['bf16', 'bf16_as_f32'],
        ['f64', 'f64_as_f32'],
      ]) {
        expect([src, bitsOf(t(src).data() as Float32Array)]).toEqual([
          src,
          bitsOf(t(ref).data() as Float32Array),
        ]);
      }
    });

    it('rounds float32 to F16 and BF16 bit for bit as torch does', () => {
      const x = t('f32');
      for (const [dtype, name] of [
        ['F16', 'f16'],
        ['BF16', 'bf16'],
      ] as const) {
        const ours = parseSafetensors(serializeSafetensors({ x }, { dtype })).tensors.get(
          'x',
        )!.bytes;
        const theirs = file.tensors.get(name)!.bytes;
        expect(ours.length).toBe(theirs.length);
        const a = new Uint16Array(Uint8Array.from(ours).buffer);
        const b = new Uint16Array(Uint8Array.from(theirs).buffer);
        const decode = dtype === 'F16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
        for (let i = 0; i < a.length; i++) {
          // NaN payloads may differ; every other value must match exactly
          if (Number.isNaN(decode(b[i]))) expect(Number.isNaN(decode(a[i]))).toBe(true);
          else expect([dtype, i, a[i]]).toEqual([dtype, i, b[i]]);
        }
      }
    });
  });
});
