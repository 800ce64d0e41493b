/**
 * The commands on a trained model: quickstart (its --tiny preset makes the model the others
 * use), generate, chat (piped stdin, streaming), eval, card, export and finetune (full, LoRA).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, readSafetensors } from '@openeurollm/nn';
import { noGrad } from '@openeurollm/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

const dir = tempDir();
const run = join(dir, 'runs', 'tiny');

beforeAll(async () => {
  const r = await runCli(['quickstart', '--tiny'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
});

describe('oellm quickstart --tiny', () => {
  it('leaves a complete run folder: data + ledger, tokenizer, checkpoints, model, eval, report, card, AI Act summary', () => {
    for (const f of [
      'config.yaml',
      'run.json',
      'metrics.jsonl',
      'tokenizer/tokenizer.json',
      'data/corpus.train.bin',
      'data/corpus.ledger.jsonl',
      'model/config.json',
      'model/model.safetensors',
      'model/tokenizer.json',
      'model/README.md',
      'eval.json',
      'eval.md',
      'report.html',
      'MODEL_CARD.md',
      'datasheet.md',
      'training-content-summary.md',
      'training-content-summary.json',
    ]) {
      expect(existsSync(join(run, f)), f).toBe(true);
    }
    const ev = JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8'));
    expect(ev.perplexity.languages.map((l: { lang: string }) => l.lang).sort()).toEqual([
      'de',
      'en',
      'fr',
    ]);
    for (const l of ev.perplexity.languages) expect(l.bitsPerByte).toBeGreaterThan(0);
    expect(ev.samples.length).toBe(3);
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('id="bits-per-byte"');
    expect(html).toContain('id="loss-curve"');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained
    const card = readFileSync(join(run, 'MODEL_CARD.md'), 'utf8');
    expect(card).toMatch(/^---\nlanguage:\n {2}- de\n {2}- en\n {2}- fr\n/);
    expect(card).toContain('## Evaluation');
    expect(card).toContain('[TO FILL:');
  });

  it('refuses to overwrite the run without --force', async () => {
    const r = await runCli(['quickstart', '--tiny'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--force');
  });
});

describe('oellm generate', () => {
  it('continues a prompt, the same seed giving the same text', async () => {
    const a = await runCli(
      ['generate', 'runs/tiny', 'All human beings', '-n', '12', '--seed', '3'],
      { cwd: dir },
    );
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.startsWith('All human beings')).toBe(true);
    expect(a.stderr).toMatch(/\d+ tokens in/);
    const b = await runCli(
      ['generate', 'runs/tiny/model', 'All human beings', '-n', '12', '--seed', '3'],
      { cwd: dir },
    );
    expect(b.stdout).toBe(a.stdout);
  });

  it('--json gives the completions; a checkpoint folder works too; prompts can come from stdin', async () => {
    const r = await runCli(
      [
        'generate',
        'runs/tiny/checkpoints/step-00000030',
        'Alle Menschen',
        '--json',
        '-n',
        '5',
        '--samples',
        '2',
        '-t',
        '0',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.completions).toHaveLength(2);
    expect(j.completions[0].text).toBe(j.completions[1].text); // greedy
    const s = await runCli(['generate', 'runs/tiny', '-', '-n', '4'], {
      cwd: dir,
      input: 'Tous les êtres\n',
    });
    expect(s.stdout.startsWith('Tous les êtres')).toBe(true);
  });

  it('exits 2 on bad sampling options or a missing model', async () => {
    expect((await runCli(['generate', 'runs/tiny', 'x', '--top-p', '2'], { cwd: dir })).code).toBe(
      2,
    );
    const m = await runCli(['generate', 'runs/nope', 'x'], { cwd: dir });
    expect(m.code).toBe(2);
    expect(m.stderr).toContain("model 'runs/nope' does not exist");
    writeFileSync(join(dir, 'notamodel.txt'), 'x');
    expect((await runCli(['generate', 'notamodel.txt', 'x'], { cwd: dir })).code).toBe(2);
    expect((await runCli(['generate', 'runs', 'x'], { cwd: dir })).stderr).toContain(
      'no config.json',
    );
  });
});

describe('oellm chat', () => {
  it('answers each piped line, streaming tokens, and ends at end of input', async () => {
    const r = await runCli(['chat', 'runs/tiny/model', '-n', '16', '-t', '0.9'], {
      cwd: dir,
      input: 'Hello!\n/reset\nTranslate to German: good morning\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(1);
    expect(r.stderr).toContain('(conversation reset)');
    // streamed: the answers arrive in many writes, not one at the end
    expect(r.chunks.length).toBeGreaterThan(2);
  });

  it('--json records the turns', async () => {
    const r = await runCli(
      ['chat', 'runs/tiny', '--json', '-n', '6', '--system', 'You translate.'],
      { cwd: dir, input: 'one\ntwo\n/exit\nthree\n' },
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.turns.map((t: { user: string }) => t.user)).toEqual(['one', 'two']);
  });
});

describe('oellm eval', () => {
  it('scores languages, writes eval.json / eval.md / report.html where asked', async () => {
    const r = await runCli(
      [
        'eval',
        'runs/tiny/model',
        '--languages',
        'en,fr',
        '--max-bytes',
        '600',
        '--out',
        'ev',
        '--sample-tokens',
        '4',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/lang\s+texts\s+tokens\s+perplexity\s+bits\/byte/);
    expect(r.stdout).toMatch(/\nall\s+2\s+\d+/);
    const j = JSON.parse(readFileSync(join(dir, 'ev', 'eval.json'), 'utf8'));
    expect(j.perplexity.languages.map((l: { lang: string }) => l.lang)).toEqual(['en', 'fr']);
    expect(j.tokenizerParity.find((p: { lang: string }) => p.lang === 'en').parity).toBe(1);
    expect(readFileSync(join(dir, 'ev', 'eval.md'), 'utf8')).toContain('| fr |');
  });

  it('scores files grouped by language', async () => {
    writeFileSync(
      join(dir, 'held.jsonl'),
      `${JSON.stringify({ lang: 'en', text: 'Everyone has the right to education.' })}\n`,
    );
    const r = await runCli(
      ['eval', 'runs/tiny', '--files', 'held.jsonl', '--no-samples', '--json', '--out', 'ev2'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.perplexity.languages).toHaveLength(1);
    expect(j.samples).toEqual([]);
  });
});

describe('oellm card', () => {
  it('writes the card with provider and licence, datasheet and training-content summary', async () => {
    const r = await runCli(
      [
        'card',
        'runs/tiny',
        '--provider',
        'Example Lab',
        '--contact',
        'lab@example.eu',
        '--license',
        'apache-2.0',
        '--json',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const card = readFileSync(join(run, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('license: apache-2.0');
    expect(card).toContain('Provider: Example Lab');
    expect(readFileSync(join(run, 'model', 'README.md'), 'utf8')).toBe(card);
    const summary = JSON.parse(readFileSync(join(run, 'training-content-summary.json'), 'utf8'));
    expect(JSON.stringify(summary)).toContain('Example Lab');
    expect(readFileSync(join(run, 'datasheet.md'), 'utf8')).toContain('tiny training data');
  });

  it('exits 2 for a folder that is not a run', async () => {
    const r = await runCli(['card', 'ev'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a run folder');
  });
});

describe('oellm export and finetune', () => {
  it('exports a Hugging Face folder in float16 that loads back', async () => {
    const r = await runCli(['export', 'runs/tiny', '--out', 'hf16', '--dtype', 'float16'], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    for (const f of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'generation_config.json',
      'README.md',
    ]) {
      expect(existsSync(join(dir, 'hf16', f)), f).toBe(true);
    }
    expect(
      [...readSafetensors(join(dir, 'hf16', 'model.safetensors')).tensors.values()][0].dtype,
    ).toBe('F16');
    expect(loadModel(join(dir, 'hf16')).config.nLayers).toBe(1);
    expect(
      (await runCli(['export', 'runs/tiny', '--out', 'x', '--dtype', 'int4'], { cwd: dir })).code,
    ).toBe(2);
  });

  it('LoRA-tunes on the built-in translation instructions, writes a PEFT adapter and a merged model; export --adapter merges the same', async () => {
    const r = await runCli(
      [
        'finetune',
        'runs/tiny',
        '--lora',
        '--out',
        'lora',
        '--steps',
        '6',
        '--batch-size',
        '2',
        '--languages',
        'en,de',
        '--json',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.method).toBe('lora');
    expect(j.mergedModules.length).toBeGreaterThan(0);
    const adapter = JSON.parse(
      readFileSync(join(dir, 'lora', 'adapter', 'adapter_config.json'), 'utf8'),
    );
    expect(adapter.peft_type).toBe('LORA');
    expect(adapter.target_modules).toEqual(['q_proj', 'v_proj']);
    const first = JSON.parse(
      readFileSync(join(dir, 'lora', 'data', 'instructions.jsonl'), 'utf8').split('\n')[0],
    );
    expect(first.messages[0].content).toMatch(
      /^Translate from (English|German) to (English|German):\n/,
    );
    const e = await runCli(
      ['export', 'runs/tiny', '--adapter', 'lora/adapter', '--out', 'merged'],
      { cwd: dir },
    );
    expect(e.code, e.stderr).toBe(0);
    const a = loadModel(join(dir, 'merged'));
    const b = loadModel(join(dir, 'lora', 'model'));
    const ids = [[1, 2, 3, 4]];
    const [x, y] = noGrad(() => [
      a.forward(ids).data() as Float32Array,
      b.forward(ids).data() as Float32Array,
    ]);
    for (let i = 0; i < x.length; i += 97) expect(x[i]).toBeCloseTo(y[i], 4);
    // the tuned model chats
    const c = await runCli(['chat', 'lora/model', '-n', '4'], {
      cwd: dir,
      input: 'Translate from English to German:\nAll human beings\n',
    });
    expect(c.code, c.stderr).toBe(0);
  });

  it('fully tunes on a given chat JSONL; rejects a file with no usable conversation (exit 2)', async () => {
    const conv = {
      messages: [
        { role: 'user', content: 'Capital of Malta?' },
        { role: 'assistant', content: 'Valletta.' },
      ],
    };
    writeFileSync(
      join(dir, 'chat.jsonl'),
      `${Array.from({ length: 40 }, () => JSON.stringify(conv)).join('\n')}\n`,
    );
    const r = await runCli(
      [
        'finetune',
        'runs/tiny/model',
        '--data',
        'chat.jsonl',
        '--out',
        'full',
        '--steps',
        '3',
        '--batch-size',
        '2',
        '--json',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).method).toBe('full');
    expect(existsSync(join(dir, 'full', 'model', 'model.safetensors'))).toBe(true);
    writeFileSync(join(dir, 'bad.jsonl'), '{"messages": "nope"}\n');
    const bad = await runCli(['finetune', 'runs/tiny', '--data', 'bad.jsonl', '--out', 'bad'], {
      cwd: dir,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no usable conversations');
    const missing = await runCli(
      ['finetune', 'runs/tiny', '--data', 'none.jsonl', '--out', 'none'],
      { cwd: dir },
    );
    expect(missing.code).toBe(2);
  });
});
