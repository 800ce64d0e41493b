import type { Tensor } from '@openeurollm/tensor';

/**
 * Anything with named parameters, such as an `@openeurollm/nn` Module. Accepted structurally so
 * that this package does not depend on nn.
 */
export interface NamedParameters {
  namedParameters(): Iterable<readonly [string, Tensor]>;
}

/** The tensors to optimize, in one of the forms PyTorch accepts (plus names). */
export type ParamSource = Iterable<Tensor> | Iterable<readonly [string, Tensor]> | NamedParameters;

/**
 * One explicit parameter group: its tensors and any hyperparameters that differ from the
 * optimizer's defaults (for example `{ params, weightDecay: 0 }`).
 */
export type ParamGroupInput<H> = { params: ParamSource } & Partial<H>;

/** What an optimizer's constructor takes: tensors, named tensors, a module, or groups. */
export type ParamsInput<H> = ParamSource | Iterable<ParamGroupInput<H>>;

/** A parameter group inside an optimizer: its hyperparameters (mutable, e.g. `lr`) and tensors. */
export type ParamGroup<H> = H & {
  readonly params: readonly Tensor[];
  /**
   * The key of each parameter in `stateDict()`: its name when names were given, else its index
   * over all groups (as PyTorch numbers them).
   */
  readonly keys: readonly string[];
};

/** @internal Duck-typed so two copies of the tensor package (ESM and CJS) both pass. */
export function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    Array.isArray((x as Tensor).shape) &&
    typeof (x as Tensor).dtype === 'string' &&
    typeof (x as Tensor).backward === 'function'
  );
}

function isNamedParameters(x: unknown): x is NamedParameters {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as NamedParameters).namedParameters === 'function'
  );
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function'
  );
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'object') return `an object (${x.constructor?.name ?? 'no constructor'})`;
  return `${typeof x} ${String(x)}`;
}

/** A tensor with its name, when one was given. */
export interface NamedTensor {
  name: string | null;
  tensor: Tensor;
}

/**
 * @internal Flattens one source of parameters into named tensors (name null when unnamed).
 * `where` prefixes error messages, e.g. "AdamW: params".
 */
export function readParamSource(source: unknown, where: string): NamedTensor[] {
  if (isTensor(source)) {
    throw new Error(`${where}: expected a list of tensors, got a single Tensor; wrap it: [t]`);
  }
  if (isNamedParameters(source)) {
    return readPairs([...source.namedParameters()], `${where}.namedParameters()`);
  }
  if (!isIterable(source)) {
    throw new Error(
      `${where}: expected an array of tensors, [name, tensor] pairs, an object with namedParameters() or param groups, got ${describe(source)}`,
    );
  }
  const items = [...source];
  if (items.length > 0 && !isTensor(items[0])) return readPairs(items, where);
  return items.map((t, i) => {
    if (!isTensor(t)) {
      throw new Error(
        `${where}[${i}]: expected a Tensor like the elements before it, got ${describe(t)}`,
      );
    }
    return { name: null, tensor: t };
  });
}

function readPairs(items: unknown[], where: string): NamedTensor[] {
  return items.map((pair, i) => {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      !isTensor(pair[1])
    ) {
      throw new Error(
        `${where}[${i}]: expected a Tensor or a [name, Tensor] pair, got ${describe(pair)}`,
      );
    }
    return { name: pair[0] as string, tensor: pair[1] as Tensor };
  });
}

function isGroupObject(x: unknown): x is { params: unknown } {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !isTensor(x) && 'params' in x;
}

/** @internal One group as given: its source of tensors and its other options. */
export interface RawGroup {
  source: unknown;
  options: Record<string, unknown>;
}

/**
 * @internal Splits an optimizer's input into groups: a list of `{ params, ... }` objects is a
 * list of groups; anything else is one group with no options of its own.
 */
export function readGroups(input: unknown, where: string): RawGroup[] {
  if (isNamedParameters(input) || isTensor(input) || !isIterable(input)) {
    return [{ source: input, options: {} }];
  }
  const items = [...input];
  if (items.length === 0 || !items.some(isGroupObject)) return [{ source: items, options: {} }];
  return items.map((g, i) => {
    if (!isGroupObject(g)) {
      throw new Error(
        `${where}: element ${i} is ${describe(g)}, but other elements are param groups ({ params, ... }); use groups for all`,
      );
    }
    const { params, ...options } = g as { params: unknown } & Record<string, unknown>;
    return { source: params, options };
  });
}
