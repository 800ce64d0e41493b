/**
 * The 24 official languages of the European Union: ISO 639-1 code (what documents carry in
 * `lang`), ISO 639-3 code (what some libraries use), English name and script.
 */

export const EU_LANGUAGES = [
  'bg',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'es',
  'et',
  'fi',
  'fr',
  'ga',
  'hr',
  'hu',
  'it',
  'lt',
  'lv',
  'mt',
  'nl',
  'pl',
  'pt',
  'ro',
  'sk',
  'sl',
  'sv',
] as const;

/** ISO 639-1 code of one of the 24 official EU languages. */
export type EuLanguage = (typeof EU_LANGUAGES)[number];

export interface LanguageInfo {
  /** ISO 639-1. */
  code: EuLanguage;
  /** ISO 639-3. */
  iso639_3: string;
  /** English name. */
  name: string;
  script: 'Latn' | 'Grek' | 'Cyrl';
}

const INFO: [EuLanguage, string, string, LanguageInfo['script']][] = [
  ['bg', 'bul', 'Bulgarian', 'Cyrl'],
  ['cs', 'ces', 'Czech', 'Latn'],
  ['da', 'dan', 'Danish', 'Latn'],
  ['de', 'deu', 'German', 'Latn'],
  ['el', 'ell', 'Greek', 'Grek'],
  ['en', 'eng', 'English', 'Latn'],
  ['es', 'spa', 'Spanish', 'Latn'],
  ['et', 'est', 'Estonian', 'Latn'],
  ['fi', 'fin', 'Finnish', 'Latn'],
  ['fr', 'fra', 'French', 'Latn'],
  ['ga', 'gle', 'Irish', 'Latn'],
  ['hr', 'hrv', 'Croatian', 'Latn'],
  ['hu', 'hun', 'Hungarian', 'Latn'],
  ['it', 'ita', 'Italian', 'Latn'],
  ['lt', 'lit', 'Lithuanian', 'Latn'],
  ['lv', 'lav', 'Latvian', 'Latn'],
  ['mt', 'mlt', 'Maltese', 'Latn'],
  ['nl', 'nld', 'Dutch', 'Latn'],
  ['pl', 'pol', 'Polish', 'Latn'],
  ['pt', 'por', 'Portuguese', 'Latn'],
  ['ro', 'ron', 'Romanian', 'Latn'],
  ['sk', 'slk', 'Slovak', 'Latn'],
  ['sl', 'slv', 'Slovenian', 'Latn'],
  ['sv', 'swe', 'Swedish', 'Latn'],
];

/** Code, ISO 639-3 code, English name and script of each of the 24 languages. */
export const LANGUAGE_INFO: Readonly<Record<EuLanguage, LanguageInfo>> = Object.freeze(
  Object.fromEntries(
    INFO.map(([code, iso639_3, name, script]) => [code, { code, iso639_3, name, script }]),
  ) as Record<EuLanguage, LanguageInfo>,
);

/** True when `code` is the ISO 639-1 code of an official EU language. */
export function isEuLanguage(code: unknown): code is EuLanguage {
  return typeof code === 'string' && (EU_LANGUAGES as readonly string[]).includes(code);
}
