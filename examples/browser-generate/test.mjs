// The page in headless Chromium: it must load the model, run the tokenizer and generate exactly
// the text Node generates with the same seed (dist/expected.json). Without a browser (Debian's
// `chromium`, or OELLM_CHROMIUM_PATH) or playwright-core the test is skipped with the reason logged;
// with OELLM_REQUIRE_BROWSER=1 that is a failure instead.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { serve } from './serve.mjs';

const required = process.env.OELLM_REQUIRE_BROWSER === '1';
function skip(reason) {
  if (required) {
    console.error(`browser test: ${reason} (OELLM_REQUIRE_BROWSER=1, so this fails)`);
    process.exit(1);
  }
  console.log(`browser test skipped: ${reason}`);
  process.exit(0);
}

const candidates = [
  process.env.OELLM_CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].filter(Boolean);
const executablePath = candidates.find((p) => existsSync(p));
if (!executablePath)
  skip(
    `no Chromium found (looked at ${candidates.join(', ')}; apt-get install chromium, or set OELLM_CHROMIUM_PATH)`,
  );
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  skip(`playwright-core is not installed (${e.message})`);
}

const expected = JSON.parse(readFileSync('dist/expected.json', 'utf8'));
const server = await serve(0);
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  await page.waitForFunction(
    () => document.body.dataset.ready === 'true' || document.body.dataset.error,
    null,
    { timeout: 60_000 },
  );
  assert.deepEqual(errors, []);
  const status = await page.textContent('#status');
  assert.match(status, /model loaded in \d+ ms on the js backend/);
  const text = await page.textContent('#output');
  assert.equal(text, expected.text, 'the browser generates what Node generates with the same seed');
  // another seed, through the page's controls
  await page.fill('#seed', '7');
  await page.click('#go');
  await page.waitForFunction((t) => document.getElementById('output').textContent !== t, text);
  assert.ok((await page.textContent('#output')).startsWith('All human beings'));
  console.log(`browser test passed in ${executablePath}: ${JSON.stringify(text)}`);
} finally {
  await browser.close();
  server.close();
}
