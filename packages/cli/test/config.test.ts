/** Run configs: YAML or JSON, defaults filled in, errors that name the key and the expected type. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverrides, loadRunConfig, resolveRunConfig } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { runCli, TINY_CONFIG, tempDir } from './helpers.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('run configs', () => {
  it('fills in every default', () => {
    const c = resolveRunConfig({});
    expect(c.name).toBe('run');
    expect(c.model).toMatchObject({
      arch: 'llama',
      contextLength: 128,
      dModel: 128,
      tieEmbeddings: true,
    });
    expect(c.training).toMatchObject({ steps: 300, batchSize: 8, schedule: 'cosine' });
    expect(c.data.stages.nearDedup).toBe(true);
    expect(c.tokenizer.specialTokens[0]).toBe('<|endoftext|>');
  });

  it('an unknown key names its path and the keys allowed there', () => {
    const m = message(() => resolveRunConfig({ model: { dmodel: 64 } }, 'run.yaml'));
    expect(m).toContain('run.yaml: model.dmodel: unknown key');
    expect(m).toContain('dModel');
    expect(message(() => resolveRunConfig({ trainig: {} }))).toMatch(
      /trainig: unknown key \(allowed here: name, seed, .*training/,
    );
  });

  it('a wrong type names the key path, the expected type and what was found', () => {
    expect(message(() => resolveRunConfig({ model: { dModel: 'big' } }))).toContain(
      'model.dModel: expected a number, got string "big"',
    );
    expect(message(() => resolveRunConfig({ training: { steps: 2.5 } }))).toContain(
      'training.steps: expected an integer',
    );
    expect(message(() => resolveRunConfig({ training: { steps: -1 } }))).toContain(
      'training.steps: expected a number > 0, got number -1',
    );
    expect(message(() => resolveRunConfig({ model: { arch: 'mamba' } }))).toContain(
      'model.arch: expected one of "llama", "gpt2", got string "mamba"',
    );
    expect(message(() => resolveRunConfig({ data: { languages: ['en', 'xx'] } }))).toContain(
      'data.languages[1]: expected one of',
    );
    expect(message(() => resolveRunConfig({ data: { files: 'a.txt' } }))).toContain(
      'data.files: expected an array, got string "a.txt"',
    );
  });

  it('lists every problem at once', () => {
    const m = message(() => resolveRunConfig({ seed: 'x', model: { nLayers: 0 }, extra: 1 }));
    expect(m).toContain('3 problems');
    expect(m).toContain('seed:');
    expect(m).toContain('model.nLayers:');
    expect(m).toContain('extra: unknown key');
  });

  it('checks relations between keys', () => {
    expect(message(() => resolveRunConfig({ model: { dModel: 30, nHeads: 4 } }))).toContain(
      'model.dModel (30) must be divisible by model.nHeads (4)',
    );
  });

  it('reads YAML and JSON files, with --set overrides', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), TINY_CONFIG);
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify({ name: 'b', model: { dModel: 64, nHeads: 4 } }),
    );
    expect(loadRunConfig(join(dir, 'a.yaml')).model.dModel).toBe(32);
    expect(loadRunConfig(join(dir, 'b.json')).model.dModel).toBe(64);
    const c = loadRunConfig(join(dir, 'a.yaml'), [
      'training.steps=7',
      'data.languages=[en]',
      'name=x',
    ]);
    expect(c.training.steps).toBe(7);
    expect(c.data.languages).toEqual(['en']);
    expect(c.name).toBe('x');
    expect(applyOverrides({}, ['a.b.c=1'])).toEqual({ a: { b: { c: 1 } } });
  });

  it('a broken file says where', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.yaml'), 'model:\n  dModel: [1, 2\n');
    expect(message(() => loadRunConfig(join(dir, 'bad.yaml')))).toMatch(
      /bad\.yaml: not valid YAML/,
    );
    writeFileSync(join(dir, 'bad.json'), '{"model": }');
    expect(message(() => loadRunConfig(join(dir, 'bad.json')))).toMatch(
      /bad\.json: not valid JSON/,
    );
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    expect(message(() => loadRunConfig(join(dir, 'list.yaml')))).toContain(
      'expected a mapping of keys',
    );
    expect(message(() => loadRunConfig(join(dir, 'missing.yaml')))).toContain("config file '");
  });

  it('oellm train exits 2 on a bad config or a missing file, naming the key', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.yaml'), 'model:\n  dModel: big\n  layers: 3\n');
    const r = await runCli(['train', 'bad.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('model.dModel: expected a number, got string "big"');
    expect(r.stderr).toContain('model.layers: unknown key');
    const missing = await runCli(['train', 'nope.yaml'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("config file 'nope.yaml' does not exist");
    const noArgs = await runCli(['train'], { cwd: dir });
    expect(noArgs.code).toBe(2);
  });
});
