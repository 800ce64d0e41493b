/** `oellm data prepare [files...]`: corpus -> pipeline -> packed indexed datasets + ledger + reports. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { datasheet, parseShard, trainingContentSummary } from '@openeurollm/data';
import { Tokenizer } from '@openeurollm/tokenizer';
import { dataConfigSchema } from '../config.js';
import { UsageError } from '../errors.js';
import { formatCount, formatDuration, type Output, table } from '../output.js';
import { prepareData } from '../prepare.js';
import { parseSection } from './tokenizer-train.js';

export interface DataPrepareOptions {
  out: string;
  tokenizer: string;
  languages?: string[];
  validation?: number;
  shard?: string;
  license?: string;
  normalize?: boolean;
  langid?: boolean;
  quality?: boolean;
  pii?: boolean;
  dedup?: boolean;
  nearDedup?: boolean;
}

export async function dataPrepareCommand(
  out: Output,
  files: string[],
  o: DataPrepareOptions,
): Promise<void> {
  if (!existsSync(o.tokenizer)) {
    throw new UsageError(
      `--tokenizer '${o.tokenizer}' not found`,
      'train one first: oellm tokenizer train --out tok',
    );
  }
  if (o.shard) {
    try {
      parseShard(o.shard);
    } catch (e) {
      throw new UsageError(`--shard ${o.shard}: ${(e as Error).message}`);
    }
  }
  const data = parseSection(
    dataConfigSchema,
    {
      files: files.length ? files : undefined,
      languages: o.languages,
      validation: o.validation,
      license: o.license,
      stages: {
        normalize: o.normalize,
        identifyLanguage: o.langid,
        quality: o.quality,
        pii: o.pii,
        dedup: o.dedup,
        nearDedup: o.nearDedup,
      },
    },
    'data',
  );
  const tokenizer = Tokenizer.fromFile(o.tokenizer);
  mkdirSync(dirname(o.out) || '.', { recursive: true });
  const r = await prepareData(
    { data, baseDir: process.cwd(), tokenizer, outPrefix: o.out, shard: o.shard },
    out,
  );
  const sheet = datasheet(r.ledger, { title: o.out });
  const summary = trainingContentSummary(r.ledger);
  writeFileSync(`${o.out}.datasheet.md`, sheet);
  writeFileSync(`${o.out}.training-content-summary.md`, summary.markdown);
  writeFileSync(
    `${o.out}.training-content-summary.json`,
    `${JSON.stringify(summary.json, null, 2)}\n`,
  );
  const t = r.ledger.totals();
  out.result(
    {
      datasets: r.datasets,
      ledger: r.ledgerPath,
      datasheet: `${o.out}.datasheet.md`,
      trainingContentSummary: `${o.out}.training-content-summary.md`,
      totals: {
        records: t.records,
        kept: t.out.docs,
        removed: t.removed.byReason,
        rejected: t.rejected.byReason,
      },
      seconds: r.seconds,
    },
    () => {
      out.print(
        table([
          ['dataset', 'documents', 'tokens', 'dtype'],
          ...r.datasets.map((d) => [d.prefix, String(d.documents), formatCount(d.tokens), d.dtype]),
        ]),
      );
      const removed = Object.entries(t.removed.byReason).map(([k, v]) => `${k} ${v}`);
      out.print(
        `\n${t.records} records: ${t.out.docs} kept${removed.length ? `; removed: ${removed.join(', ')}` : ''}${t.rejected.docs ? `; rejected ${t.rejected.docs}` : ''} (${formatDuration(r.seconds)})`,
      );
      out.print(`ledger: ${r.ledgerPath}`);
      out.print(
        `datasheet: ${o.out}.datasheet.md, training-content summary: ${o.out}.training-content-summary.md`,
      );
    },
  );
}
