/** `oellm info`: backends (which one runs and why), CPU, threads, package versions. */
import { readFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { backendReason, getBackend, getNumThreads, listBackends } from '@openeurollm/tensor';
import { registerGpu } from '../backend.js';
import { type Output, table } from '../output.js';
import { versions } from '../versions.js';

const FEATURES = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512bw',
  'avx512_vnni',
  'amx_tile',
  'neon',
  'asimd',
  'sve',
];

/** CPU model and the SIMD features that matter for the kernels (Linux: /proc/cpuinfo). */
export function cpuInfo(): { model: string; cores: number; features: string[] } {
  const list = cpus();
  let flags: string[] = [];
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const line = text.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
    if (line) flags = line.split(':')[1].trim().split(/\s+/);
  } catch {
    // not Linux: the model name is all we report
  }
  return {
    model: list[0]?.model?.trim() ?? 'unknown',
    cores: list.length,
    features: FEATURES.filter((f) => flags.includes(f)),
  };
}

export async function infoCommand(out: Output, options: { gpu?: boolean }): Promise<void> {
  if (options.gpu) await registerGpu();
  const active = getBackend();
  const reason = backendReason();
  const backends = listBackends();
  const cpu = cpuInfo();
  const v = versions();
  const result = {
    backend: {
      name: active.name,
      reason,
      threads: active.name === 'native' ? getNumThreads() : 1,
      ...active.info(),
    },
    backends,
    cpu: { ...cpu, arch: arch(), platform: platform(), memoryBytes: totalmem() },
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OELLM_'))),
    versions: v,
  };
  out.result(result, () => {
    out.print(`${out.style('bold', 'backend')}   ${active.name}: ${reason}`);
    const details = Object.entries(active.info())
      .filter(([k]) => k !== 'name')
      .map(([k, val]) => `${k}=${String(val)}`)
      .join(' ');
    if (details) out.print(`          ${details}`);
    out.print();
    out.print(
      table([
        ['backend', 'priority', 'status'],
        ...backends.map((b) => [
          `${b.name}${b.name === active.name ? ' *' : ''}`,
          String(b.priority),
          b.available ? 'available' : `unavailable: ${b.error ?? 'unknown reason'}`,
        ]),
      ]),
    );
    out.print();
    out.print(
      `${out.style('bold', 'cpu')}       ${cpu.model} (${cpu.cores} cores, ${arch()}, ${platform()})`,
    );
    out.print(`          features: ${cpu.features.join(' ') || 'none detected'}`);
    out.print(
      `          threads: ${getNumThreads()}${process.env.OELLM_NUM_THREADS ? ' (OELLM_NUM_THREADS)' : ''}, memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    );
    out.print();
    out.print(
      table([
        ['package', 'version'],
        ...Object.entries(v).map(([k, ver]) => [k, ver ?? 'not installed']),
      ]),
    );
  });
}
