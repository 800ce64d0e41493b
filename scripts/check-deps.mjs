#!/usr/bin/env node
/**
 * Checks the one-way dependency rules of DESIGN.md: each @openeurollm package may depend only
 * on the packages listed for it below, and no source file reaches into another package's
 * src/ or dist/ (by a deep import or a relative path out of its own package; a test may import
 * the repository's shared test tooling in scripts/).
 * Exit code 1 with one line per violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const ALLOWED = {
  tensor: [],
  tokenizer: [],
  nn: ['tensor'],
  optim: ['tensor', 'nn'],
  data: ['tokenizer'],
  eval: ['tensor', 'nn', 'optim', 'tokenizer', 'data'],
  cli: ['tensor', 'nn', 'optim', 'tokenizer', 'data', 'eval'],
};

const root = resolve(new URL('..', import.meta.url).pathname);
const pkgsDir = join(root, 'packages');
const problems = [];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'build' || name.startsWith('.'))
      continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(c|m)?[jt]sx?$/.test(name)) out.push(p);
  }
  return out;
}

for (const dir of readdirSync(pkgsDir)) {
  const pkgPath = join(pkgsDir, dir, 'package.json');
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  } catch {
    continue;
  }
  const short = pkg.name?.replace(/^@openeurollm\//, '');
  if (!(short in ALLOWED)) {
    problems.push(
      `${pkgPath}: package ${pkg.name} is not in the layering table of scripts/check-deps.mjs`,
    );
    continue;
  }
  const deps = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies };
  for (const dep of Object.keys(deps)) {
    if (!dep.startsWith('@openeurollm/')) continue;
    const d = dep.replace('@openeurollm/', '');
    if (!ALLOWED[short].includes(d)) {
      problems.push(
        `${pkgPath}: ${pkg.name} may not depend on ${dep} (allowed: ${ALLOWED[short].join(', ') || 'none'})`,
      );
    }
  }
  const pkgRoot = join(pkgsDir, dir);
  for (const file of walk(pkgRoot)) {
    const text = readFileSync(file, 'utf8');
    const re = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g;
    for (const m of text.matchAll(re)) {
      const spec = m[1];
      const line = text.slice(0, m.index).split('\n').length;
      const where = `${relative(root, file)}:${line}`;
      const deep = spec.match(/^@openeurollm\/[^/]+\/(src|dist)(\/|$)/);
      if (deep) problems.push(`${where}: deep import '${spec}' (use the package's exports)`);
      if (spec.startsWith('@openeurollm/')) {
        const d = spec.split('/')[1];
        if (d !== short && !ALLOWED[short].includes(d)) {
          problems.push(`${where}: ${pkg.name} imports ${spec}, which the layering forbids`);
        }
      }
      if (spec.startsWith('.')) {
        const target = resolve(join(file, '..'), spec);
        // tests may use the repository's shared test tooling in scripts/ (never published)
        const testTooling =
          file.startsWith(join(pkgRoot, 'test') + sep) &&
          target.startsWith(join(root, 'scripts') + sep);
        if (!target.startsWith(pkgRoot + sep) && !testTooling) {
          problems.push(`${where}: relative import '${spec}' leaves the package`);
        }
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`check-deps: ${problems.length} problem(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('check-deps: package layering OK');
