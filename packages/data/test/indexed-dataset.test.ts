/**
 * Packed datasets against an independent reader of Megatron's MMIDIDX layout, written here
 * from the format's description (not with this package's decodeIndex), token for token; the
 * loader's windows, seeding and resumption; and the errors on damaged files.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  euCorpusDocuments,
  IndexedDataset,
  makeDocument,
  type PackTokenizer,
  packIndexedDataset,
} from '../src/node.js';
import { corpusTokenizer, tempDir } from './helpers.js';

/**
 * The spec (megatron/core/datasets/indexed_dataset.py, _IndexWriter): 9-byte magic
 * "MMIDIDX\0\0", uint64 version 1, uint8 dtype code, uint64 sequence count, uint64 document
 * count, int32 lengths, int64 byte pointers, int64 document indices; little-endian.
 */
function readMegatron(prefix: string): {
  dtype: number;
  sequences: number[][];
  docIndices: bigint[];
} {
  const idx = readFileSync(`${prefix}.idx`);
  expect(idx.subarray(0, 9).equals(Buffer.from('MMIDIDX\x00\x00', 'latin1'))).toBe(true);
  expect(idx.readBigUInt64LE(9)).toBe(1n);
  const dtype = idx.readUInt8(17);
  const seqCount = Number(idx.readBigUInt64LE(18));
  const docCount = Number(idx.readBigUInt64LE(26));
  let off = 34;
  const lengths: number[] = [];
  for (let i = 0; i < seqCount; i++, off += 4) lengths.push(idx.readInt32LE(off));
  const pointers: bigint[] = [];
  for (let i = 0; i < seqCount; i++, off += 8) pointers.push(idx.readBigInt64LE(off));
  const docIndices: bigint[] = [];
  for (let i = 0; i < docCount; i++, off += 8) docIndices.push(idx.readBigInt64LE(off));
  expect(off).toBe(idx.length);
  const bin = readFileSync(`${prefix}.bin`);
  const size = { 1: 1, 4: 4, 8: 2 }[dtype as 1 | 4 | 8];
  const sequences = lengths.map((len, i) => {
    const p = Number(pointers[i]);
    const out: number[] = [];
    for (let k = 0; k < len; k++) {
      const at = p + k * size;
      out.push(
        dtype === 8 ? bin.readUInt16LE(at) : dtype === 4 ? bin.readInt32LE(at) : bin.readUInt8(at),
      );
    }
    return out;
  });
  return { dtype, sequences, docIndices };
}

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('packed indexed datasets', () => {
  it('an independent MMIDIDX reader reads back exactly the tokens of every document (uint16)', async () => {
    const tok = await corpusTokenizer();
    const docs = (await euCorpusDocuments({ split: 'validation' })).slice(0, 300);
    const prefix = join(tmp.dir, 'val');
    const res = await packIndexedDataset(docs, tok, { outPrefix: prefix });
    const m = readMegatron(prefix);
    expect(m.dtype).toBe(8); // uint16 for a 2,000-token vocabulary
    expect(m.sequences.length).toBe(docs.length);
    expect(m.docIndices).toEqual(Array.from({ length: docs.length + 1 }, (_, i) => BigInt(i)));
    const eod = tok.tokenToId('<|endoftext|>')!;
    docs.forEach((d, i) => {
      expect(m.sequences[i]).toEqual([...tok.encodeIds(d.text, { addSpecialTokens: false }), eod]);
    });
    // and the text comes back
    expect(tok.decode(m.sequences[5].slice(0, -1))).toBe(docs[5].text);
    expect(res.datasets[0].tokens).toBe(m.sequences.reduce((a, s) => a + s.length, 0));
    // our reader agrees with the independent one
    const ds = IndexedDataset.open(prefix);
    expect(Array.from(ds.get(7))).toEqual(m.sequences[7]);
    expect(ds.meta?.format).toBe('oellm-indexed-dataset');
    ds.close();
  });

  it('uses int32 for a vocabulary of 65,500 or more, read back token for token', async () => {
    // a stand-in tokenizer with a large vocabulary: ids from code points, shifted up
    const big: PackTokenizer = {
      vocabSize: 200_000,
      encodeIds: (text) => Array.from(text, (c) => 70_000 + (c.codePointAt(0) ?? 0)),
      tokenToId: (t) => (t === '</s>' ? 199_999 : undefined),
    };
    const docs = ['Ahoj světe', 'Γειά σου κόσμε', 'Tere maailm'].map((text, i) =>
      makeDocument({ id: `d${i}`, text }),
    );
    const prefix = join(tmp.dir, 'big');
    await packIndexedDataset(docs, big, { outPrefix: prefix });
    const m = readMegatron(prefix);
    expect(m.dtype).toBe(4);
    for (const [i, d] of docs.entries()) {
      expect(m.sequences[i]).toEqual([...big.encodeIds(d.text), 199_999]);
    }
  });

  it('the loader is seeded, covers every window once per epoch, and resumes exactly', async () => {
    const tok = await corpusTokenizer();
    const docs = (await euCorpusDocuments({ languages: ['fi', 'lv'], split: 'train' })).slice(
      0,
      40,
    );
    const prefix = join(tmp.dir, 'loader');
    await packIndexedDataset(docs, tok, { outPrefix: prefix });
    const ds = IndexedDataset.open(prefix);
    const L = 32;
    const a = ds.loader({ batchSize: 4, contextLength: L, seed: 7 });
    const windows = a.windows;
    expect(windows).toBe(Math.floor((ds.numTokens - 1) / L));
    // one epoch: every window start exactly once
    const all = ds.tokens(0, ds.numTokens);
    const seen = new Set<number>();
    const perEpoch = Math.floor(windows / 4);
    const firstBatches: Int32Array[] = [];
    for (let s = 0; s < perEpoch; s++) {
      const b = a.next();
      expect(b.epoch).toBe(0);
      if (s < 3) firstBatches.push(b.tokens);
      for (let r = 0; r < 4; r++) {
        const row = b.tokens.subarray(r * (L + 1), (r + 1) * (L + 1));
        // find which window this row is: rows are windows of the stream
        let found = -1;
        for (let w = 0; w < windows && found < 0; w++) {
          if (
            all[w * L] === row[0] &&
            all[w * L + L] === row[L] &&
            all.subarray(w * L, w * L + L + 1).every((v, k) => v === row[k])
          ) {
            if (!seen.has(w)) found = w;
          }
        }
        expect(found).toBeGreaterThanOrEqual(0);
        seen.add(found);
      }
    }
    expect(seen.size).toBe(perEpoch * 4);
    // same seed, same order; another seed, another order
    const again = ds.loader({ batchSize: 4, contextLength: L, seed: 7 });
    expect(Array.from(again.next().tokens)).toEqual(Array.from(firstBatches[0]));
    const other = ds.loader({ batchSize: 4, contextLength: L, seed: 8 });
    expect(Array.from(other.next().tokens)).not.toEqual(Array.from(firstBatches[0]));
    // resume: state after 2 batches gives the 3rd, and across an epoch boundary too
    const b = ds.loader({ batchSize: 4, contextLength: L, seed: 7 });
    b.next();
    b.next();
    const resumed = ds.loader({ batchSize: 4, contextLength: L, state: b.state() });
    expect(Array.from(resumed.next().tokens)).toEqual(Array.from(firstBatches[2]));
    for (let s = 0; s < perEpoch; s++) b.next();
    const st = b.state();
    const c = ds.loader({ batchSize: 4, contextLength: L, state: st });
    const x = b.next();
    const y = c.next();
    expect(y.epoch).toBe(x.epoch);
    expect(y.step).toBe(x.step);
    expect(Array.from(y.tokens)).toEqual(Array.from(x.tokens));
    expect(() => ds.loader({ batchSize: 5, contextLength: L, state: st })).toThrow(
      /state is for batchSize 4/,
    );
    ds.close();
  });

  it('says what is wrong with a damaged dataset and how to remake it', async () => {
    const tok = await corpusTokenizer();
    const prefix = join(tmp.dir, 'damaged');
    await packIndexedDataset([makeDocument({ id: 'a', text: 'Hello there, world.' })], tok, {
      outPrefix: prefix,
    });
    const idx = readFileSync(`${prefix}.idx`);
    writeFileSync(`${prefix}.idx`, Buffer.concat([Buffer.from('NOTANIDX\0'), idx.subarray(9)]));
    expect(() => IndexedDataset.open(prefix)).toThrow(/expected "MMIDIDX.*packIndexedDataset/);
    writeFileSync(`${prefix}.idx`, idx.subarray(0, idx.length - 4));
    expect(() => IndexedDataset.open(prefix)).toThrow(/truncated/);
    writeFileSync(`${prefix}.idx`, idx);
    writeFileSync(`${prefix}.bin`, readFileSync(`${prefix}.bin`).subarray(2));
    expect(() => IndexedDataset.open(prefix)).toThrow(/different runs or truncated/);
    expect(() => IndexedDataset.open(join(tmp.dir, 'nothing'))).toThrow(/not found/);
  });

  it('a tokenizer without an end-of-document token needs eodToken or appendEod: false', async () => {
    const t: PackTokenizer = {
      vocabSize: 300,
      encodeIds: (s) => Array.from(s, (c) => c.charCodeAt(0) % 256),
      tokenToId: () => undefined,
    };
    const prefix = join(tmp.dir, 'noeod');
    await expect(
      packIndexedDataset([makeDocument({ id: 'a', text: 'abc' })], t, { outPrefix: prefix }),
    ).rejects.toThrow(/eodToken/);
    await packIndexedDataset([makeDocument({ id: 'a', text: 'abc' })], t, {
      outPrefix: prefix,
      appendEod: false,
    });
    expect(readMegatron(prefix).sequences).toEqual([[97, 98, 99]]);
    // nothing temporary is left beside the output
    expect(
      readdirSync(tmp.dir).filter((f) => f.includes('.tmp-') || f.includes('.partial-')),
    ).toEqual([]);
    expect(existsSync(`${prefix}.ledger.jsonl`)).toBe(true);
  });
});
