/**
 * Instruction data: chat template -> ids with a loss mask on assistant turns only, packed
 * with its mask twin and read back by the loader.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chatTokens,
  IndexedDataset,
  packChatDataset,
  readChatJsonl,
  readLedger,
} from '../src/node.js';
import { corpusTokenizer, tempDir } from './helpers.js';

// ChatML, as Qwen and others use it
const CHATML =
  '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const conversation = [
  { role: 'system', content: 'You answer briefly.' },
  { role: 'user', content: 'Wie heißt die Hauptstadt von Malta?' },
  { role: 'assistant', content: 'Valletta.' },
  { role: 'user', content: 'Und von Irland?' },
  { role: 'assistant', content: 'Dublin (Baile Átha Cliath).' },
];

describe('chat data', () => {
  it('masks exactly the assistant turns (content and end-of-turn), nothing else', async () => {
    const tok = await corpusTokenizer();
    const t = chatTokens(conversation, tok, { chatTemplate: CHATML });
    expect(t.ids.length).toBe(t.mask.length);
    // the trained tokens decode to the assistant answers with their end-of-turn markers
    const trained = t.ids.filter((_, i) => t.mask[i] === 1);
    expect(tok.decode(trained)).toBe(
      'Valletta.<|im_end|>\nDublin (Baile Átha Cliath).<|im_end|>\n',
    );
    const untrained = tok.decode(t.ids.filter((_, i) => t.mask[i] === 0));
    expect(untrained).toContain('Wie heißt die Hauptstadt von Malta?');
    expect(untrained).not.toContain('Valletta');
    expect(t.text).toBe(tok.applyChatTemplate(conversation, { chatTemplate: CHATML }));
  });

  it('refuses a template that does not render turns append-only', async () => {
    const tok = await corpusTokenizer();
    // shows only the last user message: earlier prefixes are not prefixes of the whole
    const lastOnly =
      "{% for m in messages %}{% if loop.last or m.role == 'assistant' %}{{ m.role }}: {{ m.content }}\n{% endif %}{% endfor %}";
    expect(() => chatTokens(conversation, tok, { chatTemplate: lastOnly })).toThrow(/append-only/);
    expect(() => chatTokens([{ role: 'robot', content: 'x' }], tok)).toThrow(/role must be one of/);
  });

  it('packs conversations with a mask twin; bad records are rejected with line; the loader returns masks', async () => {
    const tok = await corpusTokenizer();
    const lines = [
      JSON.stringify({ id: 'c1', messages: conversation }),
      '{"messages": "not a list"}',
      JSON.stringify({
        messages: [
          { role: 'user', content: 'Hola' },
          { role: 'assistant', content: '¡Hola! ¿En qué puedo ayudarte?' },
        ],
      }),
      'not json',
      ...Array.from({ length: 30 }, (_, i) =>
        JSON.stringify({
          messages: [
            { role: 'user', content: `Question ${i}?` },
            { role: 'assistant', content: `Answer number ${i}, explained in a few words.` },
          ],
        }),
      ),
    ];
    const file = join(tmp.dir, 'chat.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const prefix = join(tmp.dir, 'sft');
    const res = await packChatDataset(readChatJsonl(file, { license: 'CC-BY-4.0' }), tok, {
      outPrefix: prefix,
      chatTemplate: CHATML,
    });
    expect(res.datasets[0].documents).toBe(32);
    const ledger = readLedger(res.ledgerPath);
    const t = ledger.totals();
    expect(t.rejected.byReason).toEqual({ 'bad-messages': 1, 'invalid-json': 1 });
    expect(ledger.events.filter((e) => e.action === 'rejected').map((e) => e.line)).toEqual([2, 4]);
    expect(t.written.docs).toBe(32);
    const ds = IndexedDataset.open(prefix);
    expect(ds.mask).not.toBeNull();
    // sequence 0 is the first conversation: its mask is chatTokens' mask plus 0 for the EOD
    const expected = chatTokens(conversation, tok, { chatTemplate: CHATML });
    expect(Array.from(ds.get(0))).toEqual([...expected.ids, tok.tokenToId('<|endoftext|>')]);
    expect(Array.from(ds.mask!.get(0))).toEqual([...expected.mask, 0]);
    const b = ds.loader({ batchSize: 2, contextLength: 16, seed: 1 }).next();
    expect(b.mask).not.toBeNull();
    expect(b.mask!.length).toBe(b.tokens.length);
    // masks are 0/1 and some of each appear
    expect(new Set(ds.mask!.tokens(0, ds.numTokens))).toEqual(new Set([0, 1]));
    ds.close();
  });
});
