/** File I/O for tokenizers (Node only): tokenizer.json and tokenizer_config.json. */
import { existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { TokenizerConfig } from './chat-template.js';
import { Tokenizer as CoreTokenizer } from './tokenizer.js';

export interface FromFileOptions {
  /**
   * tokenizer_config.json to use for chat templates: a path, an object, or false for none.
   * Default: the tokenizer_config.json beside the tokenizer.json, when there is one.
   */
  config?: string | TokenizerConfig | false;
}

export interface SaveOptions {
  /** Indent the JSON (as HF does by default). Default true. */
  pretty?: boolean;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new Error(`Tokenizer.fromFile: cannot read ${what} '${path}' (${code})`);
  }
}

/** Reads a tokenizer_config.json. */
export function loadTokenizerConfig(path: string): TokenizerConfig {
  const text = readText(path, 'tokenizer_config.json');
  try {
    return JSON.parse(text) as TokenizerConfig;
  } catch (e) {
    throw new Error(`${path}: not valid JSON: ${(e as Error).message}`);
  }
}

/** The Node tokenizer: the core Tokenizer plus fromFile and save. */
export class Tokenizer extends CoreTokenizer {
  /**
   * Reads a tokenizer from a tokenizer.json file, or from a folder holding tokenizer.json
   * (and tokenizer_config.json, for chat templates).
   */
  static fromFile(path: string, options: FromFileOptions = {}): Tokenizer {
    if (typeof path !== 'string' || path.length === 0) {
      throw new Error(
        `Tokenizer.fromFile: path must be a non-empty string, got ${JSON.stringify(path)}`,
      );
    }
    let file = path;
    if (existsSync(path) && statSync(path).isDirectory()) file = join(path, 'tokenizer.json');
    const text = readText(file, 'tokenizer.json');
    let config: TokenizerConfig | null = null;
    if (options.config === undefined) {
      const beside = join(dirname(file), 'tokenizer_config.json');
      if (existsSync(beside)) config = loadTokenizerConfig(beside);
    } else if (typeof options.config === 'string') {
      config = loadTokenizerConfig(options.config);
    } else if (options.config) {
      config = options.config;
    }
    return Tokenizer.fromJSON(text, { config, source: file });
  }

  /**
   * Writes tokenizer.json to `path` (a file, or a folder to write tokenizer.json into), via a
   * temporary file renamed into place so that a crash never leaves a torn file. With a config
   * loaded, a folder also gets tokenizer_config.json.
   */
  save(path: string, options: SaveOptions = {}): void {
    const isDir = existsSync(path) && statSync(path).isDirectory();
    const file = isDir ? join(path, 'tokenizer.json') : path;
    const text = JSON.stringify(this.toJSON(), null, options.pretty === false ? undefined : 2);
    atomicWrite(file, text);
    if (isDir && this.config) {
      atomicWrite(join(path, 'tokenizer_config.json'), JSON.stringify(this.config, null, 2));
    }
  }
}

function atomicWrite(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file was never made
    }
    throw new Error(`Tokenizer.save: cannot write '${file}': ${(e as Error).message}`);
  }
}
