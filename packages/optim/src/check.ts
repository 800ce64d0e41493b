/** Argument checks whose errors name the function, the option, what was expected and the value. */

function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
}

export interface RangeSpec {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Exclusive upper bound. */
  below?: number;
  /** Inclusive upper bound. */
  max?: number;
  integer?: boolean;
}

/** Throws unless `value` is a finite number in the range; returns it. */
export function checkNumber(where: string, name: string, value: unknown, spec: RangeSpec): number {
  const parts: string[] = [];
  if (spec.integer) parts.push('an integer');
  else parts.push('a finite number');
  if (spec.min !== undefined && spec.max !== undefined) parts.push(`in [${spec.min}, ${spec.max}]`);
  else if (spec.min !== undefined && spec.below !== undefined)
    parts.push(`in [${spec.min}, ${spec.below})`);
  else {
    if (spec.min !== undefined) parts.push(`>= ${spec.min}`);
    if (spec.above !== undefined) parts.push(`> ${spec.above}`);
    if (spec.below !== undefined) parts.push(`< ${spec.below}`);
    if (spec.max !== undefined) parts.push(`<= ${spec.max}`);
  }
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!spec.integer || Number.isInteger(value)) &&
    (spec.min === undefined || value >= spec.min) &&
    (spec.above === undefined || value > spec.above) &&
    (spec.below === undefined || value < spec.below) &&
    (spec.max === undefined || value <= spec.max);
  if (!ok) throw new Error(`${where}: ${name} must be ${parts.join(' ')}, got ${show(value)}`);
  return value as number;
}

export function checkBoolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new Error(`${where}: ${name} must be true or false, got ${show(value)}`);
  }
  return value;
}

/** Throws on option names the function does not know (typos, PyTorch's snake_case names). */
export function checkKnownOptions(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if ((options as Record<string, unknown>)[key] === undefined) continue;
    if (!known.includes(key)) {
      const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      const hint = camel !== key && known.includes(camel) ? ` (did you mean '${camel}'?)` : '';
      throw new Error(
        `${where}: unknown option '${key}'${hint}; expected one of ${known.join(', ')}`,
      );
    }
  }
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
