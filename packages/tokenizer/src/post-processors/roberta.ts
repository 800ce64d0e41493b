import { type Encoding, emptyEncoding } from '../encoding.js';
import type { JsonObject } from '../json.js';
import type { PostProcessor } from './post-processor.js';
import { trimOffsets } from './trim-offsets.js';

function wrap(
  e: Encoding,
  before: [string, number][],
  after: [string, number][],
  typeId: number,
): Encoding {
  const out = emptyEncoding();
  const add = (t: [string, number]) => {
    out.ids.push(t[1]);
    out.tokens.push(t[0]);
    out.offsets.push([0, 0]);
    out.typeIds.push(typeId);
    out.specialTokensMask.push(1);
    out.attentionMask.push(1);
    out.sequenceIds.push(null);
  };
  before.forEach(add);
  for (let i = 0; i < e.ids.length; i++) {
    out.ids.push(e.ids[i]);
    out.tokens.push(e.tokens[i]);
    out.offsets.push(e.offsets[i]);
    out.typeIds.push(typeId);
    out.specialTokensMask.push(0);
    out.attentionMask.push(1);
    out.sequenceIds.push(e.sequenceIds[i]);
  }
  after.forEach(add);
  return out;
}

/** RoBERTa: `<s> A </s>` and `<s> A </s></s> B </s>`, all type id 0, byte-level offset trimming. */
export class RobertaProcessing implements PostProcessor {
  readonly type = 'RobertaProcessing';

  constructor(
    readonly sep: [string, number],
    readonly cls: [string, number],
    readonly trimOffsets = true,
    readonly addPrefixSpace = true,
  ) {}

  process(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    if (this.trimOffsets) for (const e of encodings) trimOffsets(e, this.addPrefixSpace);
    for (const e of encodings) e.typeIds.fill(0);
    if (!addSpecialTokens) return encodings;
    return encodings.map((e, i) =>
      i === 0 ? wrap(e, [this.cls], [this.sep], 0) : wrap(e, [this.sep], [this.sep], 0),
    );
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      sep: [...this.sep],
      cls: [...this.cls],
      trim_offsets: this.trimOffsets,
      add_prefix_space: this.addPrefixSpace,
    };
  }
}

/** BERT: `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]` with type id 1 for the second part. */
export class BertProcessing implements PostProcessor {
  readonly type = 'BertProcessing';

  constructor(
    readonly sep: [string, number],
    readonly cls: [string, number],
  ) {}

  process(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    if (!addSpecialTokens) return encodings;
    return encodings.map((e, i) =>
      i === 0 ? wrap(e, [this.cls], [this.sep], 0) : wrap(e, [], [this.sep], 1),
    );
  }

  toJSON(): JsonObject {
    return { type: this.type, sep: [...this.sep], cls: [...this.cls] };
  }
}
