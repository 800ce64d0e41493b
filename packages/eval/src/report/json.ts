/**
 * JSON for reports: indented, but an object or array that holds only numbers, strings,
 * booleans and nulls stays on one line (a loss-curve point, a row of counts), so that a
 * report with a thousand training steps stays readable and small.
 */
export function stringifyReport(value: unknown): string {
  return `${write(value, '')}\n`;
}

function write(v: unknown, indent: string): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every(isFlat)) {
      const line = `[${v.map((x) => write(x, '')).join(', ')}]`;
      if (line.length <= 100 || v.every((x) => x === null || typeof x !== 'object')) return line;
    }
    return `[\n${v.map((x) => inner + write(x, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  if (entries.every(([, x]) => x === null || typeof x !== 'object')) {
    return `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${JSON.stringify(x)}`).join(', ')} }`;
  }
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${write(x, inner)}`).join(',\n')}\n${indent}}`;
}

/** A primitive, or an object whose values are all primitives. */
function isFlat(x: unknown): boolean {
  if (x === null || typeof x !== 'object') return true;
  if (Array.isArray(x)) return false;
  return Object.values(x).every((y) => y === null || typeof y !== 'object');
}
