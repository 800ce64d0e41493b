/**
 * Per-language weights for `trainBpe({ languageWeights })` from the size of each language's
 * training text, by temperature sampling: language l gets the share p_l ∝ n_l^(1/T) of the
 * weighted corpus (T = 1 keeps the natural mix, T = Infinity, the default, makes every language
 * count the same), i.e. weight_l = p_l * N / n_l with N the total size, so the weighted corpus
 * has the same total size as the real one.
 */
export function balancedLanguageWeights(
  sizes: Readonly<Record<string, number>>,
  options: { temperature?: number } = {},
): Record<string, number> {
  const temperature = options.temperature ?? Number.POSITIVE_INFINITY;
  if (!(temperature > 0)) {
    throw new RangeError(
      `balancedLanguageWeights: options.temperature must be > 0, received ${temperature}`,
    );
  }
  const entries = Object.entries(sizes);
  for (const [lang, n] of entries) {
    if (typeof n !== 'number' || !(n > 0) || !Number.isFinite(n)) {
      throw new RangeError(
        `balancedLanguageWeights: sizes.${lang} must be a positive number, received ${String(n)}`,
      );
    }
  }
  const total = entries.reduce((s, [, n]) => s + n, 0);
  const scaled = entries.map(([lang, n]) => [lang, n ** (1 / temperature)] as const);
  const z = scaled.reduce((s, [, x]) => s + x, 0);
  const out: Record<string, number> = {};
  for (let i = 0; i < entries.length; i++) {
    const [lang, n] = entries[i];
    out[lang] = ((scaled[i][1] / z) * total) / n;
  }
  return out;
}
