import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import type { PreTokenizer } from './pre-tokenizer.js';

/** Applies pre-tokenizers in order, each to every piece the previous one made. */
export class PreTokenizerSequence implements PreTokenizer {
  readonly type = 'Sequence';

  constructor(readonly pretokenizers: PreTokenizer[]) {}

  preTokenize(text: NormalizedString, out: NormalizedString[]): void {
    let pieces = [text];
    for (let k = 0; k < this.pretokenizers.length; k++) {
      const p = this.pretokenizers[k];
      if (k === this.pretokenizers.length - 1) {
        for (const piece of pieces) p.preTokenize(piece, out);
        return;
      }
      const next: NormalizedString[] = [];
      for (const piece of pieces) p.preTokenize(piece, next);
      pieces = next;
    }
    for (const piece of pieces) out.push(piece);
  }

  toJSON(): JsonObject {
    return { type: this.type, pretokenizers: this.pretokenizers.map((p) => p.toJSON()) };
  }
}
