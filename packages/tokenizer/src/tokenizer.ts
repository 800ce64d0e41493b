/**
 * The tokenizer: Hugging Face's pipeline (added tokens -> normalizer -> pre-tokenizer -> model
 * -> post-processor; decoder for the way back), read from and written to `tokenizer.json` so
 * that the same file gives the same ids here and in Hugging Face tokenizers.
 *
 * This is the browser-safe core: no file I/O. The Node entry (`@openeurollm/tokenizer` in
 * Node) adds `Tokenizer.fromFile` and `tokenizer.save`.
 */
import { AddedToken, type AddedTokenInit, AddedVocabulary } from './added-vocabulary.js';
import {
  type ChatMessage,
  type ChatTemplateOptions,
  renderChatTemplate,
  type TokenizerConfig,
} from './chat-template.js';
import { type Decoder, decoderFromJSON, decodeTokens } from './decoders/index.js';
import { type Encoding, mergeEncodings } from './encoding.js';
import {
  asArray,
  asObject,
  describe,
  type JsonObject,
  JsonPath,
  readBoolean,
  readInteger,
  readString,
} from './json.js';
import { BPE, type Model, modelFromJSON, type TokenSink } from './models/index.js';
import type { NormalizedString } from './normalized-string.js';
import { type Normalizer, normalizerFromJSON } from './normalizers/index.js';
import { type Pattern, RegexPattern, type SplitBehavior, splitRanges } from './pattern.js';
import { type PostProcessor, postProcessorFromJSON } from './post-processors/index.js';
import { gpt2Pattern } from './pre-tokenizers/byte-level.js';
import {
  ByteLevelPreTokenizer,
  type PreTokenizer,
  PreTokenizerSequence,
  preTokenizerFromJSON,
  Split,
} from './pre-tokenizers/index.js';
import { toWellFormed } from './unicode.js';

/** The parts a tokenizer is made of. */
export interface TokenizerParts {
  model: Model;
  normalizer?: Normalizer | null;
  preTokenizer?: PreTokenizer | null;
  postProcessor?: PostProcessor | null;
  decoder?: Decoder | null;
  /** Added tokens; without an id they get the model's id for their content, or a new one. */
  addedTokens?: (AddedToken | (AddedTokenInit & { id?: number }))[];
  /** tokenizer_config.json (chat template, special token names), if any. */
  config?: TokenizerConfig | null;
  /** tokenizer.json's truncation and padding, kept for toJSON (not applied by encode). */
  truncation?: unknown;
  padding?: unknown;
}

export interface EncodeOptions {
  /** Let the post-processor add special tokens (e.g. <s>). Default true. */
  addSpecialTokens?: boolean;
  /** A second text, encoded as a pair (e.g. question and context). */
  pair?: string;
  /**
   * Units of `offsets`: 'utf16' (default, indices into the JS string) or 'codePoint' (what the
   * Python and Node bindings of Hugging Face tokenizers report).
   */
  offsets?: 'utf16' | 'codePoint';
}

export interface DecodeOptions {
  /** Leave out special added tokens (<s>, <|eot_id|>, …). Default false. */
  skipSpecialTokens?: boolean;
}

export interface FromJSONOptions {
  /** tokenizer_config.json, for chat templates. */
  config?: TokenizerConfig | null;
  /** Name of the file, used in error messages. Default 'tokenizer.json'. */
  source?: string;
}

class EncodingBuilder implements TokenSink {
  ids: number[] = [];
  tokens: string[] = [];
  offsets: [number, number][] = [];

  push(id: number, value: string, start: number, end: number, piece: NormalizedString): void {
    this.ids.push(id);
    this.tokens.push(value);
    this.offsets.push(piece.originalRange(start, end));
  }
}

const HAS_SURROGATE = /[\uD800-\uDFFF]/;

/** Converts UTF-16 offsets into code point offsets for `text`. */
function toCodePointOffsets(text: string, offsets: [number, number][]): void {
  if (!HAS_SURROGATE.test(text)) return;
  const index = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    index[i] = cp;
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length;
    if (pair) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        index[i + 1] = cp;
        i++;
      }
    }
    cp++;
  }
  index[text.length] = cp;
  for (let k = 0; k < offsets.length; k++) {
    offsets[k] = [index[offsets[k][0]], index[offsets[k][1]]];
  }
}

/** Converts the code point offsets of an encoding back to UTF-16 units of its texts. */
function toUtf16Offsets(texts: string[], e: Encoding): void {
  const tables: (Int32Array | null)[] = texts.map((t) => {
    if (!HAS_SURROGATE.test(t)) return null;
    const table: number[] = [];
    let u = 0;
    for (const ch of t) {
      table.push(u);
      u += ch.length;
    }
    table.push(u);
    return Int32Array.from(table);
  });
  if (tables.every((t) => t === null)) return;
  for (let k = 0; k < e.offsets.length; k++) {
    const seq = e.sequenceIds[k];
    const table = seq === null ? null : tables[seq];
    if (table) e.offsets[k] = [table[e.offsets[k][0]], table[e.offsets[k][1]]];
  }
}

/**
 * The ids-only plan, for the pipeline of GPT-2, Llama-3, Qwen and our trained tokenizers: a
 * regex split, then byte-level, into a BPE. Ids then follow from substrings of the normalized
 * text alone, with no NormalizedString, token strings or offsets made per piece.
 */
interface IdsOnlyPlan {
  bpe: BPE;
  pattern: Pattern;
  behavior: SplitBehavior;
  /** The split regex made sticky, when the split is a regex that isolates its matches. */
  sticky: RegExp | null;
}

function plan(bpe: BPE, pattern: Pattern, behavior: SplitBehavior): IdsOnlyPlan {
  const sticky =
    pattern instanceof RegexPattern && behavior === 'Isolated'
      ? new RegExp(pattern.regex.source, pattern.regex.flags.replace('g', 'y'))
      : null;
  return { bpe, pattern, behavior, sticky };
}

/**
 * Appends the ids of `s` split by a sticky regex, without a match object per piece: at each
 * position the regex either matches (a piece) or not (the position joins a gap, which is a
 * piece too). Gives the pieces `findMatches` + Isolated give, empty matches included.
 */
function appendStickyIds(s: string, re: RegExp, bpe: BPE, ids: number[]): void {
  const len = s.length;
  let gap = -1;
  let p = 0;
  while (p < len) {
    re.lastIndex = p;
    if (re.test(s)) {
      const end = re.lastIndex;
      if (gap >= 0) {
        bpe.appendByteLevelIds(s.slice(gap, p), ids);
        gap = -1;
      }
      if (end > p) {
        bpe.appendByteLevelIds(s.slice(p, end), ids);
        p = end;
        continue;
      }
    }
    // no match here (or an empty one, which ends the gap before it): step one code point
    if (gap < 0) gap = p;
    const c = s.charCodeAt(p);
    p += c >= 0xd800 && c <= 0xdbff && p + 1 < len ? 2 : 1;
  }
  if (gap >= 0) bpe.appendByteLevelIds(s.slice(gap, len), ids);
}

function idsOnlyPlan(preTokenizer: PreTokenizer | null, model: Model): IdsOnlyPlan | null {
  if (!(model instanceof BPE)) return null;
  if (preTokenizer instanceof ByteLevelPreTokenizer) {
    if (preTokenizer.addPrefixSpace || !preTokenizer.useRegex) return null;
    return plan(model, gpt2Pattern(), 'Isolated');
  }
  if (preTokenizer instanceof PreTokenizerSequence && preTokenizer.pretokenizers.length === 2) {
    const [split, bytes] = preTokenizer.pretokenizers;
    if (!(split instanceof Split) || !(bytes instanceof ByteLevelPreTokenizer)) return null;
    if (bytes.addPrefixSpace || bytes.useRegex) return null;
    return plan(model, split.matcher, split.behavior);
  }
  return null;
}

export class Tokenizer {
  readonly model: Model;
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: Decoder | null;
  /** tokenizer_config.json, when loaded with one. */
  config: TokenizerConfig | null;
  readonly truncation: unknown;
  readonly padding: unknown;
  private readonly added = new AddedVocabulary();
  private warnedUnapplied = false;
  private readonly idsOnly: IdsOnlyPlan | null;

  constructor(parts: TokenizerParts) {
    if (!parts || typeof parts.model?.tokenize !== 'function') {
      throw new Error(
        'new Tokenizer: parts.model must be a Model (BPE, Unigram, WordPiece, WordLevel)',
      );
    }
    this.model = parts.model;
    this.normalizer = parts.normalizer ?? null;
    this.preTokenizer = parts.preTokenizer ?? null;
    this.postProcessor = parts.postProcessor ?? null;
    this.decoder = parts.decoder ?? null;
    this.config = parts.config ?? null;
    this.truncation = parts.truncation ?? null;
    this.padding = parts.padding ?? null;
    for (const t of parts.addedTokens ?? []) {
      if (t instanceof AddedToken) this.added.add(t);
      else this.added.add(new AddedToken(t.id ?? this.nextId(t.content), t.content, t));
    }
    this.added.refresh(this.normalizer);
    this.idsOnly = idsOnlyPlan(this.preTokenizer, this.model);
  }

  /** Reads a tokenizer from tokenizer.json (a parsed object or its text). */
  static fromJSON<T extends Tokenizer>(
    this: new (
      parts: TokenizerParts,
    ) => T,
    json: unknown,
    options: FromJSONOptions = {},
  ): T {
    const at = new JsonPath(options.source ?? 'tokenizer.json', '');
    let obj: JsonObject;
    if (typeof json === 'string') {
      try {
        obj = asObject(JSON.parse(json), at);
      } catch (e) {
        if (e instanceof SyntaxError) throw at.error(`not valid JSON: ${e.message}`);
        throw e;
      }
    } else {
      obj = asObject(json, at);
    }
    if (obj.model === undefined) throw at.error("no 'model': is this a tokenizer.json?");
    const model = modelFromJSON(obj.model, at.key('model'));
    const normalizer =
      obj.normalizer == null ? null : normalizerFromJSON(obj.normalizer, at.key('normalizer'));
    const preTokenizer =
      obj.pre_tokenizer == null
        ? null
        : preTokenizerFromJSON(obj.pre_tokenizer, at.key('pre_tokenizer'));
    const postProcessor =
      obj.post_processor == null
        ? null
        : postProcessorFromJSON(obj.post_processor, at.key('post_processor'));
    const decoder = obj.decoder == null ? null : decoderFromJSON(obj.decoder, at.key('decoder'));
    // ids are assigned as HF does when it reads the file: the model's id for a token in its
    // vocabulary, else the next free id after the vocabulary (the ids written are not read)
    const addedTokens: (AddedTokenInit & { id?: number })[] = [];
    const list = obj.added_tokens == null ? [] : asArray(obj.added_tokens, at.key('added_tokens'));
    list.forEach((item, i) => {
      const here = at.key('added_tokens').index(i).withComponent('AddedToken');
      const t = asObject(item, here);
      const special = readBoolean(t, 'special', here, false);
      if (t.id !== undefined) readInteger(t, 'id', here);
      addedTokens.push({
        content: readString(t, 'content', here),
        special,
        singleWord: readBoolean(t, 'single_word', here, false),
        lstrip: readBoolean(t, 'lstrip', here, false),
        rstrip: readBoolean(t, 'rstrip', here, false),
        normalized: readBoolean(t, 'normalized', here, !special),
      });
    });
    return new this({
      model,
      normalizer,
      preTokenizer,
      postProcessor,
      decoder,
      addedTokens,
      config: options.config ?? null,
      truncation: obj.truncation ?? null,
      padding: obj.padding ?? null,
    });
  }

  /** The tokenizer.json form (Hugging Face's format, version 1.0). */
  toJSON(): JsonObject {
    return {
      version: '1.0',
      truncation: (this.truncation ?? null) as JsonObject | null,
      padding: (this.padding ?? null) as JsonObject | null,
      added_tokens: [...this.added.tokens].sort((a, b) => a.id - b.id).map((t) => t.toJSON()),
      normalizer: this.normalizer?.toJSON() ?? null,
      pre_tokenizer: this.preTokenizer?.toJSON() ?? null,
      post_processor: this.postProcessor?.toJSON() ?? null,
      decoder: this.decoder?.toJSON() ?? null,
      model: this.model.toJSON(),
    };
  }

  /** Encodes a text (and optionally a pair) into ids, tokens and offsets. */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    if (typeof text !== 'string') {
      throw new Error(`Tokenizer.encode: text must be a string, got ${describe(text)}`);
    }
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const unit = options.offsets ?? 'utf16';
    if (unit !== 'utf16' && unit !== 'codePoint') {
      throw new Error(
        `Tokenizer.encode: options.offsets must be 'utf16' or 'codePoint', got ${describe(unit)}`,
      );
    }
    this.warnUnapplied();
    // offsets are in code points through post-processing (whose offset trimming counts
    // characters, as HF's does), then in UTF-16 units unless asked otherwise
    const texts = [text];
    const encodings = [this.encodeSequence(text, 0)];
    if (options.pair !== undefined) {
      if (typeof options.pair !== 'string') {
        throw new Error(
          `Tokenizer.encode: options.pair must be a string, got ${describe(options.pair)}`,
        );
      }
      texts.push(options.pair);
      encodings.push(this.encodeSequence(options.pair, 1));
    }
    const processed = this.postProcessor
      ? this.postProcessor.process(encodings, addSpecialTokens)
      : encodings;
    const out = mergeEncodings(processed);
    if (unit === 'utf16') toUtf16Offsets(texts, out);
    return out;
  }

  /** Encodes several texts (or [text, pair] tuples). */
  encodeBatch(
    inputs: (string | [string, string])[],
    options: Omit<EncodeOptions, 'pair'> = {},
  ): Encoding[] {
    if (!Array.isArray(inputs)) {
      throw new Error(`Tokenizer.encodeBatch: inputs must be an array, got ${describe(inputs)}`);
    }
    return inputs.map((input) =>
      typeof input === 'string'
        ? this.encode(input, options)
        : this.encode(input[0], { ...options, pair: input[1] }),
    );
  }

  /**
   * The token ids of a text: `encode(text, options).ids`, without making tokens and offsets.
   * For the common byte-level BPE pipelines (GPT-2, Llama-3, Qwen, ours) this skips the
   * per-piece bookkeeping entirely, which makes it the fast path for packing corpora.
   */
  encodeIds(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const plan = this.idsOnly;
    if (plan === null) return this.encode(text, { addSpecialTokens }).ids;
    if (typeof text !== 'string') {
      throw new Error(`Tokenizer.encodeIds: text must be a string, got ${describe(text)}`);
    }
    this.warnUnapplied();
    const ids: number[] = [];
    for (const split of this.added.extractAndNormalize(this.normalizer, toWellFormed(text))) {
      if (split.id >= 0) {
        ids.push(split.id);
        continue;
      }
      const s = split.text.normalized;
      if (plan.sticky !== null) {
        appendStickyIds(s, plan.sticky, plan.bpe, ids);
        continue;
      }
      // Isolated keeps every match and gap as a piece: the triples are the ranges already
      const matches = plan.pattern.findMatches(s);
      const step = plan.behavior === 'Isolated' ? 3 : 2;
      const ranges = step === 3 ? matches : splitRanges(matches, plan.behavior);
      for (let k = 0; k < ranges.length; k += step) {
        if (ranges[k] < ranges[k + 1]) {
          plan.bpe.appendByteLevelIds(s.slice(ranges[k], ranges[k + 1]), ids);
        }
      }
    }
    if (!addSpecialTokens || this.postProcessor === null) return ids;
    // the template adds its special tokens around the sequence (offsets do not matter here)
    const n = ids.length;
    const sequence: Encoding = {
      ids,
      tokens: ids.map((id) => this.idToToken(id) ?? ''),
      offsets: ids.map(() => [0, 0] as [number, number]),
      typeIds: new Array(n).fill(0),
      specialTokensMask: new Array(n).fill(0),
      attentionMask: new Array(n).fill(1),
      sequenceIds: new Array(n).fill(0),
    };
    return mergeEncodings(this.postProcessor.process([sequence], true)).ids;
  }

  private encodeSequence(text: string, sequence: number): Encoding {
    const clean = toWellFormed(text);
    const builder = new EncodingBuilder();
    const splits = this.added.extractAndNormalize(this.normalizer, clean);
    const pieces: NormalizedString[] = [];
    for (const split of splits) {
      if (split.id >= 0) {
        builder.push(split.id, split.text.normalized, 0, split.text.length, split.text);
        continue;
      }
      if (this.preTokenizer === null) {
        this.model.tokenize(split.text, builder);
        continue;
      }
      pieces.length = 0;
      this.preTokenizer.preTokenize(split.text, pieces);
      for (let k = 0; k < pieces.length; k++) this.model.tokenize(pieces[k], builder);
    }
    toCodePointOffsets(clean, builder.offsets);
    const n = builder.ids.length;
    return {
      ids: builder.ids,
      tokens: builder.tokens,
      offsets: builder.offsets,
      typeIds: new Array(n).fill(sequence),
      specialTokensMask: new Array(n).fill(0),
      attentionMask: new Array(n).fill(1),
      sequenceIds: new Array(n).fill(sequence),
    };
  }

  private warnUnapplied(): void {
    if (this.warnedUnapplied) return;
    this.warnedUnapplied = true;
    const parts = [this.truncation ? 'truncation' : '', this.padding ? 'padding' : ''].filter(
      Boolean,
    );
    if (parts.length > 0) {
      console.warn(
        `@openeurollm/tokenizer: tokenizer.json sets ${parts.join(' and ')}, which this package does not apply: encode returns full-length, unpadded encodings (truncate or pad the ids yourself)`,
      );
    }
  }

  /** Turns ids back into text; ids that are in no vocabulary are skipped, as HF does. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') {
      throw new Error(`Tokenizer.decode: ids must be an array of numbers, got ${describe(ids)}`);
    }
    const skip = options.skipSpecialTokens ?? false;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const added = this.added.byTokenId(id);
      if (added) {
        if (!(skip && added.special)) tokens.push(added.content);
        continue;
      }
      const t = this.model.idToToken(id);
      if (t === undefined) continue;
      if (skip && this.added.byToken(t)?.special) continue;
      tokens.push(t);
    }
    return this.decoder ? decodeTokens(this.decoder, tokens) : tokens.join(' ');
  }

  /** Decodes several id sequences. */
  decodeBatch(batch: ArrayLike<number>[], options: DecodeOptions = {}): string[] {
    return Array.from(batch, (ids) => this.decode(ids, options));
  }

  /** The id of a token (added tokens first, then the model's vocabulary). */
  tokenToId(token: string): number | undefined {
    return this.added.byToken(token)?.id ?? this.model.tokenToId(token);
  }

  /** The token of an id (added tokens first, then the model's vocabulary). */
  idToToken(id: number): string | undefined {
    return this.added.byTokenId(id)?.content ?? this.model.idToToken(id);
  }

  /** Number of distinct tokens, added tokens included (HF get_vocab_size(true)). */
  get vocabSize(): number {
    let n = this.model.vocabSize;
    for (const t of this.added.tokens) if (this.model.tokenToId(t.content) === undefined) n++;
    return n;
  }

  /** The whole vocabulary, added tokens included, as token -> id. */
  getVocab(withAddedTokens = true): Map<string, number> {
    const v = this.model.getVocab();
    if (withAddedTokens) for (const t of this.added.tokens) v.set(t.content, t.id);
    return v;
  }

  /** The added tokens (special and not), ordered by id. */
  get addedTokens(): AddedToken[] {
    return [...this.added.tokens].sort((a, b) => a.id - b.id);
  }

  private nextId(content: string): number {
    const inModel = this.model.tokenToId(content);
    if (inModel !== undefined) return inModel;
    const size = this.model.vocabSize;
    const max = this.added.maxId();
    if (max < 0) return size;
    return max >= size || size === 0 ? max + 1 : size;
  }

  /** Adds tokens (strings or definitions); returns how many were new. */
  addTokens(tokens: (string | AddedTokenInit)[]): number {
    let added = 0;
    for (const t of tokens) {
      const init: AddedTokenInit = typeof t === 'string' ? { content: t } : t;
      if (!init.content || this.added.byToken(init.content)) continue;
      this.added.add(new AddedToken(this.nextId(init.content), init.content, init));
      added++;
    }
    this.added.refresh(this.normalizer);
    return added;
  }

  /** Adds special tokens (matched in the raw text, skipped by skipSpecialTokens). */
  addSpecialTokens(tokens: string[]): number {
    return this.addTokens(tokens.map((content) => ({ content, special: true })));
  }

  /** Renders a conversation with the chat template of tokenizer_config.json (or `chatTemplate`). */
  applyChatTemplate(messages: ChatMessage[], options: ChatTemplateOptions = {}): string {
    return renderChatTemplate(messages, this.config, options);
  }
}
