/**
 * Hypotheses and reference streams as sacreBLEU takes them: `references[k][i]` is the k-th
 * reference of sentence i; a missing reference (`null` / `undefined`) lets sentences have
 * different numbers of references. Unlike sacreBLEU (which zips and silently drops the tail),
 * counts that disagree are an error.
 */

export type ReferenceStreams = readonly (readonly (string | null | undefined)[])[];

/** The version of sacreBLEU whose behaviour the metrics reproduce (tested against it). */
export const SACREBLEU_VERSION = '2.6.0';

/** The `version` field of our signatures: sacreBLEU's behaviour, this implementation. */
export const SIGNATURE_VERSION = `${SACREBLEU_VERSION}+oellm`;

export interface CheckedReferences {
  /** refs[i]: the references of sentence i (missing ones left out). */
  refs: string[][];
  /** References per sentence as sacreBLEU's signature writes it: a number, or 'var'. */
  nrefs: number | 'var';
}

export function checkHypotheses(fn: string, hypotheses: readonly string[]): void {
  if (!Array.isArray(hypotheses)) {
    throw new TypeError(
      `${fn}: hypotheses must be an array of strings, received ${typeof hypotheses}`,
    );
  }
  if (hypotheses.length === 0) throw new RangeError(`${fn}: hypotheses is empty`);
  hypotheses.forEach((h, i) => {
    if (typeof h !== 'string') {
      throw new TypeError(`${fn}: hypotheses[${i}] must be a string, received ${describe(h)}`);
    }
  });
}

/** Checks the streams against the hypothesis count and regroups them per sentence. */
export function checkReferences(
  fn: string,
  references: ReferenceStreams,
  sentences: number,
): CheckedReferences {
  if (!Array.isArray(references)) {
    throw new TypeError(
      `${fn}: references must be an array of reference streams (references[k][i] is the k-th reference of sentence i), received ${describe(references)}`,
    );
  }
  if (references.length === 0) {
    throw new RangeError(`${fn}: references is empty: give at least one reference stream`);
  }
  references.forEach((stream, k) => {
    if (!Array.isArray(stream)) {
      throw new TypeError(
        `${fn}: references[${k}] must be an array of strings (one per hypothesis), received ${describe(stream)}; wrap a single stream as [stream]`,
      );
    }
    if (stream.length !== sentences) {
      throw new RangeError(
        `${fn}: references[${k}] has ${stream.length} sentences but there are ${sentences} hypotheses`,
      );
    }
  });
  const refs: string[][] = [];
  const counts = new Set<number>();
  for (let i = 0; i < sentences; i++) {
    const row: string[] = [];
    references.forEach((stream, k) => {
      const r = stream[i];
      if (r === null || r === undefined) return;
      if (typeof r !== 'string') {
        throw new TypeError(
          `${fn}: references[${k}][${i}] must be a string, received ${describe(r)}`,
        );
      }
      row.push(r);
    });
    if (row.length === 0) throw new RangeError(`${fn}: sentence ${i} has no reference`);
    counts.add(row.length);
    refs.push(row);
  }
  return { refs, nrefs: counts.size === 1 ? [...counts][0] : 'var' };
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v;
}
