/**
 * chrF, chrF++ and BLEU against the real sacreBLEU: its published test cases and sentence pairs
 * in all 24 EU languages, recorded by scripts/sacrebleu_fixtures.py in fixtures/sacrebleu.json.
 * Scores within 0.01, BLEU's statistics exactly, signatures and formatted lines equal up to the
 * version field (ours says `2.6.0+oellm`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BleuOptions,
  bleu,
  type ChrfOptions,
  chrf,
  SACREBLEU_VERSION,
  SIGNATURE_VERSION,
  sentenceBleu,
  sentenceChrf,
} from '../src/index.js';

interface Recorded {
  score: number;
  name: string;
  signature: string;
  formatted: string;
  counts?: number[];
  totals?: number[];
  precisions?: number[];
  bp?: number;
  sysLen?: number;
  refLen?: number;
}

interface Case {
  id: string;
  lang?: string;
  metric: 'bleu' | 'chrf';
  level: 'corpus' | 'sentence';
  set?: string;
  refStreams?: number;
  index?: number;
  hypotheses?: string[];
  hypothesis?: string;
  references?: (string | null)[][] | (string | null)[];
  options: BleuOptions & ChrfOptions;
  published?: number | null;
  sacrebleu: Recorded;
}

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'sacrebleu.json'), 'utf8'),
) as {
  format_version: string;
  sacrebleu_version: string;
  sets: Record<string, { hypotheses: string[]; references: (string | null)[][] }>;
  cases: Case[];
};

/** The inputs of a case: inline or from a shared set, as the script resolves them. */
function inputs(c: Case): { hyps: string[]; refs: (string | null)[][] } {
  if (c.set === undefined) {
    return c.level === 'corpus'
      ? { hyps: c.hypotheses!, refs: c.references as (string | null)[][] }
      : { hyps: [c.hypothesis!], refs: (c.references as (string | null)[]).map((r) => [r]) };
  }
  const s = fixture.sets[c.set];
  const streams = s.references.slice(0, c.refStreams);
  if (c.level === 'corpus') return { hyps: s.hypotheses, refs: streams };
  return { hyps: [s.hypotheses[c.index!]], refs: streams.map((r) => [r[c.index!]]) };
}

function run(c: Case) {
  const { hyps, refs } = inputs(c);
  if (c.level === 'sentence') {
    const r = refs.map((stream) => stream[0]) as string[];
    return c.metric === 'bleu'
      ? sentenceBleu(hyps[0], r, c.options)
      : sentenceChrf(hyps[0], r, c.options);
  }
  return c.metric === 'bleu' ? bleu(hyps, refs, c.options) : chrf(hyps, refs, c.options);
}

const ourVersion = (s: string) =>
  s.replace(`version:${fixture.sacrebleu_version}`, `version:${SIGNATURE_VERSION}`);

describe('sacreBLEU fixtures', () => {
  it('were made by the sacreBLEU version the metrics follow', () => {
    expect(fixture.format_version).toBe('1');
    expect(fixture.sacrebleu_version).toBe(SACREBLEU_VERSION);
    expect(SIGNATURE_VERSION).toBe(`${SACREBLEU_VERSION}+oellm`);
  });

  it('cover the published cases, all 24 EU languages and tokenizer edge cases', () => {
    const langs = new Set(fixture.cases.map((c) => c.lang).filter(Boolean));
    expect([...langs].sort().join(' ')).toBe(
      'bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv',
    );
    expect(fixture.cases.filter((c) => c.published != null).length).toBeGreaterThanOrEqual(50);
    expect(fixture.cases.filter((c) => c.id.startsWith('edge/')).length).toBeGreaterThanOrEqual(20);
  });
});

const groups: [string, (c: Case) => boolean][] = [
  ['published test cases', (c) => c.published !== undefined],
  ['24 EU languages (UDHR)', (c) => c.lang !== undefined],
  ['tokenizer and text edge cases', (c) => c.id.startsWith('edge/')],
];

for (const [title, pick] of groups) {
  describe(title, () => {
    const cases = fixture.cases.filter(pick);
    it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
      const ours = run(c);
      const ref = c.sacrebleu;
      expect(Math.abs(ours.score - ref.score)).toBeLessThanOrEqual(0.01);
      if (c.published != null) expect(Math.abs(ours.score - c.published)).toBeLessThan(0.01);
      expect(ours.name).toBe(ref.name);
      expect(ours.signature).toBe(ourVersion(ref.signature));
      expect(ours.formatted).toBe(ourVersion(ref.formatted));
      if (c.metric === 'bleu' && 'counts' in ours) {
        expect(ours.counts).toEqual(ref.counts);
        expect(ours.totals).toEqual(ref.totals);
        expect(ours.sysLen).toBe(ref.sysLen);
        expect(ours.refLen).toBe(ref.refLen);
        expect(ours.bp).toBeCloseTo(ref.bp!, 12);
        for (const [k, p] of ours.precisions.entries())
          expect(p).toBeCloseTo(ref.precisions![k], 10);
      }
    });
  });
}
