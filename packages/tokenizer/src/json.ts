/**
 * Reading Hugging Face `tokenizer.json` parts with errors that say where: every reader takes a
 * `JsonPath` (the file and the dotted path to the value) and throws a `TokenizerJsonError`
 * naming the path, the component type and what was expected and found, e.g.
 * `tokenizer.json: pre_tokenizer.pretokenizers[1]: unknown pre-tokenizer type 'Foo'`.
 */

/** A plain JSON object as read from tokenizer.json. */
export type JsonObject = { [key: string]: unknown };

/** An error in a tokenizer.json part; `path` is the JSON path of the offending value. */
export class TokenizerJsonError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly path: string,
    readonly componentType?: string,
  ) {
    super(message);
    this.name = 'TokenizerJsonError';
  }
}

/** Where a value sits: the file (or 'tokenizer.json') and the path inside it. */
export class JsonPath {
  constructor(
    readonly source: string,
    readonly path: string,
    /** The component being read (e.g. 'BPE'), named in errors. */
    readonly component?: string,
  ) {}

  key(name: string): JsonPath {
    return new JsonPath(this.source, this.path ? `${this.path}.${name}` : name, this.component);
  }

  index(i: number): JsonPath {
    return new JsonPath(this.source, `${this.path}[${i}]`, this.component);
  }

  withComponent(component: string): JsonPath {
    return new JsonPath(this.source, this.path, component);
  }

  error(message: string): TokenizerJsonError {
    const where = this.path ? `${this.source}: ${this.path}` : this.source;
    const what = this.component ? `${this.component}: ` : '';
    return new TokenizerJsonError(
      `${where}: ${what}${message}`,
      this.source,
      this.path,
      this.component,
    );
  }
}

/** A short printable form of a JSON value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function asObject(value: unknown, at: JsonPath): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw at.error(`expected an object, got ${describe(value)}`);
  }
  return value as JsonObject;
}

export function asArray(value: unknown, at: JsonPath): unknown[] {
  if (!Array.isArray(value)) throw at.error(`expected an array, got ${describe(value)}`);
  return value;
}

/** The `type` tag of a component object. */
export function typeOf(value: unknown, at: JsonPath, kind: string): string {
  const obj = asObject(value, at);
  const t = obj.type;
  if (typeof t !== 'string') throw at.error(`${kind} has no 'type' (got ${describe(t)})`);
  return t;
}

export function readString(obj: JsonObject, key: string, at: JsonPath, fallback?: string): string {
  const v = obj[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') throw at.key(key).error(`expected a string, got ${describe(v)}`);
  return v;
}

export function readOptionalString(obj: JsonObject, key: string, at: JsonPath): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string')
    throw at.key(key).error(`expected a string or null, got ${describe(v)}`);
  return v;
}

export function readBoolean(
  obj: JsonObject,
  key: string,
  at: JsonPath,
  fallback?: boolean,
): boolean {
  const v = obj[key];
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'boolean') throw at.key(key).error(`expected true or false, got ${describe(v)}`);
  return v;
}

export function readInteger(obj: JsonObject, key: string, at: JsonPath, fallback?: number): number {
  const v = obj[key];
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw at.key(key).error(`expected a non-negative integer, got ${describe(v)}`);
  }
  return v;
}

/** A `{ "String": "..." }` or `{ "Regex": "..." }` pattern. */
export type PatternJson = { String: string } | { Regex: string };

export function readPattern(obj: JsonObject, key: string, at: JsonPath): PatternJson {
  const here = at.key(key);
  const p = asObject(obj[key], here);
  if (typeof p.String === 'string') return { String: p.String };
  if (typeof p.Regex === 'string') return { Regex: p.Regex };
  throw here.error(`expected {"String": "..."} or {"Regex": "..."}, got ${describe(p)}`);
}

/**
 * Throws when `value` (a component's type) is not one of the handled cases; the `default:` of
 * each factory's switch, where `value` has type `never` so that a missing case fails to compile.
 */
export function unknownType(
  value: never,
  at: JsonPath,
  kind: string,
  supported: readonly string[],
): never {
  throw at.error(`unknown ${kind} type '${String(value)}' (supported: ${supported.join(', ')})`);
}

/** Runs `build`, turning a plain Error into a TokenizerJsonError at `at`. */
export function within<T>(at: JsonPath, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof TokenizerJsonError) throw e;
    throw at.error(e instanceof Error ? e.message : String(e));
  }
}
