/**
 * The unit the pipeline moves: a document with its text, language and provenance.
 */
import { sha256Hex } from './hash.js';

/** Where a document came from. */
export interface DocumentSource {
  /**
   * Name of the source the ledger groups by (a dataset, a Debian package, a file); defaults
   * to the uri without its fragment.
   */
  name?: string;
  /** Where the text came from (a URL, `file:` URL with `#L<line>`, `debian:...`, `npm:...`). */
  uri: string;
  /** SPDX identifier or licence statement; null when unknown (reported as unknown, never guessed). */
  license: string | null;
  /** SHA-256 of the text as it was read (before any stage changed it). */
  sha256: string;
  /** When it was retrieved (ISO 8601), null when not recorded. */
  retrieved: string | null;
}

export interface Document {
  id: string;
  text: string;
  /** ISO 639-1 code, or 'und' when not (yet) known. */
  lang: string;
  source: DocumentSource;
  meta: Record<string, unknown>;
}

/** What `makeDocument` needs; the rest has defaults. */
export interface DocumentInit {
  id: string;
  text: string;
  lang?: string;
  source?: Partial<DocumentSource>;
  meta?: Record<string, unknown>;
}

/** Builds a Document, computing `source.sha256` of the text when it is not given. */
export function makeDocument(init: DocumentInit): Document {
  if (!init || typeof init.text !== 'string') {
    throw new Error(`makeDocument: init.text must be a string, got ${typeof init?.text}`);
  }
  if (typeof init.id !== 'string' || init.id === '') {
    throw new Error(`makeDocument: init.id must be a non-empty string, got ${String(init.id)}`);
  }
  const s = init.source ?? {};
  return {
    id: init.id,
    text: init.text,
    lang: init.lang ?? 'und',
    source: {
      ...(s.name !== undefined ? { name: s.name } : {}),
      uri: s.uri ?? `urn:oellm:${init.id}`,
      license: s.license ?? null,
      sha256: s.sha256 ?? sha256Hex(init.text),
      retrieved: s.retrieved ?? null,
    },
    meta: init.meta ?? {},
  };
}

/** The name a document's source is grouped under in the ledger. */
export function sourceName(doc: Document): string {
  const s = doc.source;
  if (s.name) return s.name;
  const hash = s.uri.indexOf('#');
  return hash >= 0 ? s.uri.slice(0, hash) : s.uri;
}

/**
 * A problem with the input (a record that is not JSON, lacks `text`, invalid UTF-8, a
 * truncated gzip stream, a Parquet file of another schema): where it is and why.
 */
export class DataError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly reason: string;

  constructor(reason: string, message: string, where: { file?: string; line?: number } = {}) {
    const at = where.file
      ? `${where.file}${where.line !== undefined ? `:${where.line}` : ''}: `
      : '';
    super(`${at}${message} (${reason})`);
    this.name = 'DataError';
    this.reason = reason;
    this.file = where.file;
    this.line = where.line;
  }
}
