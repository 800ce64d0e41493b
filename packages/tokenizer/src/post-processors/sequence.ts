import type { Encoding } from '../encoding.js';
import type { JsonObject } from '../json.js';
import type { PostProcessor } from './post-processor.js';

/** Applies post-processors in order. */
export class PostProcessorSequence implements PostProcessor {
  readonly type = 'Sequence';

  constructor(readonly processors: PostProcessor[]) {}

  process(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    let list = encodings;
    for (const p of this.processors) list = p.process(list, addSpecialTokens);
    return list;
  }

  toJSON(): JsonObject {
    return { type: this.type, processors: this.processors.map((p) => p.toJSON()) };
  }
}
