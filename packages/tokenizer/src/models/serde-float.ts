/**
 * The value Hugging Face tokenizers (Rust, serde_json without `float_roundtrip`) reads for a
 * float in tokenizer.json. serde_json builds the decimal's digits into a u64 and then multiplies
 * or divides by a power of ten, which is off by one unit in the last place for about half of
 * the 16-17 digit scores a Unigram vocabulary holds. Viterbi ties then break the other way, so
 * the scores are read the same way here to get the same tokens.
 *
 * JSON.parse has already turned the text into the correctly rounded double; the shortest
 * representation of that double (String(x)) is the text Rust and Python write, so it is parsed
 * again from there.
 */
const POW10: number[] = Array.from({ length: 309 }, (_, k) => Number(`1e${k}`));
const NUMBER = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

export function serdeJsonFloat(x: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x;
  const m = NUMBER.exec(String(Math.abs(x)));
  if (!m) return x;
  const fraction = m[2] ?? '';
  const digits = (m[1] + fraction).replace(/^0+(?=\d)/, '');
  // serde_json stops adding digits once the significand would overflow a u64
  if (digits.length > 19) return x;
  let exponent = (m[3] ? Number(m[3]) : 0) - fraction.length;
  let f = Number(BigInt(digits));
  for (;;) {
    const pow = POW10[Math.abs(exponent)];
    if (pow !== undefined) {
      f = exponent >= 0 ? f * pow : f / pow;
      break;
    }
    if (f === 0) break;
    f /= 1e308;
    exponent += 308;
  }
  return x < 0 ? -f : f;
}
