/**
 * The public summary of training content that Article 53(1)(d) of the AI Act (Regulation (EU)
 * 2024/1689) requires of providers of general-purpose AI models, in the sections of the AI
 * Office's template (Explanatory Notice and Template for the Public Summary of Training
 * Content, European Commission, July 2025):
 *
 *   1. General information: 1.1 provider, 1.2 model, 1.3 modalities, size and other
 *      characteristics of the training data (languages among them).
 *   2. List of data sources: 2.1 publicly available datasets, 2.2 private datasets from third
 *      parties, 2.3 data crawled and scraped from online sources, 2.4 user data,
 *      2.5 synthetic data, 2.6 other sources.
 *   3. Data processing aspects: 3.1 respect of reservations of rights from the text and data
 *      mining exception, 3.2 removal of illegal content, 3.3 other information.
 *
 * From the ledger come sizes, languages, sources with licences, how each source was obtained
 * (documents' `meta.availability`), the date range of retrieval, and what the pipeline removed
 * and why. Everything else (provider, model, opt-out measures, crawler details) is marked
 * `[TO FILL: ...]`. Check the result against the template in force before publishing.
 */
import type { Ledger } from '../ledger.js';
import { bytes, num, pct, reportData, TO_FILL, table, toFill } from './report-data.js';

export interface TrainingContentSummaryOptions {
  /** Provider and model facts the ledger cannot know (left `[TO FILL]` when absent). */
  provider?: { name?: string; contact?: string; authorisedRepresentative?: string };
  model?: { name?: string; dependencies?: string; placedOnMarket?: string };
  /** Free text for 3.1 (how opt-outs from text and data mining were respected). */
  tdmOptOut?: string;
  /** Free text for 3.2 (measures against illegal content beyond the recorded stages). */
  illegalContent?: string;
}

export type Filled<T> = T | string;

export interface TrainingContentSummaryJson {
  template: string;
  generatedBy: string;
  general: {
    provider: { name: string; contact: string; authorisedRepresentative: string };
    model: { name: string; dependencies: string; placedOnMarket: string };
    modalities: {
      text: {
        documents: number;
        bytes: number;
        tokens: number | null;
        sizeRange: string;
        typesOfContent: string[];
        languages: {
          lang: string;
          name: string;
          documents: number;
          bytes: number;
          tokens: number | null;
          share: number;
        }[];
      };
      image: string;
      audio: string;
      video: string;
      other: string;
    };
    latestAcquisitionDate: string;
    otherCharacteristics: string;
  };
  sources: {
    publicDatasets: {
      used: boolean;
      datasets: {
        name: string;
        uri: string;
        licenses: string[];
        documents: number;
        bytes: number;
        tokens: number | null;
        share: number;
      }[];
    };
    privateThirdParty: {
      used: boolean | string;
      datasets: { name: string; licenses: string[]; documents: number; bytes: number }[];
    };
    crawled: {
      used: boolean | string;
      sources: { name: string; uri: string; documents: number; bytes: number }[];
      crawlers: string;
      period: string;
      domains: string;
    };
    userData: { used: boolean | string; sources: string[] };
    synthetic: { used: boolean | string; sources: string[] };
    other: {
      used: boolean | string;
      sources: {
        name: string;
        uri: string;
        licenses: string[];
        documents: number;
        bytes: number;
      }[];
    };
  };
  processing: {
    tdmOptOut: string;
    illegalContent: string;
    removed: { stage: string; reason: string; documents: number }[];
    redacted: { kind: string; documents: number; items: number }[];
    other: string;
  };
}

/** Size ranges of the template for text, by tokens. */
function sizeRange(tokens: number): string {
  if (tokens < 1e9) return 'Less than 1 billion tokens';
  if (tokens <= 1e13) return '1 billion to 10 trillion tokens';
  return 'More than 10 trillion tokens';
}

const TEMPLATE =
  'European Commission (AI Office), Template for the Public Summary of Training Content for general-purpose AI models, Article 53(1)(d) of Regulation (EU) 2024/1689, July 2025';

/** The summary as JSON (fields the ledger cannot know are '[TO FILL: ...]'). */
export function trainingContentSummaryJson(
  ledger: Ledger,
  options: TrainingContentSummaryOptions = {},
): TrainingContentSummaryJson {
  const d = reportData(ledger);
  const t = d.totals;
  const final = d.tokenized ? t.written : { ...t.out, tokens: 0 };
  const tokens = d.tokenized ? final.tokens : null;
  const byAvailability = (av: string) => d.sourceRows.filter((s) => s.availability.includes(av));
  const unclassified = d.sourceRows.filter((s) => s.availability.length === 0);
  const status = (av: string): boolean | string =>
    byAvailability(av).length > 0
      ? true
      : unclassified.length > 0
        ? toFill(
            `whether any of the unclassified sources (${unclassified.map((s) => s.name).join(', ')}) are ${av} data`,
          )
        : false;
  const share = (b: number) => (final.bytes > 0 ? b / final.bytes : 0);
  const removed = [
    ...Object.entries(t.rejected.byReason).map(([reason, documents]) => ({
      stage: 'reader',
      reason,
      documents,
    })),
    ...Object.entries(t.removed.byReason).map(([key, documents]) => {
      const i = key.indexOf(':');
      return { stage: key.slice(0, i), reason: key.slice(i + 1), documents };
    }),
  ].sort((a, b) => b.documents - a.documents);
  const redacted = Object.entries(t.changed.byReason)
    .filter(([k]) => k.startsWith('pii:'))
    .map(([k, v]) => ({ kind: k.slice(4), documents: v.docs, items: v.items }));
  const stageNames = d.stages.map((s) => s.name);
  return {
    template: TEMPLATE,
    generatedBy: '@openeurollm/data trainingContentSummary (from the provenance ledger)',
    general: {
      provider: {
        name: options.provider?.name ?? toFill('name of the provider'),
        contact: options.provider?.contact ?? toFill('contact details of the provider'),
        authorisedRepresentative:
          options.provider?.authorisedRepresentative ??
          toFill(
            'authorised representative in the Union, if the provider is established outside it',
          ),
      },
      model: {
        name:
          options.model?.name ?? toFill('versioned name(s) of the model(s) this summary covers'),
        dependencies:
          options.model?.dependencies ??
          toFill(
            'the model(s) this one was fine-tuned or derived from, with a link to their summary',
          ),
        placedOnMarket:
          options.model?.placedOnMarket ?? toFill('date of placement on the Union market'),
      },
      modalities: {
        text: {
          documents: final.docs,
          bytes: final.bytes,
          tokens,
          sizeRange:
            tokens !== null
              ? sizeRange(tokens)
              : toFill('size range: no tokenization was recorded'),
          typesOfContent:
            d.kinds.length > 0 ? d.kinds.map((k) => k.kind) : [toFill('types of text content')],
          languages: d.languages.map((l) => ({
            lang: l.lang,
            name: l.name,
            documents: l.docs,
            bytes: l.bytes,
            tokens: d.tokenized ? l.tokens : null,
            share: share(l.bytes),
          })),
        },
        image: 'not in the recorded data',
        audio: 'not in the recorded data',
        video: 'not in the recorded data',
        other: toFill('other modalities used in training that this pipeline did not process'),
      },
      latestAcquisitionDate:
        d.retrievedLast ??
        toFill('latest date of data acquisition (no document recorded its retrieval date)'),
      otherCharacteristics: toFill('other relevant characteristics of the overall training data'),
    },
    sources: {
      publicDatasets: {
        used: byAvailability('public').length > 0,
        datasets: byAvailability('public').map((s) => ({
          name: s.name,
          uri: s.uri,
          licenses: s.licenses,
          documents: s.docs,
          bytes: s.bytes,
          tokens: d.tokenized ? s.tokens : null,
          share: share(s.bytes),
        })),
      },
      privateThirdParty: {
        used: status('private'),
        datasets: byAvailability('private').map((s) => ({
          name: s.name,
          licenses: s.licenses,
          documents: s.docs,
          bytes: s.bytes,
        })),
      },
      crawled: {
        used: status('crawled'),
        sources: byAvailability('crawled').map((s) => ({
          name: s.name,
          uri: s.uri,
          documents: s.docs,
          bytes: s.bytes,
        })),
        crawlers:
          byAvailability('crawled').length > 0
            ? toFill('crawlers used, their purpose and behaviour (robots.txt, opt-outs)')
            : 'none recorded',
        period:
          byAvailability('crawled').length > 0 ? toFill('collection period') : 'none recorded',
        domains:
          byAvailability('crawled').length > 0
            ? toFill('top 10% of domain names by size, and types of sites')
            : 'none recorded',
      },
      userData: { used: status('user'), sources: byAvailability('user').map((s) => s.name) },
      synthetic: {
        used: status('synthetic'),
        sources: byAvailability('synthetic').map((s) => s.name),
      },
      other: {
        used: byAvailability('other').length > 0 || unclassified.length > 0,
        sources: [...byAvailability('other'), ...unclassified].map((s) => ({
          name: s.name,
          uri: s.uri,
          licenses: s.licenses,
          documents: s.docs,
          bytes: s.bytes,
        })),
      },
    },
    processing: {
      tdmOptOut:
        options.tdmOptOut ??
        toFill(
          'measures taken to respect reservations of rights under Art. 4(3) of Directive (EU) 2019/790 (text and data mining opt-outs) before and during collection',
        ),
      illegalContent:
        options.illegalContent ??
        toFill(
          'measures taken to avoid or remove illegal content (the pipeline stages below are quality, language and privacy filters, not a legality review)',
        ),
      removed,
      redacted,
      other: `Pipeline stages: ${stageNames.join(' -> ') || 'none recorded'}. ${num(t.records)} records read, ${num(t.rejected.docs)} rejected, ${num(t.removed.docs)} removed, ${num(t.out.docs)} kept.`,
    },
  };
}

/** The summary as Markdown and as JSON. */
export function trainingContentSummary(
  ledger: Ledger,
  options: TrainingContentSummaryOptions = {},
): { markdown: string; json: TrainingContentSummaryJson } {
  const j = trainingContentSummaryJson(ledger, options);
  const g = j.general;
  const text = g.modalities.text;
  const yes = (v: boolean | string) => (typeof v === 'string' ? v : v ? 'Yes' : 'No');
  const md: string[] = [];
  md.push('# Public summary of training content');
  md.push('');
  md.push(
    `Following the ${j.template}. Generated by @openeurollm/data from the provenance ledger; every \`[${TO_FILL}: ...]\` must be completed by the provider before publication.`,
  );
  md.push('', '## 1. General information', '', '### 1.1 Provider identification', '');
  md.push(
    `- Name: ${g.provider.name}`,
    `- Contact: ${g.provider.contact}`,
    `- Authorised representative: ${g.provider.authorisedRepresentative}`,
  );
  md.push('', '### 1.2 Model identification', '');
  md.push(
    `- Model: ${g.model.name}`,
    `- Dependencies: ${g.model.dependencies}`,
    `- Placed on the market: ${g.model.placedOnMarket}`,
  );
  md.push('', '### 1.3 Modalities, overall training data size and other characteristics', '');
  md.push(
    `- Text: ${num(text.documents)} documents, ${bytes(text.bytes)}${text.tokens !== null ? `, ${num(text.tokens)} tokens` : ''}. Size range: ${text.sizeRange}.`,
  );
  md.push(
    `- Image: ${g.modalities.image}. Audio: ${g.modalities.audio}. Video: ${g.modalities.video}. Other: ${g.modalities.other}`,
  );
  md.push(`- Types of text content: ${text.typesOfContent.join(', ')}.`);
  md.push(`- Latest date of data acquisition: ${g.latestAcquisitionDate}`);
  md.push(`- Languages (${text.languages.length}):`, '');
  md.push(
    table(
      [
        'language',
        'code',
        'documents',
        'bytes',
        ...(text.tokens !== null ? ['tokens'] : []),
        'share',
      ],
      text.languages.map((l) => [
        l.name,
        l.lang,
        num(l.documents),
        bytes(l.bytes),
        ...(l.tokens !== null ? [num(l.tokens)] : []),
        pct(l.share, 1),
      ]),
    ),
  );
  md.push('', `- Other characteristics: ${g.otherCharacteristics}`);
  md.push('', '## 2. List of data sources', '', '### 2.1 Publicly available datasets', '');
  md.push(`- Used: ${yes(j.sources.publicDatasets.used)}`);
  if (j.sources.publicDatasets.datasets.length > 0) {
    md.push(
      '',
      table(
        ['dataset', 'where', 'licence', 'documents', 'bytes', 'share'],
        j.sources.publicDatasets.datasets.map((s) => [
          s.name,
          s.uri,
          s.licenses.join('; '),
          num(s.documents),
          bytes(s.bytes),
          pct(s.share, 1),
        ]),
      ),
    );
  }
  md.push('', '### 2.2 Private non-publicly available datasets obtained from third parties', '');
  md.push(`- Used: ${yes(j.sources.privateThirdParty.used)}`);
  for (const s of j.sources.privateThirdParty.datasets)
    md.push(`- ${s.name}: ${s.licenses.join('; ')}, ${num(s.documents)} documents`);
  md.push('', '### 2.3 Data crawled and scraped from online sources', '');
  md.push(`- Used: ${yes(j.sources.crawled.used)}`);
  md.push(
    `- Crawlers: ${j.sources.crawled.crawlers}`,
    `- Period: ${j.sources.crawled.period}`,
    `- Domains: ${j.sources.crawled.domains}`,
  );
  md.push('', '### 2.4 User data', '', `- Used: ${yes(j.sources.userData.used)}`);
  md.push('', '### 2.5 Synthetic data', '', `- Used: ${yes(j.sources.synthetic.used)}`);
  md.push('', '### 2.6 Other sources of data', '', `- Used: ${yes(j.sources.other.used)}`);
  for (const s of j.sources.other.sources) {
    md.push(
      `- ${s.name} (${s.uri}): ${s.licenses.join('; ')}, ${num(s.documents)} documents, ${bytes(s.bytes)} ${toFill('how this source was obtained')}`,
    );
  }
  md.push(
    '',
    '## 3. Data processing aspects',
    '',
    '### 3.1 Respect of reservation of rights from text and data mining exception or limitation',
    '',
  );
  md.push(`- ${j.processing.tdmOptOut}`);
  md.push('', '### 3.2 Removal of illegal content', '');
  md.push(`- ${j.processing.illegalContent}`);
  md.push('', '### 3.3 Other information', '');
  md.push(`- ${j.processing.other}`);
  if (j.processing.redacted.length > 0) {
    md.push(
      `- Personal data redacted: ${j.processing.redacted.map((r) => `${num(r.items)} ${r.kind} in ${num(r.documents)} documents`).join(', ')}.`,
    );
  }
  md.push(
    '',
    table(
      ['stage', 'reason', 'documents removed'],
      j.processing.removed.map((r) => [r.stage, r.reason, num(r.documents)]),
    ),
  );
  md.push('');
  return { markdown: md.join('\n'), json: j };
}
