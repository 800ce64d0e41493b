/** The result of encoding one text (or a pair of texts). */
export interface Encoding {
  /** Token ids. */
  ids: number[];
  /** Token strings (for added tokens and Unigram unknowns: the text they cover). */
  tokens: string[];
  /**
   * [start, end) of each token in the input: UTF-16 units of the JS string by default (so
   * `text.slice(start, end)` works), or code points with `{ offsets: 'codePoint' }` (what the
   * Python and Node bindings of Hugging Face tokenizers report). Special tokens added by the
   * post-processor have [0, 0].
   */
  offsets: [number, number][];
  /** Segment ids (0 for the first text, usually 1 for the second of a pair). */
  typeIds: number[];
  /** 1 for tokens added by the post-processor (e.g. <s>), else 0. */
  specialTokensMask: number[];
  /** 1 for every token (no padding). */
  attentionMask: number[];
  /** Which input each token comes from (0: text, 1: pair), null for added special tokens. */
  sequenceIds: (number | null)[];
}

/** An empty encoding. */
export function emptyEncoding(): Encoding {
  return {
    ids: [],
    tokens: [],
    offsets: [],
    typeIds: [],
    specialTokensMask: [],
    attentionMask: [],
    sequenceIds: [],
  };
}

/** Concatenates encodings. */
export function mergeEncodings(list: Encoding[]): Encoding {
  if (list.length === 1) return list[0];
  const out = emptyEncoding();
  for (const e of list) {
    for (let i = 0; i < e.ids.length; i++) {
      out.ids.push(e.ids[i]);
      out.tokens.push(e.tokens[i]);
      out.offsets.push(e.offsets[i]);
      out.typeIds.push(e.typeIds[i]);
      out.specialTokensMask.push(e.specialTokensMask[i]);
      out.attentionMask.push(e.attentionMask[i]);
      out.sequenceIds.push(e.sequenceIds[i]);
    }
  }
  return out;
}
