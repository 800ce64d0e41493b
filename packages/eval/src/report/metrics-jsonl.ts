/**
 * A training run's metrics.jsonl: one JSON object per line with a numeric `step` and any
 * numeric metrics (`loss`, `evalLoss`, `lr`, …), e.g. `{"step":10,"loss":4.2}`. Lines may hold
 * different metrics (training loss every step, evaluation loss every N steps).
 */

export interface MetricsPoint {
  step: number;
  [metric: string]: number;
}

/** Parses metrics.jsonl; an error names the file and line. Non-numeric fields are dropped. */
export function parseMetricsJsonl(text: string, file = 'metrics.jsonl'): MetricsPoint[] {
  const out: MetricsPoint[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new Error(`${file}:${i + 1}: expected a JSON object like {"step":1,"loss":4.2}`);
    }
    const rec = v as Record<string, unknown>;
    if (typeof rec.step !== 'number' || !Number.isFinite(rec.step)) {
      throw new Error(
        `${file}:${i + 1}: field 'step' must be a number, found ${JSON.stringify(rec.step)}`,
      );
    }
    const point: MetricsPoint = { step: rec.step };
    for (const [k, x] of Object.entries(rec))
      if (typeof x === 'number' && Number.isFinite(x)) point[k] = x;
    out.push(point);
  });
  return out;
}
