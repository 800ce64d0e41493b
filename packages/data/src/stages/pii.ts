/**
 * PII redaction: e-mail addresses, phone numbers, IBANs (validated by the ISO 13616 mod-97
 * checksum and the country's length) and IP addresses (IPv4 with octets 0-255, IPv6) are
 * replaced by placeholders, and counted per kind in the ledger (stage 'pii', changed, reason the kind,
 * items = matches).
 */
import { documentStage, type Stage } from '../pipeline.js';

export type PiiKind = 'email' | 'phone' | 'iban' | 'ip';

export interface RedactPiiOptions {
  /** Kinds to redact. Default all four. */
  kinds?: readonly PiiKind[];
  /** Placeholder per kind. Default '<EMAIL>', '<PHONE>', '<IBAN>', '<IP>'. */
  replacements?: Partial<Record<PiiKind, string>>;
}

/** IBAN length per country (ISO 13616 registry), for the countries that issue them. */
const IBAN_LENGTH: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** True when `iban` (spaces allowed) has its country's length and a valid mod-97 checksum. */
export function isValidIban(iban: string): boolean {
  const s = iban.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s)) return false;
  if (IBAN_LENGTH[s.slice(0, 2)] !== s.length) return false;
  // move the first four characters to the end, letters to numbers (A=10 ... Z=35), mod 97
  const r = s.slice(4) + s.slice(0, 4);
  let mod = 0;
  for (const ch of r) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    mod = v >= 10 ? (mod * 100 + v) % 97 : (mod * 10 + v) % 97;
  }
  return mod === 1;
}

const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}(?![\p{L}\p{N}])/gu;
// an IBAN as written: country, check digits, then groups of letters and digits, optionally
// in blocks of four separated by single spaces
const IBAN = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b/g;
const IPV4 =
  /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]*\d)/g;
// full, and ::-compressed forms with at least two groups
const IPV6 =
  /(?<![\p{L}\p{N}:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,6}(?::[0-9a-f]{1,4}){1,6}|(?:[0-9a-f]{1,4}:){1,7}:|::(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})(?![\p{L}\p{N}:])/giu;
// international (+country) or national (leading 0) numbers with separators: 8 to 15 digits
const PHONE =
  /(?<![\p{L}\p{N}+])(?:\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?|\(?0\d{1,4}\)?[ .-]?)\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?![\p{L}\p{N}])/gu;

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** Redacts PII in a text; returns the text and the number of matches per kind. */
export function redactText(
  text: string,
  options: RedactPiiOptions = {},
): { text: string; counts: Record<PiiKind, number> } {
  const kinds = new Set(options.kinds ?? ['email', 'phone', 'iban', 'ip']);
  const rep = {
    email: '<EMAIL>',
    phone: '<PHONE>',
    iban: '<IBAN>',
    ip: '<IP>',
    ...options.replacements,
  };
  const counts: Record<PiiKind, number> = { email: 0, phone: 0, iban: 0, ip: 0 };
  let t = text;
  // cheap pre-checks keep the common case (no PII) fast
  if (kinds.has('email') && t.includes('@')) {
    t = t.replace(EMAIL, () => {
      counts.email++;
      return rep.email;
    });
  }
  if (kinds.has('iban') && /[A-Z]{2}\d{2}/.test(t)) {
    t = t.replace(IBAN, (m) => {
      if (!isValidIban(m)) return m;
      counts.iban++;
      return rep.iban;
    });
  }
  if (kinds.has('ip')) {
    if (/\d\.\d/.test(t)) {
      t = t.replace(IPV4, () => {
        counts.ip++;
        return rep.ip;
      });
    }
    if (t.includes(':')) {
      t = t.replace(IPV6, (m) => {
        // times such as 12:30 are not addresses: require a hex letter, '::' or 8 groups
        if (!/[a-f]/i.test(m) && !m.includes('::') && m.split(':').length < 8) return m;
        counts.ip++;
        return rep.ip;
      });
    }
  }
  if (kinds.has('phone') && /\d[ .-]?\d/.test(t)) {
    t = t.replace(PHONE, (m: string, offset: number, whole: string) => {
      const d = digitCount(m);
      // 8-15 digits (E.164 allows up to 15), and a separator or a '+' so that plain numbers,
      // years and version strings stay
      if (d < 8 || d > 15 || !/[+ .()-]/.test(m)) return m;
      // dates such as 2024-01-31 or 31.01.2024 are not phone numbers
      if (/^\d{4}-\d{2}-\d{2}$|^\d{2}\.\d{2}\.\d{4}$/.test(m)) return m;
      // nor the digits of an IBAN-shaped string (one whose checksum failed above)
      if (
        /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4})* ?$/.test(whole.slice(Math.max(0, offset - 40), offset))
      )
        return m;
      counts.phone++;
      return rep.phone;
    });
  }
  return { text: t, counts };
}

/** The PII stage (ledger name 'pii'). */
export function redactPii(options: RedactPiiOptions = {}): Stage {
  const kinds = options.kinds ?? ['email', 'phone', 'iban', 'ip'];
  return documentStage(
    'pii',
    { kinds, replacements: options.replacements ?? {} },
    () => (doc, o) => {
      const { text, counts } = redactText(doc.text, options);
      if (text !== doc.text) {
        doc.text = text;
        for (const k of kinds) if (counts[k] > 0) o.change(k, counts[k]);
      }
      return doc;
    },
  );
}
