/**
 * A piece of the input text as the pipeline changes it, with the way back to the original:
 * for every UTF-16 unit of the normalized text, the [start, end) range of the original text
 * (in UTF-16 units of the whole input) that it came from. Offsets of tokens are mapped back
 * through these alignments, following Hugging Face's NormalizedString rules (a replaced
 * character inherits the alignment of the character it replaces, an inserted one that of the
 * character before it).
 *
 * Two representations keep the common cases cheap: `align === null` means the piece is an
 * untouched slice of the input starting at `shift`; a byte-level piece (`byteSource` set) is
 * materialized only when something asks for its text or alignments.
 */
import type { Pattern, SplitBehavior } from './pattern.js';
import { splitRanges } from './pattern.js';
import { BYTE_TO_CODE } from './unicode.js';

type UnicodeForm = 'NFC' | 'NFD' | 'NFKC' | 'NFKD';

const CLUSTER_RE = /[\s\S][\p{M}\u1160-\u11FF]*/gu;

export class NormalizedString {
  private _normalized: string | null;
  private _align: Int32Array | null;
  /** The piece this byte-level piece was made from (ByteLevel pre-tokenizer), or null. */
  byteSource: NormalizedString | null = null;
  private _ascii = -1;

  private constructor(
    normalized: string | null,
    align: Int32Array | null,
    /** Original offset of unit 0 when `align` is null (an untouched slice). */
    public shift: number,
    /** The range of the original text this piece covers (HF offsets_original). */
    public origStart: number,
    public origEnd: number,
  ) {
    this._normalized = normalized;
    this._align = align;
  }

  /** The untouched slice [start, end) of `text`. */
  static fromOriginal(text: string, start = 0, end = text.length): NormalizedString {
    return new NormalizedString(text.slice(start, end), null, start, start, end);
  }

  /** The byte-level view of `source`: every UTF-8 byte becomes one GPT-2 byte character. */
  static byteLevel(source: NormalizedString): NormalizedString {
    const ns = new NormalizedString(null, null, source.shift, source.origStart, source.origEnd);
    ns.byteSource = source;
    return ns;
  }

  get normalized(): string {
    if (this._normalized === null) this.materializeByteLevel();
    return this._normalized!;
  }

  get length(): number {
    return this.normalized.length;
  }

  /** True when the alignments are the identity (an untouched slice at `shift`). */
  get isIdentity(): boolean {
    if (this.byteSource) return this.byteSource._align === null && this.sourceIsAscii();
    return this._align === null;
  }

  private sourceIsAscii(): boolean {
    if (this._ascii < 0) {
      const s = this.byteSource!.normalized;
      let ascii = 1;
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) > 0x7f) {
          ascii = 0;
          break;
        }
      }
      this._ascii = ascii;
    }
    return this._ascii === 1;
  }

  /** The alignments (two Int32 per normalized unit), materialized if needed. */
  get align(): Int32Array {
    if (this._align === null) {
      if (this.byteSource && !this.isIdentity) {
        this._align = this.byteLevelAlign();
        return this._align;
      }
      const s = this.normalized;
      const n = s.length;
      const a = new Int32Array(n * 2);
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        // both units of a surrogate pair align to the whole character
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
          const d = s.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            a[2 * i] = a[2 * i + 2] = this.shift + i;
            a[2 * i + 1] = a[2 * i + 3] = this.shift + i + 2;
            i++;
            continue;
          }
        }
        a[2 * i] = this.shift + i;
        a[2 * i + 1] = this.shift + i + 1;
      }
      this._align = a;
    }
    return this._align;
  }

  /** The byte-level text: every UTF-8 byte of the source as its GPT-2 byte character. */
  private materializeByteLevel(): void {
    this._normalized = toByteLevel(this.byteSource!.normalized);
  }

  /** Alignments of a byte-level piece: each byte takes its source character's alignment. */
  private byteLevelAlign(): Int32Array {
    const src = this.byteSource!;
    const map = byteToSourceUnits(src.normalized);
    const a = new Int32Array(map.length);
    for (let b = 0; b < map.length; b += 2) {
      const r = src.originalRange(map[b], map[b + 1]);
      a[b] = r[0];
      a[b + 1] = r[1];
    }
    return a;
  }

  /** Original start of normalized unit `u`. */
  private alignStart(u: number): number {
    return this.isIdentity ? this.shift + u : this.align[2 * u];
  }

  /**
   * The original range of the normalized range [start, end): from the start of the first unit
   * to the end of the last. An empty range maps to an empty range at its start.
   */
  originalRange(start: number, end: number): [number, number] {
    if (start < end) {
      if (this.isIdentity) return [this.shift + start, this.shift + end];
      const a = this.align;
      return [a[2 * start], a[2 * end - 1]];
    }
    if (this.length === 0 && start === 0 && end === 0) return [this.origStart, this.origEnd];
    const at = start < this.length ? this.alignStart(start) : this.origEnd;
    return [at, at];
  }

  /** The sub-piece for the normalized range [start, end). */
  slice(start: number, end: number): NormalizedString {
    const [os, oe] = this.originalRange(start, end);
    const text = this.normalized.slice(start, end);
    if (this.isIdentity) return new NormalizedString(text, null, this.shift + start, os, oe);
    return new NormalizedString(text, this.align.subarray(2 * start, 2 * end), 0, os, oe);
  }

  /** Splits by a pattern with a delimiter behavior; empty pieces are dropped. */
  split(
    pattern: Pattern,
    behavior: SplitBehavior,
    out: NormalizedString[] = [],
  ): NormalizedString[] {
    const ranges = splitRanges(pattern.findMatches(this.normalized), behavior);
    for (let k = 0; k < ranges.length; k += 2) {
      if (ranges[k] < ranges[k + 1]) out.push(this.slice(ranges[k], ranges[k + 1]));
    }
    return out;
  }

  /** Replaces the whole text; `align` gives the new alignments (null keeps identity). */
  private set(normalized: string, align: Int32Array | null): void {
    this.byteSource = null;
    this._normalized = normalized;
    this._align = align;
  }

  /**
   * HF's transform: `cps` are the new code points, `changes[i]` says how the i-th relates to
   * the old text (0: replaces one old char, +1: inserted, -n: replaces one and removes n more);
   * the first `initialOffset` old chars are removed.
   */
  transform(cps: ArrayLike<number>, changes: ArrayLike<number>, initialOffset = 0): void {
    const s = this.normalized;
    const align = this.align;
    const width = (u: number) => {
      const c = s.charCodeAt(u);
      return c >= 0xd800 && c <= 0xdbff && u + 1 < s.length ? 2 : 1;
    };
    let idx = 0;
    for (let k = 0; k < initialOffset && idx < s.length; k++) idx += width(idx);
    const out: string[] = [];
    const newAlign: number[] = [];
    for (let k = 0; k < cps.length; k++) {
      const cp = cps[k];
      const change = changes[k];
      let a0: number;
      let a1: number;
      if (change > 0) {
        if (idx < 1) {
          a0 = this.origStart;
          a1 = this.origStart;
        } else {
          a0 = align[2 * (idx - 1)];
          a1 = align[2 * (idx - 1) + 1];
        }
      } else {
        if (idx < s.length) {
          a0 = align[2 * idx];
          a1 = align[2 * idx + 1];
          idx += width(idx);
        } else {
          a0 = this.origEnd;
          a1 = this.origEnd;
        }
        for (let r = 0; r < -change && idx < s.length; r++) idx += width(idx);
      }
      const ch = String.fromCodePoint(cp);
      out.push(ch);
      newAlign.push(a0, a1);
      if (ch.length === 2) newAlign.push(a0, a1);
    }
    this.set(out.join(''), Int32Array.from(newAlign));
  }

  /** Inserts `prefix` before the text; the new chars take the first char's alignment. */
  prepend(prefix: string): void {
    const s = this.normalized;
    if (s.length === 0 || prefix.length === 0) return;
    const a0 = this.alignStart(0);
    // the first char may be a surrogate pair: both units share the alignment
    const a1 = this.isIdentity ? this.shift + (s.codePointAt(0)! > 0xffff ? 2 : 1) : this.align[1];
    const old = this.align;
    const align = new Int32Array(old.length + 2 * prefix.length);
    for (let i = 0; i < prefix.length; i++) {
      align[2 * i] = a0;
      align[2 * i + 1] = a1;
    }
    align.set(old, 2 * prefix.length);
    this.set(prefix + s, align);
  }

  /**
   * Replaces every match of `pattern` by `content`; the content takes the alignment of the
   * last unit of the match (an empty content removes the match).
   */
  replace(pattern: Pattern, content: string): void {
    const s = this.normalized;
    const matches = pattern.findMatches(s);
    let any = false;
    for (let k = 2; k < matches.length; k += 3) {
      if (matches[k]) {
        any = true;
        break;
      }
    }
    if (!any) return;
    // identity is kept when every match is one unit replaced by one unit
    let keepsIdentity = this.isIdentity && content.length === 1;
    if (keepsIdentity) {
      for (let k = 0; k < matches.length; k += 3) {
        if (matches[k + 2] && matches[k + 1] - matches[k] !== 1) {
          keepsIdentity = false;
          break;
        }
      }
    }
    const parts: string[] = [];
    if (keepsIdentity) {
      for (let k = 0; k < matches.length; k += 3) {
        parts.push(matches[k + 2] ? content : s.slice(matches[k], matches[k + 1]));
      }
      const shift = this.shift;
      this.set(parts.join(''), null);
      this.shift = shift;
      return;
    }
    const old = this.align;
    const align: number[] = [];
    for (let k = 0; k < matches.length; k += 3) {
      const start = matches[k];
      const end = matches[k + 1];
      if (!matches[k + 2]) {
        parts.push(s.slice(start, end));
        for (let u = start; u < end; u++) align.push(old[2 * u], old[2 * u + 1]);
        continue;
      }
      parts.push(content);
      let a0: number;
      let a1: number;
      if (end < 1) {
        a0 = this.origStart;
        a1 = this.origStart;
      } else {
        a0 = old[2 * (end - 1)];
        a1 = old[2 * (end - 1) + 1];
      }
      for (let u = 0; u < content.length; u++) align.push(a0, a1);
    }
    this.set(parts.join(''), Int32Array.from(align));
  }

  /** Lowercases code point by code point (Rust char::to_lowercase; no final-sigma rule). */
  lowercase(): void {
    const s = this.normalized;
    if (s.toLowerCase() === s) return;
    const cps: number[] = [];
    const changes: number[] = [];
    let sameShape = true;
    for (const ch of s) {
      const l = ch.toLowerCase();
      let first = true;
      for (const c of l) {
        cps.push(c.codePointAt(0)!);
        changes.push(first ? 0 : 1);
        first = false;
      }
      if (l.length !== ch.length) sameShape = false;
    }
    if (sameShape) {
      const shift = this.shift;
      const align = this.isIdentity ? null : this.align;
      let text = '';
      for (let k = 0; k < cps.length; k += 4096)
        text += String.fromCodePoint(...cps.slice(k, k + 4096));
      this.set(text, align);
      this.shift = shift;
      return;
    }
    this.transform(cps, changes);
  }

  /**
   * Unicode normalization (NFC, NFD, NFKC, NFKD). Alignments follow the crate HF uses: each
   * character decomposes into its first char (change 0) and inserted ones (+1), marks are
   * reordered with their changes, and a composed character absorbs the changes of what it
   * composes (a starter absorbing one original mark gets -1).
   */
  normalizeUnicode(form: UnicodeForm): void {
    const s = this.normalized;
    const whole = s.normalize(form);
    if (whole === s) return;
    let clusters = s.match(CLUSTER_RE) ?? [];
    if (clusters.map((c) => c.normalize(form)).join('') !== whole) clusters = [s];
    const cps: number[] = [];
    const changes: number[] = [];
    let skip = 0;
    for (const cluster of clusters) {
      const normalized = cluster.normalize(form);
      if (normalized === cluster) {
        for (const ch of cluster) {
          cps.push(ch.codePointAt(0)!);
          changes.push(0);
        }
        continue;
      }
      const [outCps, outChanges] = alignCluster(cluster, normalized, form);
      if (outCps.length === 0) {
        // the cluster vanished: its chars are removed by the char before, or skipped up front
        const m = countCodePoints(cluster);
        if (changes.length > 0) changes[changes.length - 1] -= m;
        else skip += m;
        continue;
      }
      for (let k = 0; k < outCps.length; k++) {
        cps.push(outCps[k]);
        changes.push(outChanges[k]);
      }
    }
    this.transform(cps, changes, skip);
  }

  /** Keeps the code points for which `keep` holds. */
  filter(keep: (cp: number) => boolean): void {
    const s = this.normalized;
    const cps: number[] = [];
    const changes: number[] = [];
    let removedStart = 0;
    let removed = 0;
    let last = -1;
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (keep(cp)) {
        if (last >= 0) {
          cps.push(last);
          changes.push(-removed);
        } else {
          removedStart = removed;
        }
        last = cp;
        removed = 0;
      } else {
        removed++;
      }
    }
    if (last >= 0) {
      cps.push(last);
      changes.push(-removed);
    }
    if (cps.length === countCodePoints(s)) return;
    this.transform(cps, changes, removedStart);
  }

  /** Maps each code point to another (same alignment). */
  map(f: (cp: number) => number): void {
    const s = this.normalized;
    const cps: number[] = [];
    let changed = false;
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      const m = f(cp);
      if (m !== cp) changed = true;
      cps.push(m);
    }
    if (!changed) return;
    this.transform(
      cps,
      cps.map(() => 0),
    );
  }

  /** Strips leading and/or trailing characters for which `test` holds. */
  strip(left: boolean, right: boolean, test: (cp: number) => boolean): void {
    const s = this.normalized;
    let start = 0;
    let end = s.length;
    if (left) {
      while (start < end) {
        const cp = s.codePointAt(start)!;
        if (!test(cp)) break;
        start += cp > 0xffff ? 2 : 1;
      }
    }
    if (right) {
      while (end > start) {
        const c = s.charCodeAt(end - 1);
        const w = c >= 0xdc00 && c <= 0xdfff && end - 2 >= start ? 2 : 1;
        const cp = s.codePointAt(end - w)!;
        if (!test(cp)) break;
        end -= w;
      }
    }
    if (start === 0 && end === s.length) return;
    const sliced = this.slice(start, end);
    this.set(sliced.normalized, sliced._align);
    this.shift = sliced.shift;
  }
}

/** `s` in GPT-2's byte-level alphabet: every UTF-8 byte as one visible character (lone surrogates as U+FFFD). */
export function toByteLevel(s: string): string {
  const codes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp < 0x80) {
      codes.push(BYTE_TO_CODE[cp]);
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (cp <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    }
    if (cp < 0x800) {
      codes.push(BYTE_TO_CODE[0xc0 | (cp >> 6)], BYTE_TO_CODE[0x80 | (cp & 0x3f)]);
    } else if (cp < 0x10000) {
      codes.push(
        BYTE_TO_CODE[0xe0 | (cp >> 12)],
        BYTE_TO_CODE[0x80 | ((cp >> 6) & 0x3f)],
        BYTE_TO_CODE[0x80 | (cp & 0x3f)],
      );
    } else {
      codes.push(
        BYTE_TO_CODE[0xf0 | (cp >> 18)],
        BYTE_TO_CODE[0x80 | ((cp >> 12) & 0x3f)],
        BYTE_TO_CODE[0x80 | ((cp >> 6) & 0x3f)],
        BYTE_TO_CODE[0x80 | (cp & 0x3f)],
      );
    }
  }
  let text = '';
  if (codes.length <= 4096) text = String.fromCharCode.apply(null, codes);
  else {
    for (let k = 0; k < codes.length; k += 4096) {
      text += String.fromCharCode.apply(null, codes.slice(k, k + 4096));
    }
  }
  return text;
}

/**
 * For each UTF-8 byte of `s`: the [start, end) UTF-16 units of the character it belongs to
 * (two Int32 per byte). Lone surrogates count as U+FFFD (3 bytes).
 */
export function byteToSourceUnits(s: string): Int32Array {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  const out = new Int32Array(bytes * 2);
  let b = 0;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    let w = 1;
    let n: number;
    if (c < 0x80) n = 1;
    else if (c < 0x800) n = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n = 4;
        w = 2;
      } else n = 3;
    } else n = 3;
    for (let k = 0; k < n; k++) {
      out[b++] = i;
      out[b++] = i + w;
    }
    i += w;
  }
  return out;
}

/**
 * The (code point, change) pairs of one normalized cluster, following HF's alignment crate.
 * Falls back to a positional pairing when the normalizer does something this does not model.
 */
function alignCluster(
  cluster: string,
  normalized: string,
  form: UnicodeForm,
): [number[], number[]] {
  const decomposeForm = form === 'NFC' || form === 'NFD' ? 'NFD' : 'NFKD';
  // decompose char by char: first char keeps the position, the rest are insertions
  let dChars: number[] = [];
  let dChanges: number[] = [];
  for (const ch of cluster) {
    let first = true;
    for (const d of ch.normalize(decomposeForm)) {
      dChars.push(d.codePointAt(0)!);
      dChanges.push(first ? 0 : 1);
      first = false;
    }
  }
  // canonical reordering: the changes travel with their chars
  const ordered = [...cluster.normalize(decomposeForm)].map((c) => c.codePointAt(0)!);
  if (ordered.length !== dChars.length) return positional(cluster, normalized);
  if (ordered.some((c, k) => c !== dChars[k])) {
    const used = new Uint8Array(dChars.length);
    const changes: number[] = [];
    for (const c of ordered) {
      const k = dChars.findIndex((d, idx) => d === c && !used[idx]);
      if (k < 0) return positional(cluster, normalized);
      used[k] = 1;
      changes.push(dChanges[k]);
    }
    dChars = ordered;
    dChanges = changes;
  }
  if (form === 'NFD' || form === 'NFKD') return [dChars, dChanges];
  // recomposition: each output char takes the next unconsumed char as its starter and absorbs
  // the marks it is made of
  const consumed = new Uint8Array(dChars.length);
  const outCps: number[] = [];
  const outChanges: number[] = [];
  let next = 0;
  for (const c of normalized) {
    while (next < dChars.length && consumed[next]) next++;
    const parts = [...c.normalize('NFD')].map((x) => x.codePointAt(0)!);
    if (next >= dChars.length || dChars[next] !== parts[0]) return positional(cluster, normalized);
    consumed[next] = 1;
    let change = dChanges[next];
    let from = next + 1;
    for (let p = 1; p < parts.length; p++) {
      let k = from;
      while (k < dChars.length && (consumed[k] || dChars[k] !== parts[p])) k++;
      if (k >= dChars.length) return positional(cluster, normalized);
      consumed[k] = 1;
      change += dChanges[k] - 1;
      from = k + 1;
    }
    outCps.push(c.codePointAt(0)!);
    outChanges.push(change);
  }
  if (consumed.some((x) => x === 0)) return positional(cluster, normalized);
  return [outCps, outChanges];
}

/** The first output chars replace the first input chars; extra ones are inserted. */
function positional(cluster: string, normalized: string): [number[], number[]] {
  const m = countCodePoints(cluster);
  const out = [...normalized].map((c) => c.codePointAt(0)!);
  const k = out.length;
  const changes = out.map((_, j) => (k >= m ? (j < m ? 0 : 1) : j === 0 ? -(m - k) : 0));
  return [out, changes];
}

function countCodePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      n++;
    }
  }
  return n;
}
