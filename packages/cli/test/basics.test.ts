/** The command line itself: --help everywhere, exit codes, --json, NO_COLOR, `info`. */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const COMMANDS = [
  [],
  ['info'],
  ['quickstart'],
  ['data', 'prepare'],
  ['tokenizer', 'train'],
  ['train'],
  ['finetune'],
  ['eval'],
  ['generate'],
  ['chat'],
  ['export'],
  ['card'],
];

describe('oellm', () => {
  it.each(COMMANDS.map((c) => [c.join(' ') || '(top level)', c]))(
    '%s --help exits 0 with usage',
    async (_name, cmd) => {
      const r = await runCli([...(cmd as string[]), '--help']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Usage: oellm/);
      expect(r.stdout).toContain('--help');
    },
  );

  it('lists every command in the top-level help', async () => {
    const r = await runCli(['--help']);
    for (const c of [
      'quickstart',
      'data',
      'tokenizer',
      'train',
      'finetune',
      'eval',
      'generate',
      'chat',
      'export',
      'card',
      'info',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`\\n  ${c}\\b`));
    }
  });

  it('exits 2 on usage errors: unknown command, unknown option, bad option value, missing argument', async () => {
    for (const args of [
      ['frobnicate'],
      ['info', '--bogus'],
      ['generate', 'x', 'y', '--temperature', 'hot'],
      ['export', 'model'],
      ['train', '--steps', '0', 'x.yaml'],
    ]) {
      const r = await runCli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
  });

  it('prints the version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('info names the backend in use and why, the CPU, threads and every version', async () => {
    const r = await runCli(['info']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/backend\s+(native|js): /);
    expect(r.stdout).toMatch(/cpu\s+.+\(\d+ cores/);
    expect(r.stdout).toContain('@openeurollm/tensor');
    expect(r.stdout).toContain('@openeurollm/cli');
    expect(r.stdout).toContain(process.version);
  });

  it('info --json is one JSON object with the backends and the chosen one', async () => {
    const r = await runCli(['info', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.backends.map((b: { name: string }) => b.name)).toContain('js');
    const active = j.backends.find((b: { active: boolean }) => b.active);
    expect(active.name).toBe(j.backend.name);
    expect(typeof j.backend.reason).toBe('string');
    expect(j.cpu.cores).toBeGreaterThan(0);
    expect(Array.isArray(j.cpu.features)).toBe(true);
    expect(j.versions['@openeurollm/nn']).toMatch(/^\d/);
    expect(j.versions.node).toBe(process.version);
  });

  it('--backend js and OELLM_BACKEND=js choose the js backend, saying why', async () => {
    const a = JSON.parse((await runCli(['--backend', 'js', 'info', '--json'])).stdout);
    expect(a.backend.name).toBe('js');
    expect(a.backend.reason).toContain("setBackend('js')");
    const b = JSON.parse(
      (await runCli(['info', '--json'], { env: { OELLM_BACKEND: 'js' } })).stdout,
    );
    expect(b.backend.reason).toContain('OELLM_BACKEND=js');
    const bad = await runCli(['--backend', 'quantum', 'info']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('quantum');
  });

  it('errors are one line on stderr, colored only when allowed: NO_COLOR wins over FORCE_COLOR', async () => {
    const colored = await runCli(['eval', 'no/such/model'], { env: { FORCE_COLOR: '1' } });
    expect(colored.code).toBe(2);
    expect(colored.stderr).toContain('\u001b[');
    const plain = await runCli(['eval', 'no/such/model'], {
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    });
    expect(plain.stderr).not.toContain('\u001b[');
    expect(plain.stderr).toContain("model 'no/such/model' does not exist");
    const piped = await runCli(['eval', 'no/such/model']);
    expect(piped.stderr).not.toContain('\u001b[');
  });

  it('--json reports errors as JSON on stdout with the exit code', async () => {
    const r = await runCli(['eval', 'no/such/model', '--json']);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.error.exitCode).toBe(2);
    expect(j.error.message).toContain('does not exist');
  });
});
