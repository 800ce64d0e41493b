/**
 * Patterns (a literal string, a regex, or a character predicate) and the ways a split keeps
 * its delimiters, as Hugging Face tokenizers defines them. A match list is a flat array of
 * triples `[start, end, isMatch, …]` covering the input without gaps, in UTF-16 units.
 */
import { compileRegex } from './regex.js';

/** How a split treats the delimiters it found. */
export type SplitBehavior =
  | 'Removed'
  | 'Isolated'
  | 'MergedWithPrevious'
  | 'MergedWithNext'
  | 'Contiguous';

export const SPLIT_BEHAVIORS: readonly SplitBehavior[] = [
  'Removed',
  'Isolated',
  'MergedWithPrevious',
  'MergedWithNext',
  'Contiguous',
];

/** Something that finds the delimiters in a string. */
export interface Pattern {
  /** Triples [start, end, isMatch] covering `s`; [0, 0, 0] for the empty string. */
  findMatches(s: string): number[];
}

/** A literal string pattern (`{"String": "…"}`). */
export class StringPattern implements Pattern {
  constructor(readonly value: string) {}

  findMatches(s: string): number[] {
    if (s.length === 0) return [0, 0, 0];
    // an empty pattern matches nothing (HF reports the char count as end; we keep the string whole)
    if (this.value.length === 0) return [0, s.length, 0];
    const out: number[] = [];
    const n = this.value.length;
    let prev = 0;
    let at = s.indexOf(this.value);
    while (at >= 0) {
      if (prev !== at) out.push(prev, at, 0);
      out.push(at, at + n, 1);
      prev = at + n;
      at = s.indexOf(this.value, prev);
    }
    if (prev !== s.length) out.push(prev, s.length, 0);
    return out;
  }
}

/** A regex pattern (`{"Regex": "…"}`), Oniguruma syntax translated to JS. */
export class RegexPattern implements Pattern {
  readonly regex: RegExp;

  constructor(
    readonly source: string,
    regex?: RegExp,
  ) {
    this.regex = regex ?? compileRegex(source);
  }

  findMatches(s: string): number[] {
    if (s.length === 0) return [0, 0, 0];
    const out: number[] = [];
    const re = this.regex;
    re.lastIndex = 0;
    let prev = 0;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      const start = m.index;
      const end = start + m[0].length;
      // V8 can try zero-width assertions between the two halves of a surrogate pair;
      // Oniguruma only matches on character boundaries, so skip such a match
      if (
        start > 0 &&
        start < s.length &&
        isLowSurrogate(s, start) &&
        isHighSurrogate(s, start - 1)
      ) {
        re.lastIndex = start + 1;
        continue;
      }
      if (prev !== start) out.push(prev, start, 0);
      out.push(start, end, 1);
      prev = end;
      if (end === start) {
        // step over an empty match by one code point, as Oniguruma's find_iter does
        const c = s.charCodeAt(end);
        re.lastIndex = end + (c >= 0xd800 && c <= 0xdbff && end + 1 < s.length ? 2 : 1);
        if (re.lastIndex > s.length) break;
      }
    }
    if (prev !== s.length) out.push(prev, s.length, 0);
    return out;
  }
}

function isHighSurrogate(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Each code point for which `test` holds is a match of its own. */
export class CharPattern implements Pattern {
  constructor(readonly test: (cp: number) => boolean) {}

  findMatches(s: string): number[] {
    if (s.length === 0) return [0, 0, 0];
    const out: number[] = [];
    let last = 0;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      if (this.test(cp)) {
        if (last < i) out.push(last, i, 0);
        out.push(i, i + w, 1);
        last = i + w;
      }
      i += w;
    }
    if (last < s.length) out.push(last, s.length, 0);
    return out;
  }
}

/** Swaps matches and non-matches. */
export class InvertedPattern implements Pattern {
  constructor(readonly inner: Pattern) {}

  findMatches(s: string): number[] {
    const m = this.inner.findMatches(s);
    for (let k = 2; k < m.length; k += 3) m[k] = m[k] ? 0 : 1;
    return m;
  }
}

/**
 * Applies a split behavior to a match list; returns pairs [start, end, …] of the pieces to
 * keep (empty pieces included; callers drop them).
 */
export function splitRanges(matches: number[], behavior: SplitBehavior): number[] {
  const out: number[] = [];
  const n = matches.length;
  switch (behavior) {
    case 'Isolated':
      for (let k = 0; k < n; k += 3) out.push(matches[k], matches[k + 1]);
      return out;
    case 'Removed':
      for (let k = 0; k < n; k += 3) if (!matches[k + 2]) out.push(matches[k], matches[k + 1]);
      return out;
    case 'MergedWithPrevious': {
      let previousMatch = false;
      for (let k = 0; k < n; k += 3) {
        const isMatch = matches[k + 2] === 1;
        if (isMatch && !previousMatch && out.length > 0) out[out.length - 1] = matches[k + 1];
        else out.push(matches[k], matches[k + 1]);
        previousMatch = isMatch;
      }
      return out;
    }
    case 'MergedWithNext': {
      // walk backwards, then reverse
      const rev: number[] = [];
      let previousMatch = false;
      for (let k = n - 3; k >= 0; k -= 3) {
        const isMatch = matches[k + 2] === 1;
        if (isMatch && !previousMatch && rev.length > 0) rev[rev.length - 2] = matches[k];
        else rev.push(matches[k], matches[k + 1]);
        previousMatch = isMatch;
      }
      for (let k = rev.length - 2; k >= 0; k -= 2) out.push(rev[k], rev[k + 1]);
      return out;
    }
    case 'Contiguous': {
      let previousMatch = false;
      for (let k = 0; k < n; k += 3) {
        const isMatch = matches[k + 2] === 1;
        if (isMatch === previousMatch && out.length > 0) out[out.length - 1] = matches[k + 1];
        else out.push(matches[k], matches[k + 1]);
        previousMatch = isMatch;
      }
      return out;
    }
    default: {
      const never: never = behavior;
      throw new Error(`splitRanges: unknown behavior ${String(never)}`);
    }
  }
}
