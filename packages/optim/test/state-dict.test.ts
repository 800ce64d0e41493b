/** stateDict / loadStateDict: the format, exact resumption, files, and clear errors. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Tensor, tensor } from '@openeurollm/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Adam,
  AdamW,
  cosineSchedule,
  LRScheduler,
  type Optimizer,
  type OptimizerStateDict,
  optimizerStateFromSafetensors,
  optimizerStateToSafetensors,
  SGD,
} from '../src/index.js';
import { loadOptimizerState, saveOptimizerState } from '../src/node.js';
import {
  BACKENDS,
  expectBitIdentical,
  expectClose,
  param,
  randomValues,
  setGrad,
} from './helpers.js';

const SHAPES: Record<string, number[]> = {
  'h.0.attn.weight': [4, 6],
  'h.0.attn.bias': [6],
  'ln_f.weight': [4],
};

function model(backend?: string, values?: Record<string, Float32Array>): [string, Tensor][] {
  return Object.entries(SHAPES).map(([name, shape], i) => [
    name,
    param(
      values?.[name] ??
        randomValues(
          shape.reduce((a, b) => a * b, 1),
          i,
        ),
      shape,
      backend,
    ),
  ]);
}

function snapshot(named: [string, Tensor][]): Record<string, Float32Array> {
  return Object.fromEntries(named.map(([n, t]) => [n, t.data() as Float32Array]));
}

function feed(named: [string, Tensor][], step: number): void {
  named.forEach(([, p], i) => {
    setGrad(p, randomValues(p.size, 1000 * step + i, -2, 2));
  });
}

type Make = (named: [string, Tensor][]) => Optimizer;
const OPTIMIZERS: [string, Make][] = [
  ['SGD momentum nesterov', (n) => new SGD(n, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ['Adam amsgrad', (n) => new Adam(n, { lr: 0.01, amsgrad: true, weightDecay: 0.1 })],
  ['AdamW (composed)', (n) => new AdamW(n, { lr: 0.01, weightDecay: 0.1 })],
  ['AdamW (fused)', (n) => new AdamW(n, { lr: 0.01, betas: [0.9, 0.95], weightDecay: 0.1 })],
];

const dir = mkdtempSync(join(tmpdir(), 'oellm-optim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the state dict', () => {
  it('names tensors <paramKey>.<buffer> and keeps the rest in JSON meta', () => {
    const named = model();
    const opt = new AdamW(
      [{ params: named.slice(0, 1) }, { params: named.slice(1), weightDecay: 0 }],
      { lr: 0.01 },
    );
    feed(named.slice(0, 2), 1); // ln_f.weight gets no gradient: no state
    opt.step();
    const sd = opt.stateDict();
    expect(Object.keys(sd.state).sort()).toEqual([
      'h.0.attn.bias.exp_avg',
      'h.0.attn.bias.exp_avg_sq',
      'h.0.attn.weight.exp_avg',
      'h.0.attn.weight.exp_avg_sq',
    ]);
    expect(sd.state['h.0.attn.weight.exp_avg'].shape).toEqual([4, 6]);
    expect(sd.meta).toEqual({
      format: 'oellm-optim-state',
      version: 1,
      optimizer: 'AdamW',
      groups: [
        {
          hyper: { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false },
          params: ['h.0.attn.weight'],
        },
        {
          hyper: { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false },
          params: ['h.0.attn.bias', 'ln_f.weight'],
        },
      ],
      params: {
        'h.0.attn.weight': { shape: [4, 6], step: 1 },
        'h.0.attn.bias': { shape: [6], step: 1 },
        'ln_f.weight': { shape: [4], step: 0 },
      },
    });
    expect(JSON.parse(JSON.stringify(sd.meta))).toEqual(sd.meta);
  });

  it('keys unnamed parameters by index', () => {
    const ps = [param([1, 2], [2]), param([3], [1])];
    const opt = new SGD(ps, { lr: 0.1, momentum: 0.9 });
    setGrad(ps[1], [1]);
    opt.step();
    expect(Object.keys(opt.stateDict().state)).toEqual(['1.momentum_buffer']);
  });

  it('is a snapshot: later steps do not change it', () => {
    const named = model();
    const opt = new AdamW(named, { lr: 0.01, betas: [0.9, 0.95] });
    feed(named, 1);
    opt.step();
    const sd = opt.stateDict();
    const before = sd.state['h.0.attn.weight.exp_avg'].data();
    feed(named, 2);
    opt.step();
    expect(sd.state['h.0.attn.weight.exp_avg'].data()).toEqual(before);
  });
});

type Route = 'object' | 'bytes' | 'file';

for (const backend of BACKENDS) {
  describe(`save, load and continue bit-identically on ${backend}`, () => {
    for (const [label, make] of OPTIMIZERS) {
      for (const route of ['object', 'bytes', 'file'] as Route[]) {
        it(`${label}, through ${route === 'object' ? 'the state dict object' : route === 'bytes' ? 'safetensors bytes' : 'a safetensors file'}`, () => {
          // run A for 6 steps without interruption
          const namedA = model(backend);
          const optA = make(namedA);
          const schedA = new LRScheduler(optA, cosineSchedule({ warmupSteps: 2, totalSteps: 6 }));
          let saved: {
            sd: OptimizerStateDict;
            sched: unknown;
            params: Record<string, Float32Array>;
          } | null = null;
          for (let step = 1; step <= 6; step++) {
            feed(namedA, step);
            optA.step();
            schedA.step();
            optA.zeroGrad();
            if (step === 3) {
              let sd = optA.stateDict();
              if (route === 'bytes')
                sd = optimizerStateFromSafetensors(optimizerStateToSafetensors(sd));
              if (route === 'file') {
                const file = join(dir, `${backend}-${label}.safetensors`);
                saveOptimizerState(file, sd);
                sd = loadOptimizerState(file);
              }
              saved = {
                sd,
                sched: JSON.parse(JSON.stringify(schedA.stateDict())),
                params: snapshot(namedA),
              };
            }
          }
          // B: fresh parameters with the values saved at step 3, a fresh optimizer, load, continue
          const namedB = model(backend, saved!.params);
          const optB = make(namedB);
          const schedB = new LRScheduler(optB, cosineSchedule({ warmupSteps: 2, totalSteps: 6 }));
          optB.loadStateDict(saved!.sd);
          schedB.loadStateDict(saved!.sched as never);
          for (let step = 4; step <= 6; step++) {
            feed(namedB, step);
            optB.step();
            schedB.step();
            optB.zeroGrad();
          }
          namedA.forEach(([name, a], i) => {
            expectBitIdentical(a.data() as Float32Array, namedB[i][1].data() as Float32Array, name);
          });
          expect(optB.paramGroups.map((g) => g.lr)).toEqual(optA.paramGroups.map((g) => g.lr));
        });
      }
    }
  });
}

describe('loading across backends', () => {
  it.skipIf(BACKENDS.length < 2)(`moves state saved on ${BACKENDS[0]} to ${BACKENDS[1]}`, () => {
    const [from, to] = BACKENDS;
    const a = model(from);
    const optA = new AdamW(a, { lr: 0.01 });
    feed(a, 1);
    optA.step();
    const b = model(to, snapshot(a));
    const optB = new AdamW(b, { lr: 0.01 });
    optB.loadStateDict(optA.stateDict());
    expect(optB.stateOf(b[0][1])!.buffers.exp_avg.backend.name).toBe(to);
    feed(a, 2);
    feed(b, 2);
    optA.step();
    optB.step();
    a.forEach(([name, t], i) => {
      expectClose(b[i][1].data(), t.data(), 1e-6, 1e-7, name);
    });
  });
});

describe('loadStateDict errors', () => {
  function saved(): OptimizerStateDict {
    const named = model();
    const opt = new AdamW(named, { lr: 0.01 });
    feed(named, 1);
    opt.step();
    return opt.stateDict();
  }

  it('names a missing state tensor and its shape', () => {
    const sd = saved();
    delete sd.state['h.0.attn.weight.exp_avg_sq'];
    expect(() => new AdamW(model()).loadStateDict(sd)).toThrow(
      "AdamW.loadStateDict: state tensor 'h.0.attn.weight.exp_avg_sq' (shape [4, 6]) is missing; the meta says 'h.0.attn.weight' has had 1 steps",
    );
  });

  it('names a state tensor of the wrong shape', () => {
    const sd = saved();
    sd.state['h.0.attn.bias.exp_avg'] = tensor(new Float32Array(5));
    expect(() => new AdamW(model()).loadStateDict(sd)).toThrow(
      "AdamW.loadStateDict: state tensor 'h.0.attn.bias.exp_avg' is float32 [5], expected float32 [6] (the shape of parameter 'h.0.attn.bias')",
    );
  });

  it('names a parameter whose shape differs from the saved one', () => {
    const sd = saved();
    const other = model().map(([n, t]): [string, Tensor] =>
      n === 'h.0.attn.weight' ? [n, param(new Float32Array(24), [6, 4])] : [n, t],
    );
    expect(() => new AdamW(other).loadStateDict(sd)).toThrow(
      "AdamW.loadStateDict: parameter 'h.0.attn.weight' has shape [6, 4] here but [4, 6] in the state",
    );
  });

  it('names parameters missing on either side', () => {
    const sd = saved();
    const other = model().slice(1);
    other.push(['head.weight', param([1, 2], [2])]);
    expect(() => new AdamW(other).loadStateDict(sd)).toThrow(
      "AdamW.loadStateDict: param group 0: parameters differ; not in the state: 'head.weight'; in the state but not in this optimizer: 'h.0.attn.weight'",
    );
  });

  it('rejects unexpected tensors, another optimizer class, and another format', () => {
    const sd = saved();
    expect(() =>
      new AdamW(model()).loadStateDict({ ...sd, state: { ...sd.state, 'x.y': tensor([1]) } }),
    ).toThrow(/unexpected state tensors 'x.y'/);
    expect(() => new Adam(model()).loadStateDict(sd)).toThrow(
      'Adam.loadStateDict: the state was saved by AdamW, this optimizer is Adam',
    );
    expect(() =>
      new AdamW(model()).loadStateDict({ ...sd, meta: { ...sd.meta, version: 2 as 1 } }),
    ).toThrow(
      /expected format 'oellm-optim-state' version 1, got format "oellm-optim-state" version 2/,
    );
  });

  it('changes nothing when it throws', () => {
    const named = model();
    const opt = new AdamW(named, { lr: 0.5 });
    const sd = saved();
    delete sd.state['ln_f.weight.exp_avg'];
    expect(() => opt.loadStateDict(sd)).toThrow(/ln_f.weight.exp_avg/);
    expect(opt.paramGroups[0].lr).toBe(0.5);
    expect(opt.stateOf(named[0][1])).toBeUndefined();
  });

  it('restores hyperparameters, lr included, as PyTorch does', () => {
    const sd = saved();
    const opt = new AdamW(model(), { lr: 0.5, weightDecay: 0 });
    opt.loadStateDict(sd);
    expect(opt.paramGroups[0].lr).toBe(0.01);
    expect(opt.paramGroups[0].weightDecay).toBe(0.01);
  });

  it('says what a file that is not optimizer state is', () => {
    const sd = saved();
    const bytes = optimizerStateToSafetensors(sd);
    expect(() => optimizerStateFromSafetensors(bytes.subarray(0, 4))).toThrow(
      /optimizerStateFromSafetensors: the data has 4 bytes, too short for a header; expected a safetensors file written by optimizerStateToSafetensors/,
    );
    expect(() => loadOptimizerState(join(dir, 'missing.safetensors'))).toThrow(
      /loadOptimizerState: cannot read '.*missing.safetensors'/,
    );
  });
});
