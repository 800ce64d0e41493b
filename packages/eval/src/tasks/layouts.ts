/**
 * Layouts: how the records of common datasets become multiple-choice documents, with the
 * prompts lm-evaluation-harness uses for them.
 *
 * - `oellm` (default): `{ context, choices, gold, id?, lang? }` as they are.
 * - `belebele` (facebook/belebele): `flores_passage`, `question`, `mc_answer1..4`,
 *   `correct_answer_num` (1-4): "P: …\nQ: …\nA: …\nB: …\nC: …\nD: …\nAnswer:" with choices
 *   A-D.
 * - `arc` (allenai/ai2_arc): `question`, `choices.text`, `choices.label`, `answerKey`:
 *   "Question: …\nAnswer:".
 * - `hellaswag` (Rowan/hellaswag): `activity_label`, `ctx_a`, `ctx_b`, `endings`, `label`, with
 *   lm-evaluation-harness's clean-up of the WikiHow markup.
 * - `xnli` (facebook/xnli): `premise`, `hypothesis`, `label` (0 entailment, 1 neutral, 2
 *   contradiction): empty context, choices "premise, right? Yes, hypothesis" / "Also" / "No"
 *   (English words; pass `xnliWords` for another language).
 */
import type { McDoc, RecordReader } from './task-format.js';

export type TaskLayout = 'oellm' | 'belebele' | 'arc' | 'hellaswag' | 'xnli';

export const TASK_LAYOUTS: readonly TaskLayout[] = [
  'oellm',
  'belebele',
  'arc',
  'hellaswag',
  'xnli',
];

export interface LayoutOptions {
  /** XNLI's words for "right?", "Yes", "Also", "No" in the task's language. */
  xnliWords?: { right: string; yes: string; also: string; no: string };
}

/** Maps one record to a document through `layout`. */
export function applyLayout(
  layout: TaskLayout,
  r: RecordReader,
  options: LayoutOptions = {},
): McDoc {
  const id = r.optionalString('id');
  const lang = r.optionalString('lang');
  const meta = { ...(id !== undefined ? { id } : {}), ...(lang !== undefined ? { lang } : {}) };
  switch (layout) {
    case 'oellm': {
      const choices = r.strings('choices', 2);
      return {
        context: r.string('context'),
        choices,
        gold: r.index('gold', choices.length),
        ...meta,
      };
    }
    case 'belebele': {
      const answers = [1, 2, 3, 4].map((k) => r.string(`mc_answer${k}`));
      const context =
        `P: ${r.string('flores_passage')}\nQ: ${r.string('question').trim()}\n` +
        `A: ${answers[0]}\nB: ${answers[1]}\nC: ${answers[2]}\nD: ${answers[3]}\nAnswer:`;
      return {
        context,
        choices: ['A', 'B', 'C', 'D'],
        gold: r.index('correct_answer_num', 4, 1),
        ...meta,
        ...(lang === undefined && r.optionalString('dialect') !== undefined
          ? { lang: r.optionalString('dialect') }
          : {}),
      };
    }
    case 'arc': {
      const choices = r.strings('choices.text', 2);
      const labels = r.strings('choices.label', 2);
      if (labels.length !== choices.length) {
        r.fail('choices.label', `has ${labels.length} labels for ${choices.length} choices`);
      }
      const key = r.string('answerKey');
      const gold = labels.indexOf(key);
      if (gold < 0) r.fail('answerKey', `'${key}' is not one of the labels ${labels.join(', ')}`);
      return { context: `Question: ${r.string('question')}\nAnswer:`, choices, gold, ...meta };
    }
    case 'hellaswag': {
      const endings = r.strings('endings', 2);
      const ctx = `${r.string('ctx_a')} ${capitalize(r.string('ctx_b'))}`;
      return {
        context: hellaswagClean(`${r.string('activity_label')}: ${ctx}`),
        choices: endings.map(hellaswagClean),
        gold: r.index('label', endings.length),
        ...(r.optionalString('ind') !== undefined ? { id: r.optionalString('ind') } : meta),
      };
    }
    case 'xnli': {
      const w = options.xnliWords ?? { right: 'right?', yes: 'Yes', also: 'Also', no: 'No' };
      const premise = r.string('premise');
      const hypothesis = r.string('hypothesis');
      return {
        context: '',
        choices: [w.yes, w.also, w.no].map(
          (word) => `${premise}, ${w.right} ${word}, ${hypothesis}`,
        ),
        gold: r.index('label', 3),
        ...meta,
      };
    }
    default: {
      const never: never = layout;
      throw new Error(
        `task layout '${String(never)}' is unknown (expected one of ${TASK_LAYOUTS.join(', ')})`,
      );
    }
  }
}

/** Python's str.capitalize(): first character upper case, the rest lower case. */
function capitalize(s: string): string {
  const [first = '', ...rest] = Array.from(s);
  return first.toUpperCase() + rest.join('').toLowerCase();
}

/** lm-evaluation-harness's hellaswag `preprocess`. */
function hellaswagClean(text: string): string {
  return text
    .trim()
    .replaceAll(' [title]', '. ')
    .replace(/\[.*?\]/g, '')
    .replaceAll('  ', ' ');
}
