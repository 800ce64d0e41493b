import type { Encoding } from '../encoding.js';
import type { JsonObject } from '../json.js';
import type { PostProcessor } from './post-processor.js';
import { trimOffsets } from './trim-offsets.js';

/** Byte-level post-processing: optionally trims whitespace out of the offsets; adds no tokens. */
export class ByteLevelPostProcessor implements PostProcessor {
  readonly type = 'ByteLevel';

  constructor(
    readonly addPrefixSpace = true,
    readonly trimOffsets = true,
    readonly useRegex = true,
  ) {}

  process(encodings: Encoding[], _addSpecialTokens: boolean): Encoding[] {
    if (this.trimOffsets) for (const e of encodings) trimOffsets(e, this.addPrefixSpace);
    return encodings;
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      add_prefix_space: this.addPrefixSpace,
      trim_offsets: this.trimOffsets,
      use_regex: this.useRegex,
    };
  }
}
