// The browser mixer in headless Chromium (playwright-core driving Debian's /usr/bin/chromium).
// usage: node web_browser.mjs PLAYWRIGHT_DIR mixer URL LIVE_HELPER OSC_PORT
//        node web_browser.mjs PLAYWRIGHT_DIR token URL        (URL ends in ?token=T)
// Prints "ok WHAT" per passed check, "FAIL: WHAT" per failed one, a "figures" line (the update
// rate measured in the page), and exits 1 if any check failed.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';

const [pwDir, mode, url, helper, oscPort] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(pwDir), 'package.json'));
const { chromium } = require('playwright-core');

let failed = 0;
const check = (cond, what) => {
  if (cond) console.log(`ok ${what}`);
  else { failed++; console.log(`FAIL: ${what}`); }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The engine's view of channel K through OSC: [preset, gain, level, pan, mute, solo].
const oscGet = (k) =>
  execFileSync(helper, ['osc', oscPort, `/gainstage/ch/${k}/get`]).toString().trim().split(/\s+/).slice(1);
async function until(f, ms) {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(50)) if (await f()) return true;
  return false;
}

async function mixer(browser) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('.strip[data-channel="2"]', { timeout: 10000 });
  check((await page.locator('#strips .strip').count()) === 2, 'one strip per channel (2)');
  // Update rate and the longest gap between two state messages, over 3 s, in the page.
  const m = await page.evaluate(() => new Promise((done) => {
    const times = [], post = [], pre = [];
    const on = (ev) => {
      const s = JSON.parse(ev.data);
      if (s.t !== 'state') return;
      times.push(performance.now());
      post.push(s.ch[0].post);
      pre.push(s.ch[0].pre);
    };
    window.gsMixer.ws.addEventListener('message', on);
    setTimeout(() => {
      window.gsMixer.ws.removeEventListener('message', on);
      let gap = 0;
      for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
      const span = (times[times.length - 1] - times[0]) / 1000;
      done({ n: times.length, rate: (times.length - 1) / span, gap, post, pre,
             bar: document.querySelector('.strip[data-channel="1"] .meter.post .bar').style.height,
             vpre: document.querySelector('.strip[data-channel="1"] .vpre').textContent });
    }, 3000);
  }));
  console.log(`figures: ${m.n} state messages in 3 s: ${m.rate.toFixed(1)}/s, longest gap ` +
              `${m.gap.toFixed(0)} ms; ch 1 pre ${m.vpre} dBFS, post bar ${m.bar}`);
  check(m.rate >= 15, `meters update ${m.rate.toFixed(1)} times a second (want >= 15)`);
  check(m.post.every((v) => v > 0) && parseFloat(m.bar) > 0, `post meter moves (bar ${m.bar})`);
  check(Math.abs(parseFloat(m.vpre) + 20) < 0.5, `pre meter reads the -20 dBFS tone: ${m.vpre}`);
  // A second client, then a fader and mute from the first.
  const ctx2 = await browser.newContext();
  const page2 = await ctx2.newPage();
  await page2.goto(url, { waitUntil: 'load' });
  await page2.waitForSelector('.strip[data-channel="1"]', { timeout: 10000 });
  await page.evaluate(() => {
    const g = document.querySelector('.strip[data-channel="1"] .gain');
    g.value = '10';
    g.dispatchEvent(new Event('input'));
    g.dispatchEvent(new Event('change'));
  });
  check(await until(() => Number(oscGet(1)[1]) === 10, 3000), `fader: OSC reads gain ${oscGet(1)[1]}, want 10`);
  await page.click('.strip[data-channel="1"] .mute');
  check(await until(() => oscGet(1)[4] === '1', 3000), `mute: OSC reads mute ${oscGet(1)[4]}, want 1`);
  check(await until(() => page2.evaluate(() =>
    document.querySelector('.strip[data-channel="1"] .mute').classList.contains('on') &&
    document.querySelector('.strip[data-channel="1"] .gain').value === '10'), 3000),
  'the second client sees gain 10 and mute on');
  // The monitor master's fader: the engine's master through OSC, its readout, the second page's
  // fader, and the monitor meter 10 dB down (ch 1 is muted: the bus is ch 2 alone).
  const oscMon = () => execFileSync(helper, ['osc', oscPort, '/gainstage/monitor/get']).toString()
    .trim().split(/\s+/).slice(1).map(Number);
  await sleep(300); // the meter window after the mute above
  const mon0 = oscMon();
  await page.evaluate(() => {
    const g = document.querySelector('#master .master');
    g.value = '-10';
    g.dispatchEvent(new Event('input'));
    g.dispatchEvent(new Event('change'));
  });
  check(await until(() => oscMon()[0] === -10, 3000), `master fader: OSC reads ${oscMon()[0]} dB, want -10`);
  check((await page.textContent('#master .vmaster')) === '-10.0 dB',
    `master readout: ${await page.textContent('#master .vmaster')}`);
  check(await until(() => page2.evaluate(() =>
    document.querySelector('#master .master').value === '-10' &&
    document.querySelector('#master .vmaster').textContent === '-10.0 dB'), 3000),
  'the second client sees the master at -10 dB');
  check(await until(() => Math.abs(oscMon()[1] - (mon0[1] - 10)) < 0.2, 3000),
    `monitor L follows the master: ${oscMon()[1].toFixed(2)} dBFS, was ${mon0[1].toFixed(2)}`);
  console.log(`master: monitor L ${mon0[1].toFixed(2)} dBFS at 0 dB, ${oscMon()[1].toFixed(2)} at -10 dB`);
  // OSC to the page: the third surface agrees too.
  execFileSync(helper, ['osc', oscPort, '/gainstage/ch/2/solo', 'i:1']);
  check(await until(() => page.evaluate(() =>
    document.querySelector('.strip[data-channel="2"] .solo').classList.contains('on')), 3000),
  'a solo sent by OSC shows on the page');
  // Record: the take started by --record stops, then one named in the page's box starts.
  await page.click('#recbtn');
  check(await until(() => page.evaluate(() => !window.gsMixer.state.rec.on), 3000), 'record button stops the take');
  await page.fill('#takename', 'webtake');
  await page.click('#recbtn');
  check(await until(() => page.evaluate(() => window.gsMixer.state.rec.on &&
    window.gsMixer.state.rec.take === 'webtake' &&
    parseFloat(document.getElementById('elapsed').textContent) > 0.2), 5000),
  `a take named in the page records: ${await page.evaluate(() => document.getElementById('take').textContent)}` +
  ` ${await page.evaluate(() => document.getElementById('elapsed').textContent)}`);
  if (process.env.GS_SHOT) await page.screenshot({ path: process.env.GS_SHOT, fullPage: true });
  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
}

// A raw request (no cookie): its HTTP status, or the WebSocket handshake's.
function status(u, headers) {
  return new Promise((done) => {
    const req = http.get(u, { headers }, (res) => { res.resume(); done(res.statusCode); });
    req.on('upgrade', (res, sock) => { sock.destroy(); done(res.statusCode); });
    req.on('error', () => done(0));
  });
}

async function token(browser) {
  const u = new URL(url);
  const base = `${u.protocol}//${u.host}`;
  check((await status(base + '/')) === 403, 'the page without the token: 403');
  check((await status(base + '/mixer.js')) === 403, 'mixer.js without the token: 403');
  check((await status(base + '/?token=0123456789abcdef0123456789abcdef')) === 403, 'a wrong token: 403');
  const ws = await status(base + '/ws', { Connection: 'Upgrade', Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Protocol': 'gainstage' });
  check(ws !== 101, `a WebSocket without the token is refused (status ${ws})`);
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'load' });
  check(await until(() => page.evaluate(() => window.gsMixer && window.gsMixer.updates > 2), 10000),
    'with the token: the page, its script (the cookie) and the state arrive');
  check((await page.locator('#strips .strip').count()) === 1, 'one strip for one channel');
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox'] });
try {
  await (mode === 'token' ? token(browser) : mixer(browser));
} catch (e) {
  failed++;
  console.log(`FAIL: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
