import { clone, noGrad, type Tensor, zerosLike } from '@openeurollm/tensor';
import { checkKnownOptions, checkNumber, formatShape } from './check.js';
import {
  type ParamGroup,
  type ParamGroupInput,
  type ParamsInput,
  readGroups,
  readParamSource,
} from './params.js';

/** Hyperparameters every optimizer has. */
export interface BaseHyperparameters {
  /** Learning rate; mutable per group (`optimizer.paramGroups[i].lr = ...`, or an LRScheduler). */
  lr: number;
}

/** A JSON value (what `meta` may hold). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The `format` tag of an optimizer state dict. */
export const OPTIMIZER_STATE_FORMAT = 'oellm-optim-state';
/** The version of the state dict layout written by `stateDict()`. */
export const OPTIMIZER_STATE_VERSION = 1;

/**
 * Everything but the tensors of an optimizer state: JSON, so it can travel as one string in a
 * safetensors header's `__metadata__`.
 */
export interface OptimizerMeta {
  format: typeof OPTIMIZER_STATE_FORMAT;
  version: typeof OPTIMIZER_STATE_VERSION;
  /** The class that wrote it: 'SGD', 'Adam' or 'AdamW'. */
  optimizer: string;
  /** Each group's hyperparameters and the keys of its parameters, in order. */
  groups: { hyper: { [key: string]: Json }; params: string[] }[];
  /** Per parameter key: its shape, and how many updates it has had (0: no state yet). */
  params: { [key: string]: { shape: number[]; step: number } };
}

/**
 * An optimizer's state: `state` holds flat-named tensors (`<paramKey>.exp_avg`, ...), `meta`
 * the rest. Save `state` as the tensors of one safetensors file and `JSON.stringify(meta)` as a
 * metadata string (see `optimizerStateToSafetensors`).
 */
export interface OptimizerStateDict {
  state: Record<string, Tensor>;
  meta: OptimizerMeta;
}

/** The state of one parameter: its update count and buffers (`exp_avg`, `momentum_buffer`...). */
export interface ParamState {
  step: number;
  buffers: Record<string, Tensor>;
}

export interface ZeroGradOptions {
  /** Set `.grad` to null (default, as PyTorch 2) rather than to a tensor of zeros. */
  setToNone?: boolean;
}

/**
 * The base of every optimizer: parameter groups, per-parameter state, `step()`, `zeroGrad()`
 * and a state dict that saves and restores exactly.
 *
 * Parameters without `requiresGrad`, or without a gradient at `step()` time, are skipped (their
 * state does not advance), as in PyTorch.
 */
export abstract class Optimizer<H extends BaseHyperparameters = BaseHyperparameters> {
  /** Defaults for hyperparameters a group does not set. */
  readonly defaults: Readonly<H>;
  /** The groups: hyperparameters (mutable, e.g. `lr`) and their tensors. */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** @internal Per-parameter state, keyed by the parameter tensor. */
  protected readonly state = new Map<Tensor, ParamState>();
  private readonly owner = new Map<Tensor, { group: number; label: string }>();
  private readonly keyOwner = new Map<string, Tensor>();
  private count = 0;

  protected constructor(
    /** The class name, used in errors and in the state dict. */
    readonly name: string,
    params: ParamsInput<H>,
    defaults: H,
    /** The hyperparameter names a group may set. */
    private readonly hyperNames: readonly string[],
  ) {
    this.validateHyper(defaults, name);
    this.defaults = Object.freeze({ ...defaults });
    for (const g of readGroups(params, name)) {
      this.addParamGroup({ params: g.source, ...g.options } as ParamGroupInput<H>);
    }
    if (this.count === 0) throw new Error(`${name}: got an empty parameter list`);
  }

  /** Throws, naming the option and value, when a group's hyperparameters are out of range. */
  protected validateHyper(h: H, where: string): void {
    checkNumber(where, 'lr', h.lr, { min: 0 });
  }

  /** Names of the state buffers a parameter of a group with these settings has after a step. */
  protected abstract bufferNames(group: H): readonly string[];

  /** One update of `param` from `grad`, under noGrad; `state.step` is already incremented. */
  protected abstract updateParam(
    param: Tensor,
    grad: Tensor,
    state: ParamState,
    group: ParamGroup<H>,
  ): void;

  /** Adds a group (PyTorch's `add_param_group`); its parameters must not be in another group. */
  addParamGroup(group: ParamGroupInput<H>): void {
    const gi = this.paramGroups.length;
    const where = `${this.name}: param group ${gi}`;
    if (typeof group !== 'object' || group === null || !('params' in group)) {
      throw new Error(`${where}: expected an object { params, ...hyperparameters }`);
    }
    const { params, ...options } = group as { params: unknown } & Record<string, unknown>;
    checkKnownOptions(where, options, this.hyperNames);
    const hyper = { ...this.defaults, ...options } as H;
    this.validateHyper(hyper, where);
    const tensors: Tensor[] = [];
    const keys: string[] = [];
    const source = readParamSource(params, gi === 0 ? `${this.name}: params` : where);
    for (const { name, tensor: p } of source) {
      const index = this.count + tensors.length;
      const key = name ?? String(index);
      const label = name !== null ? `'${name}'` : `#${index}`;
      if (p.dtype !== 'float32') {
        throw new Error(
          `${where}: parameter ${label} (shape ${formatShape(p.shape)}) has dtype ${p.dtype}; only float32 tensors can be optimized`,
        );
      }
      const prev = this.owner.get(p);
      if (prev) {
        throw new Error(
          prev.group === gi
            ? `${where}: parameter ${label} appears twice in this group (also as ${prev.label}); each tensor may be optimized once`
            : `${this.name}: parameter ${label} appears in param groups ${prev.group} and ${gi} (as ${prev.label} there); each tensor may be in one group only`,
        );
      }
      if (this.keyOwner.has(key)) {
        throw new Error(
          `${where}: two different parameters have the key '${key}' (a name equal to another parameter's name or index); give unique names`,
        );
      }
      this.owner.set(p, { group: gi, label });
      this.keyOwner.set(key, p);
      tensors.push(p);
      keys.push(key);
    }
    this.count += tensors.length;
    this.paramGroups.push({
      ...hyper,
      params: Object.freeze(tensors),
      keys: Object.freeze(keys),
    } as ParamGroup<H>);
  }

  /** Every parameter of every group, in order. */
  parameters(): Tensor[] {
    return this.paramGroups.flatMap((g) => [...g.params]);
  }

  /** Updates every parameter that has a gradient, in place (the tensors stay the same objects). */
  step(): void {
    noGrad(() => {
      this.paramGroups.forEach((group, gi) => {
        this.validateHyper(group, `${this.name}.step: param group ${gi}`);
        group.params.forEach((p, i) => {
          const g = p.grad;
          if (!p.requiresGrad || g === null) return;
          if (
            g.shape.length !== p.shape.length ||
            g.shape.some((d, k) => d !== p.shape[k]) ||
            g.backend !== p.backend
          ) {
            throw new Error(
              `${this.name}.step: the gradient of '${group.keys[i]}' has shape ${formatShape(g.shape)} on '${g.backend.name}' but the parameter has shape ${formatShape(p.shape)} on '${p.backend.name}'`,
            );
          }
          let st = this.state.get(p);
          if (!st) {
            st = { step: 0, buffers: {} };
            this.state.set(p, st);
          }
          st.step += 1;
          this.updateParam(p, g, st, group);
        });
      });
    });
  }

  /** Clears the gradients of all parameters (to null by default, as PyTorch 2 does). */
  zeroGrad(options: ZeroGradOptions = {}): void {
    checkKnownOptions(`${this.name}.zeroGrad`, options, ['setToNone']);
    const setToNone = options.setToNone ?? true;
    for (const p of this.parameters()) {
      if (p.grad === null) continue;
      if (setToNone) p.zeroGrad();
      else {
        // a fresh tensor, never a write into the old one: gradient storage can be shared
        const old = p.grad;
        p.grad = zerosLike(old);
        old.dispose();
      }
    }
  }

  /** The state of one parameter (undefined before its first update). */
  stateOf(param: Tensor): Readonly<ParamState> | undefined {
    return this.state.get(param);
  }

  /**
   * A snapshot of the optimizer: copies of the state tensors, named `<paramKey>.<buffer>`, and
   * JSON meta with each group's hyperparameters and membership and each parameter's step
   * count and shape. Later steps do not change it.
   */
  stateDict(): OptimizerStateDict {
    const state: Record<string, Tensor> = {};
    const params: OptimizerMeta['params'] = {};
    const groups: OptimizerMeta['groups'] = this.paramGroups.map((group) => {
      group.params.forEach((p, i) => {
        const key = group.keys[i];
        const st = this.state.get(p);
        params[key] = { shape: [...p.shape], step: st?.step ?? 0 };
        if (st) {
          for (const [b, t] of Object.entries(st.buffers)) state[`${key}.${b}`] = clone(t);
        }
      });
      return { hyper: this.hyperOf(group), params: [...group.keys] };
    });
    return {
      state,
      meta: {
        format: OPTIMIZER_STATE_FORMAT,
        version: OPTIMIZER_STATE_VERSION,
        optimizer: this.name,
        groups,
        params,
      },
    };
  }

  private hyperOf(group: ParamGroup<H>): { [key: string]: Json } {
    const out: { [key: string]: Json } = {};
    for (const k of this.hyperNames) {
      const v = (group as unknown as Record<string, unknown>)[k];
      out[k] = Array.isArray(v) ? [...v] : (v as Json);
    }
    return out;
  }

  /**
   * Restores a state dict from `stateDict()` (of an optimizer of the same class over the same
   * parameter keys and shapes): hyperparameters (including `lr`), step counts and buffers.
   * Checks everything first and changes nothing when it throws. Stepping afterwards continues
   * exactly as the saved optimizer would have.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (typeof sd !== 'object' || sd === null || typeof sd.meta !== 'object' || !sd.state) {
      throw new Error(`${where}: expected { state, meta } as returned by stateDict()`);
    }
    const { meta } = sd;
    if (meta.format !== OPTIMIZER_STATE_FORMAT || meta.version !== OPTIMIZER_STATE_VERSION) {
      throw new Error(
        `${where}: expected format '${OPTIMIZER_STATE_FORMAT}' version ${OPTIMIZER_STATE_VERSION}, got format ${JSON.stringify(meta.format)} version ${JSON.stringify(meta.version)}; save it again with optimizer.stateDict() from @openeurollm/optim`,
      );
    }
    if (meta.optimizer !== this.name) {
      throw new Error(
        `${where}: the state was saved by ${meta.optimizer}, this optimizer is ${this.name}`,
      );
    }
    if (!Array.isArray(meta.groups) || meta.groups.length !== this.paramGroups.length) {
      throw new Error(
        `${where}: the state has ${meta.groups?.length} param groups, this optimizer has ${this.paramGroups.length}`,
      );
    }
    const used = new Set<string>();
    const hypers: H[] = [];
    const newState = new Map<Tensor, ParamState>();
    this.paramGroups.forEach((group, gi) => {
      const saved = meta.groups[gi];
      const gwhere = `${where}: param group ${gi}`;
      const missing = group.keys.filter((k) => !saved.params.includes(k));
      const extra = saved.params.filter((k) => !group.keys.includes(k));
      if (missing.length > 0 || extra.length > 0) {
        const parts: string[] = [];
        if (missing.length > 0) parts.push(`not in the state: ${list(missing)}`);
        if (extra.length > 0) parts.push(`in the state but not in this optimizer: ${list(extra)}`);
        throw new Error(`${gwhere}: parameters differ; ${parts.join('; ')}`);
      }
      if (saved.params.some((k, i) => k !== group.keys[i])) {
        throw new Error(
          `${gwhere}: the same parameters in another order (state: ${list(saved.params)}; here: ${list(group.keys)})`,
        );
      }
      checkKnownOptions(gwhere, saved.hyper, this.hyperNames);
      const hyper = { ...this.defaults, ...saved.hyper } as unknown as H;
      this.validateHyper(hyper, gwhere);
      hypers.push(hyper);
      const names = this.bufferNames(hyper);
      group.params.forEach((p, i) => {
        const key = group.keys[i];
        const info = meta.params?.[key];
        if (!info) throw new Error(`${where}: meta.params has no entry for parameter '${key}'`);
        if (
          !Array.isArray(info.shape) ||
          info.shape.length !== p.shape.length ||
          info.shape.some((d, k) => d !== p.shape[k])
        ) {
          throw new Error(
            `${where}: parameter '${key}' has shape ${formatShape(p.shape)} here but ${formatShape(info.shape ?? [])} in the state`,
          );
        }
        checkNumber(where, `meta.params['${key}'].step`, info.step, { min: 0, integer: true });
        if (info.step === 0) return;
        const buffers: Record<string, Tensor> = {};
        for (const b of names) {
          const name = `${key}.${b}`;
          const t = sd.state[name];
          if (!t) {
            throw new Error(
              `${where}: state tensor '${name}' (shape ${formatShape(p.shape)}) is missing; the meta says '${key}' has had ${info.step} steps`,
            );
          }
          if (
            t.dtype !== 'float32' ||
            t.shape.length !== p.shape.length ||
            t.shape.some((d, k) => d !== p.shape[k])
          ) {
            throw new Error(
              `${where}: state tensor '${name}' is ${t.dtype} ${formatShape(t.shape)}, expected float32 ${formatShape(p.shape)} (the shape of parameter '${key}')`,
            );
          }
          used.add(name);
          buffers[b] = t;
        }
        newState.set(p, { step: info.step, buffers });
      });
    });
    const unexpected = Object.keys(sd.state).filter((k) => !used.has(k));
    if (unexpected.length > 0) {
      throw new Error(
        `${where}: unexpected state tensors ${list(unexpected)} (no parameter with that key, or a buffer these settings do not use)`,
      );
    }
    // every check passed: apply, copying the tensors so the optimizer owns its state
    this.paramGroups.forEach((group, gi) => {
      Object.assign(group, hypers[gi]);
    });
    for (const st of this.state.values()) for (const t of Object.values(st.buffers)) t.dispose();
    this.state.clear();
    for (const [p, st] of newState) {
      const buffers: Record<string, Tensor> = {};
      for (const [b, t] of Object.entries(st.buffers)) {
        buffers[b] = noGrad(() => (t.backend === p.backend ? clone(t) : t.to(p.backend.name)));
      }
      this.state.set(p, { step: st.step, buffers });
    }
  }
}

function list(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).map((k) => `'${k}'`);
  if (keys.length > 5) shown.push(`and ${keys.length - 5} more`);
  return shown.join(', ');
}
