/**
 * `Module`: a tree of named parameters and child modules, as PyTorch's nn.Module. Names are
 * dotted paths (`model.layers.0.self_attn.q_proj.weight`) chosen to equal Hugging Face's, so a
 * state dict moves between this package and transformers unchanged.
 */
import { noGrad, shapeToString, type Tensor } from '@openeurollm/tensor';

export interface LoadStateDictOptions {
  /** Throw when a parameter is missing from the state dict or the dict has extra entries (default true). */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missing: string[];
  unexpected: string[];
}

export class Module {
  private readonly _parameters = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _modules = new Map<string, Module>();
  /** Dropout and other train-only behaviour is on while true. */
  training = true;

  /** Registers (or replaces) a trainable parameter; returns it with requiresGrad set. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    checkName(name, this);
    if (!t.isLeaf)
      throw new Error(`${this.constructor.name}: parameter '${name}' must be a leaf tensor`);
    if (t.dtype === 'float32') t.requiresGrad = true;
    this._parameters.set(name, t);
    return t;
  }

  /** Registers a tensor that is part of the state but not trained (e.g. a rotary table). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    checkName(name, this);
    this._buffers.set(name, t);
    return t;
  }

  /** Registers (or replaces) a child module under `name`. */
  registerModule<M extends Module>(name: string, m: M): M {
    checkName(name, this);
    if (!(m instanceof Module))
      throw new Error(`${this.constructor.name}: '${name}' is not a Module`);
    this._modules.set(name, m);
    return m;
  }

  /** The direct child called `name`, if any. */
  child(name: string): Module | undefined {
    return this._modules.get(name);
  }

  /** The parameter called `name` of this module itself (not of children). */
  ownParameter(name: string): Tensor | undefined {
    return this._parameters.get(name);
  }

  *namedChildren(): IterableIterator<[string, Module]> {
    yield* this._modules;
  }

  /** Every module of the tree with its dotted path ('' for this one), parents first. */
  *namedModules(prefix = ''): IterableIterator<[string, Module]> {
    yield [prefix, this];
    for (const [name, m] of this._modules)
      yield* m.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  /** Every parameter with its dotted path; a tensor shared by two modules (tied weights) once. */
  *namedParameters(prefix = ''): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, t] of m._parameters) {
        if (seen.has(t)) continue;
        seen.add(t);
        yield [path ? `${path}.${name}` : name, t];
      }
    }
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, t]) => t);
  }

  /** Parameters that will be trained (requiresGrad). */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((t) => t.requiresGrad);
  }

  /** Number of parameters (a tied tensor counted once). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    const list = options.trainableOnly ? this.trainableParameters() : this.parameters();
    return list.reduce((n, t) => n + t.size, 0);
  }

  *namedBuffers(prefix = ''): IterableIterator<[string, Tensor]> {
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, t] of m._buffers) yield [path ? `${path}.${name}` : name, t];
    }
  }

  /** Sets training mode on the whole tree (dropout active). */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode on the whole tree (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** Clears the gradients of every parameter. */
  zeroGrad(): void {
    for (const t of this.parameters()) t.zeroGrad();
  }

  /** Freezes (or unfreezes) every parameter. */
  requiresGrad_(value = true): this {
    for (const t of this.parameters()) if (t.dtype === 'float32') t.requiresGrad = value;
    return this;
  }

  /**
   * The parameters (and persistent buffers) by dotted name: the tensors themselves, not copies.
   * Tied weights appear under every name that holds them, as in PyTorch.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [path, m] of this.namedModules()) {
      for (const [name, t] of m._parameters) out[path ? `${path}.${name}` : name] = t;
    }
    return out;
  }

  /**
   * Copies tensors into the parameters of the same name, in place (so optimizers keep working).
   * Every shape is checked before anything is copied: a mismatch throws naming the tensor and
   * changes nothing. With `strict` (default) a missing or unexpected name throws too.
   */
  loadStateDict(
    state: Record<string, Tensor> | Map<string, Tensor>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const strict = options.strict ?? true;
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !entries.has(k));
    const unexpected = [...entries.keys()].filter((k) => !(k in own));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing ${listNames(missing)}`);
      if (unexpected.length) parts.push(`unexpected ${listNames(unexpected)}`);
      throw new Error(`loadStateDict: ${parts.join('; ')} (pass { strict: false } to ignore)`);
    }
    for (const [name, t] of entries) {
      const target = own[name];
      if (!target) continue;
      if (!(t && typeof t === 'object' && 'shape' in t)) {
        throw new Error(`loadStateDict: '${name}' is not a Tensor`);
      }
      if (t.shape.length !== target.shape.length || t.shape.some((n, i) => n !== target.shape[i])) {
        throw new Error(
          `loadStateDict: '${name}' has shape ${shapeToString(t.shape)}, the model expects ${shapeToString(target.shape)}`,
        );
      }
    }
    noGrad(() => {
      for (const [name, t] of entries) own[name]?.copy_(t);
    });
    return { missing, unexpected };
  }

  /** Applies `fn` to this module and every descendant. */
  apply(fn: (m: Module, path: string) => void): this {
    for (const [path, m] of this.namedModules()) fn(m, path);
    return this;
  }
}

/** Children indexed 0, 1, 2, … (`layers.0`, `h.3`), as PyTorch's ModuleList. */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];

  constructor(items: Iterable<M> = []) {
    super();
    for (const m of items) this.push(m);
  }

  push(m: M): void {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new Error(`ModuleList: index ${i} out of range [0, ${this.items.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

function checkName(name: string, m: Module): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('.')) {
    throw new Error(
      `${m.constructor.name}: invalid name ${JSON.stringify(name)} (non-empty, no dots)`,
    );
  }
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 5).map((n) => `'${n}'`);
  return names.length > 5 ? `${shown.join(', ')} and ${names.length - 5} more` : shown.join(', ');
}
