// Renders report pages in headless Chromium (playwright-core driving Debian's /usr/bin/chromium)
// and checks what a reader sees: the titles in words, every image loaded, no raw key as a
// heading, and on a comparison one legend entry per device.
// usage: node report_browser.mjs PLAYWRIGHT_DIR SINGLE_DIR COMPARE_DIR NDEVICES
// Prints one "FAIL: ..." line per failed check and exits 1 if any failed.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';

const [pwDir, single, compare, ndev] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(pwDir), 'package.json'));
const { chromium } = require('playwright-core');

const titles = ['THD and THD+N against level, 1 kHz', 'Frequency response',
  'Harmonics H2 to H10', 'Phase response', 'Static transfer curve', 'Gain compression',
  'Aliasing against tone frequency', 'Output spectrum of a 5 kHz tone', 'Latency'];
const rawKeys = ['thd_vs_level', 'freq_response', 'harmonics', 'even_odd', 'phase', 'transfer',
  'compression', 'alias_vs_freq', 'spectrum_5k', 'spectrum_9k', 'aliasing', 'dc_offset', 'cpu'];
let failed = 0;
const fail = (what) => { failed++; console.log(`FAIL: ${what}`); };

async function check(page, dir, what) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(path.join(dir, 'index.html')).href, { waitUntil: 'load' });
  const seen = await page.evaluate(() => ({
    headings: [...document.querySelectorAll('h1,h2,h3,dt,th')].map((h) => h.textContent.trim()),
    images: [...document.images].map((i) => ({ src: i.getAttribute('src'), w: i.naturalWidth,
      complete: i.complete })),
    legend: document.querySelectorAll('.legend .legend-entry').length,
    swatches: document.querySelectorAll('.legend .legend-entry svg.swatch').length,
    body: document.body.innerText,
  }));
  for (const t of titles)
    if (!seen.headings.some((h) => h.startsWith(t))) fail(`${what}: no heading "${t}"`);
  for (const h of seen.headings)
    if (rawKeys.includes(h)) fail(`${what}: raw key as a heading: "${h}"`);
  if (seen.images.length < 10) fail(`${what}: ${seen.images.length} images, want 10`);
  for (const i of seen.images)
    if (!i.complete || i.w === 0) fail(`${what}: image ${i.src} did not load`);
  if (/EIN[^\n]*-2[0-9][0-9]\.[0-9]/.test(seen.body)) fail(`${what}: an EIN below -200 dBu shown as measured`);
  for (const e of errors) fail(`${what}: script error ${e}`);
  return seen;
}

// A fresh profile each run: nothing from an earlier run (cache, settings) can make a page pass.
const profile = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'gs-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const one = await check(await context.newPage(), single, 'single report');
  if (!one.body.includes('noise model off')) fail('single report (noise off): no "noise model off"');
  const cmp = await check(await context.newPage(), compare, 'comparison');
  if (cmp.legend !== Number(ndev)) fail(`comparison: ${cmp.legend} legend entries, want ${ndev}`);
  if (cmp.swatches !== Number(ndev)) fail(`comparison: ${cmp.swatches} legend swatches, want ${ndev}`);
  console.log(`checked ${one.images.length} + ${cmp.images.length} images, ` +
    `${one.headings.length} + ${cmp.headings.length} headings, ${cmp.legend} legend entries`);
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
