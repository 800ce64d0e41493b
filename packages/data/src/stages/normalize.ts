/**
 * Unicode normalization stage: a normal form (NFC by default), control and invisible
 * characters removed, whitespace made regular. Documents that end up empty are removed.
 */
import { documentStage, type Stage } from '../pipeline.js';

export interface NormalizeOptions {
  /** Unicode normal form, or false to leave it. Default 'NFC'. */
  form?: 'NFC' | 'NFKC' | false;
  /**
   * Remove C0/C1 control characters other than tab and newline, the byte order mark, soft
   * hyphens, zero-width spaces and bidirectional formatting marks. ZWJ and ZWNJ stay (they
   * matter for emoji and some scripts). Default true.
   */
  controls?: boolean;
  /**
   * Line ends become '\n'; other Unicode spaces become ' '; runs of spaces and tabs one space;
   * spaces at line ends go; more than two newlines in a row become two; the text is trimmed.
   * Default true.
   */
  whitespace?: boolean;
}

// C0 but \t \n \r (handled by whitespace), DEL, C1, BOM, soft hyphen, ZWSP, LRM/RLM, bidi
// embeddings/overrides/isolates, word joiner and invisible operators, interlinear annotation
const CONTROL_RANGES: [number, number][] = [
  [0x00, 0x08],
  [0x0b, 0x0c],
  [0x0e, 0x1f],
  [0x7f, 0x9f],
  [0xad, 0xad],
  [0x200b, 0x200b],
  [0x200e, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x2064],
  [0x2066, 0x2069],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffb],
];
const IS_CONTROL = new Uint8Array(65536);
for (const [a, b] of CONTROL_RANGES) IS_CONTROL.fill(1, a, b + 1);

/** The text without the control and invisible characters above. */
function stripControls(t: string): string {
  let i = 0;
  while (i < t.length && IS_CONTROL[t.charCodeAt(i)] === 0) i++;
  if (i === t.length) return t;
  let out = t.slice(0, i);
  let from = i + 1;
  for (i = from; i < t.length; i++) {
    if (IS_CONTROL[t.charCodeAt(i)] === 1) {
      out += t.slice(from, i);
      from = i + 1;
    }
  }
  return out + t.slice(from);
}
const ODD_SPACES = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;

/** Normalizes a string as the stage does (exported for use outside pipelines). */
export function normalizeText(
  text: string,
  options: NormalizeOptions = {},
): { text: string; changes: string[] } {
  const changes: string[] = [];
  let t = text;
  const form = options.form ?? 'NFC';
  if (form) {
    const n = t.normalize(form);
    if (n !== t) changes.push(form.toLowerCase());
    t = n;
  }
  if (options.controls ?? true) {
    const n = stripControls(t);
    if (n !== t) changes.push('controls');
    t = n;
  }
  if (options.whitespace ?? true) {
    const n = t
      .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
      .replace(ODD_SPACES, ' ')
      .replace(/[ \t]+/g, ' ')
      .replace(/ ?\n ?/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    if (n !== t) changes.push('whitespace');
    t = n;
  }
  return { text: t, changes };
}

/** The normalization stage (ledger name 'normalize'); removes documents left empty ('empty'). */
export function normalize(options: NormalizeOptions = {}): Stage {
  const opts = {
    form: options.form ?? 'NFC',
    controls: options.controls ?? true,
    whitespace: options.whitespace ?? true,
  };
  return documentStage('normalize', opts, () => (doc, o) => {
    const { text, changes } = normalizeText(doc.text, opts);
    if (text === '') return o.remove('empty');
    for (const c of changes) o.change(c);
    doc.text = text;
    return doc;
  });
}
