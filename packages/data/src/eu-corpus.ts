/**
 * The embedded default corpus: real, freely licensed running text in the 24 official EU
 * languages (Debian 12 documentation, games, proverbs and prose, and the Universal Declaration
 * of Human Rights), 2,785 documents, 5.9 MB of text, shipped gzipped (2.1 MB) in the package's
 * corpus/ folder with per-document source, licence and sha256, and a validation split held out
 * by document hash. Built by scripts/build-corpus.mjs.
 *
 * Browser-safe: the bytes come from an asset loader (fetch of the file beside the package by
 * default; the Node entry reads it from disk) and are gunzipped with DecompressionStream.
 */
import type { Document } from './document.js';
import type { Source, StageContext } from './pipeline.js';

/** Reads a file of the package's corpus/ folder. */
export type AssetLoader = (name: string) => Promise<Uint8Array>;

export const EU_CORPUS_FILE = 'eu24.jsonl.gz';

/** The default loader: fetch the asset relative to this module (bundlers copy it). */
export const fetchAsset: AssetLoader = async (name) => {
  const url = new URL(`../corpus/${name}`, import.meta.url);
  const res = await fetch(url);
  if (!res.ok) {
    throw new Error(`euCorpus: could not fetch ${url.href} (HTTP ${res.status})`);
  }
  return new Uint8Array(await res.arrayBuffer());
};

/** Gunzips bytes with the platform's DecompressionStream (browsers, Node 18+). */
export async function gunzipText(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes.slice().buffer])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

export interface EuCorpusOptions {
  /** 'train', 'validation' or 'all' (default). */
  split?: 'train' | 'validation' | 'all';
  /** Only these languages (ISO 639-1). Default all 24. */
  languages?: readonly string[];
  /** Leave out the user-interface-string documents (kind 'ui', Maltese and Irish). Default false. */
  excludeUi?: boolean;
  /** Where the bytes come from (the Node entry passes a file reader). */
  load?: AssetLoader;
}

const cache = new Map<AssetLoader, Promise<Document[]>>();

/** Loads and parses the embedded corpus once per loader; returns the shared array (do not mutate). */
export function loadEuCorpusDocuments(load: AssetLoader = fetchAsset): Promise<Document[]> {
  let p = cache.get(load);
  if (!p) {
    p = (async () => {
      const text = await gunzipText(await load(EU_CORPUS_FILE));
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Document);
    })();
    p.catch(() => cache.delete(load));
    cache.set(load, p);
  }
  return p;
}

function selected(d: Document, o: EuCorpusOptions): boolean {
  const split = o.split ?? 'all';
  if (split !== 'all' && d.meta.split !== split) return false;
  if (o.languages && !o.languages.includes(d.lang)) return false;
  if (o.excludeUi && d.meta.kind === 'ui') return false;
  return true;
}

/** Copies of the selected documents of the embedded corpus (stages may change them freely). */
export async function euCorpusDocuments(options: EuCorpusOptions = {}): Promise<Document[]> {
  const all = await loadEuCorpusDocuments(options.load);
  return all
    .filter((d) => selected(d, options))
    .map((d) => ({ ...d, source: { ...d.source }, meta: { ...d.meta } }));
}

/** The embedded corpus as a pipeline source (name 'eu24'); also iterable on its own. */
export function euCorpus(options: EuCorpusOptions = {}): Source & AsyncIterable<Document> {
  const { load: _load, ...recorded } = options;
  async function* read(): AsyncIterable<Document> {
    yield* await euCorpusDocuments(options);
  }
  return {
    name: 'eu24',
    options: { ...recorded, file: EU_CORPUS_FILE },
    read: (_ctx: StageContext) => read(),
    [Symbol.asyncIterator]: () => read()[Symbol.asyncIterator](),
  };
}
