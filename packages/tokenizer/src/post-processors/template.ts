import { type Encoding, emptyEncoding } from '../encoding.js';
import type { JsonObject } from '../json.js';
import type { PostProcessor } from './post-processor.js';

/** One item of a template: a special token or one of the input sequences. */
export type TemplatePiece =
  | { kind: 'special'; id: string; typeId: number }
  | { kind: 'sequence'; id: 'A' | 'B'; typeId: number };

/** A special token of a template: its name and the ids/tokens it stands for. */
export interface TemplateSpecialToken {
  id: string;
  ids: number[];
  tokens: string[];
}

/**
 * Template post-processing: `single` and `pair` say where the special tokens and the
 * sequences go, e.g. `<s> $A` or `[CLS] $A [SEP] $B:1 [SEP]:1`.
 */
export class TemplateProcessing implements PostProcessor {
  readonly type = 'TemplateProcessing';

  constructor(
    readonly single: TemplatePiece[],
    readonly pair: TemplatePiece[],
    readonly specialTokens: Map<string, TemplateSpecialToken>,
  ) {
    for (const p of [...single, ...pair]) {
      if (p.kind === 'special' && !specialTokens.has(p.id)) {
        throw new Error(
          `special token '${p.id}' is used in the template but not in special_tokens`,
        );
      }
    }
  }

  /** Parses the `$A`/`$B:1`/`[CLS]` string form (as the Python and Node bindings accept). */
  static parseTemplate(template: string): TemplatePiece[] {
    return template
      .split(/\s+/)
      .filter((s) => s.length > 0)
      .map((item) => {
        const m = item.match(/^(.*?)(?::(\d+))?$/)!;
        const typeId = m[2] === undefined ? 0 : Number(m[2]);
        const name = m[1];
        if (name === '$A' || name === '$') return { kind: 'sequence', id: 'A', typeId };
        if (name === '$B') return { kind: 'sequence', id: 'B', typeId };
        if (/^\$\d+$/.test(name))
          return { kind: 'sequence', id: 'A', typeId: Number(name.slice(1)) };
        return { kind: 'special', id: name, typeId };
      });
  }

  process(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    const template = encodings.length > 1 ? this.pair : this.single;
    const out: Encoding[] = [];
    for (const piece of template) {
      if (piece.kind === 'sequence') {
        const e = encodings[piece.id === 'A' ? 0 : 1];
        if (!e) continue;
        e.typeIds.fill(piece.typeId);
        out.push(e);
      } else if (addSpecialTokens) {
        const tok = this.specialTokens.get(piece.id)!;
        const e = emptyEncoding();
        for (let i = 0; i < tok.ids.length; i++) {
          e.ids.push(tok.ids[i]);
          e.tokens.push(tok.tokens[i]);
          e.offsets.push([0, 0]);
          e.typeIds.push(piece.typeId);
          e.specialTokensMask.push(1);
          e.attentionMask.push(1);
          e.sequenceIds.push(null);
        }
        out.push(e);
      }
    }
    return out;
  }

  toJSON(): JsonObject {
    const piece = (p: TemplatePiece) =>
      p.kind === 'special'
        ? { SpecialToken: { id: p.id, type_id: p.typeId } }
        : { Sequence: { id: p.id, type_id: p.typeId } };
    const special: Record<string, unknown> = {};
    for (const [name, t] of this.specialTokens) {
      special[name] = { id: t.id, ids: [...t.ids], tokens: [...t.tokens] };
    }
    return {
      type: this.type,
      single: this.single.map(piece),
      pair: this.pair.map(piece),
      special_tokens: special,
    };
  }
}
