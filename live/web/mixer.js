// gainstage live: the browser mixer. State arrives 20 times a second over the WebSocket
// ("gainstage" protocol); each control sends an OSC message as JSON ({path, args}), answered by
// the same dispatcher as OSC (see doc/live.md). Nothing here is fetched from anywhere else.
'use strict';

const HOLD_MS = 1500; // how long a peak hold stays up
const FLOOR_DB = -60; // the bottom of the meter scale

const mixer = { updates: 0, state: null, replies: [], ws: null, strips: [] };
window.gsMixer = mixer; // for the browser test: counts and the last state

function dbText(lin) {
  if (!(lin > 0)) return '-inf';
  const db = 20 * Math.log10(lin);
  return db < -120 ? '-inf' : db.toFixed(1);
}

function send(path, args) {
  if (mixer.ws && mixer.ws.readyState === WebSocket.OPEN)
    mixer.ws.send(JSON.stringify({ path: path, args: args }));
}
mixer.send = send;

// One meter: bar, hold line and clip marker (clicking the meter clears the marker).
function makeMeter(el) {
  const m = { el: el, bar: el.querySelector('.bar'), hold: el.querySelector('.hold'),
              clip: el.querySelector('.clip'), holdDb: -Infinity, holdAt: 0, clips: null };
  el.addEventListener('click', () => { m.clip.classList.remove('on'); });
  return m;
}

function meterSet(m, lin, clips, now) {
  const db = lin > 0 ? 20 * Math.log10(lin) : -Infinity;
  const pct = (d) => Math.max(0, Math.min(100, (d - FLOOR_DB) / -FLOOR_DB * 100));
  m.bar.style.height = pct(db) + '%';
  if (db >= m.holdDb || now - m.holdAt > HOLD_MS) { m.holdDb = db; m.holdAt = now; }
  m.hold.style.bottom = pct(m.holdDb) + '%';
  if (clips !== undefined) {
    if ((m.clips !== null && clips > m.clips) || lin >= 1) m.clip.classList.add('on');
    m.clips = clips;
  }
}

// A slider sends while it moves and is not overwritten by the state while held.
function slider(input, out, path, fmt) {
  input.addEventListener('pointerdown', () => { input.dataset.held = '1'; });
  input.addEventListener('pointerup', () => { delete input.dataset.held; });
  input.addEventListener('change', () => { delete input.dataset.held; });
  input.addEventListener('input', () => {
    out.textContent = fmt(Number(input.value));
    send(path, [Number(input.value)]);
  });
}

function makeStrip(k, presets) {
  const node = document.getElementById('strip').content.firstElementChild.cloneNode(true);
  const q = (s) => node.querySelector(s);
  const base = '/gainstage/ch/' + (k + 1) + '/';
  const s = { node: node, pre: makeMeter(q('.meter.pre')), post: makeMeter(q('.meter.post')),
              vpre: q('.vpre'), vpost: q('.vpost'), gain: q('.gain'), vgain: q('.vgain'),
              level: q('.level'), vlevel: q('.vlevel'), pan: q('.pan'), vpan: q('.vpan'),
              mute: q('.mute'), solo: q('.solo'), preset: q('.preset') };
  node.dataset.channel = String(k + 1);
  q('.name').textContent = 'input ' + (k + 1);
  for (const p of presets) {
    const o = document.createElement('option');
    o.value = o.textContent = p;
    s.preset.appendChild(o);
  }
  s.preset.addEventListener('change', () => send(base + 'preset', [s.preset.value]));
  slider(s.gain, s.vgain, base + 'gain', (v) => v.toFixed(1) + ' dB');
  slider(s.level, s.vlevel, base + 'level', (v) => (v <= -90 ? 'off' : v.toFixed(1) + ' dB'));
  slider(s.pan, s.vpan, base + 'pan', (v) => v.toFixed(2));
  s.mute.addEventListener('click', () => send(base + 'mute', [s.mute.classList.contains('on') ? 0 : 1]));
  s.solo.addEventListener('click', () => send(base + 'solo', [s.solo.classList.contains('on') ? 0 : 1]));
  document.getElementById('strips').appendChild(node);
  return s;
}

function setSlider(input, out, v, fmt) {
  if (input.dataset.held || v === undefined || v === null) return;
  input.value = String(v);
  out.textContent = fmt(v);
}

function showStrip(s, c, now) {
  meterSet(s.pre, c.pre, c.cpre, now);
  meterSet(s.post, c.post, c.cpost, now);
  s.vpre.textContent = dbText(c.pre);
  s.vpost.textContent = dbText(c.post);
  if (c.gmin !== undefined) { s.gain.min = c.gmin; s.gain.max = c.gmax; }
  s.gain.disabled = c.gain === undefined;
  setSlider(s.gain, s.vgain, c.gain, (v) => v.toFixed(1) + ' dB');
  setSlider(s.level, s.vlevel, c.level, (v) => (v <= -90 ? 'off' : v.toFixed(1) + ' dB'));
  setSlider(s.pan, s.vpan, c.pan, (v) => v.toFixed(2));
  s.mute.classList.toggle('on', !!c.mute);
  s.solo.classList.toggle('on', !!c.solo);
  if (!Array.from(s.preset.options).some((o) => o.value === c.preset)) {
    const o = document.createElement('option'); // a preset file, not a built-in
    o.value = o.textContent = c.preset;
    s.preset.appendChild(o);
  }
  if (document.activeElement !== s.preset) s.preset.value = c.preset;
}

const levelText = (v) => (v <= -90 ? 'off' : v.toFixed(1) + ' dB');
const master = { l: makeMeter(document.querySelector('#master .left')),
                 r: makeMeter(document.querySelector('#master .right')),
                 level: document.querySelector('#master .master'),
                 vlevel: document.querySelector('#master .vmaster') };
slider(master.level, master.vlevel, '/gainstage/monitor/level', levelText);

function showState(st) {
  const now = performance.now();
  mixer.updates++;
  mixer.state = st;
  st.ch.forEach((c, k) => { if (mixer.strips[k]) showStrip(mixer.strips[k], c, now); });
  meterSet(master.l, st.mon[0], undefined, now);
  meterSet(master.r, st.mon[1], undefined, now);
  document.querySelector('#master .vl').textContent = dbText(st.mon[0]);
  document.querySelector('#master .vr').textContent = dbText(st.mon[1]);
  setSlider(master.level, master.vlevel, st.master, levelText);
  document.getElementById('engine').textContent = st.rate + ' Hz, ' + st.period + ' frames';
  document.getElementById('load').textContent =
    (100 * st.load).toFixed(1) + '% (max ' + (100 * st.loadmax).toFixed(1) + '%)';
  document.getElementById('xruns').textContent = st.xruns;
  document.getElementById('late').textContent = st.late;
  const btn = document.getElementById('recbtn');
  btn.classList.toggle('on', st.rec.on);
  btn.textContent = st.rec.on ? 'stop' : 'record';
  document.getElementById('take').textContent = st.rec.on ? st.rec.take : 'not recording';
  document.getElementById('elapsed').textContent = st.rec.on ? st.rec.seconds.toFixed(1) + ' s' : '';
}

function onMessage(ev) {
  let m;
  try { m = JSON.parse(ev.data); } catch (e) { return; }
  if (m.t === 'hello') {
    document.getElementById('strips').textContent = '';
    mixer.strips = [];
    for (let k = 0; k < m.channels; k++) mixer.strips.push(makeStrip(k, m.presets));
  } else if (m.t === 'state') {
    showState(m);
  } else if (m.t === 'reply') {
    mixer.replies.push(m);
    const msg = document.getElementById('msg');
    msg.textContent = m.path === '/gainstage/error' ? m.args.join(': ') : '';
  }
}

function connect() {
  const token = new URLSearchParams(location.search).get('token');
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws' +
              (token ? '?token=' + encodeURIComponent(token) : '');
  const ws = new WebSocket(url, 'gainstage');
  mixer.ws = ws;
  const conn = document.getElementById('conn');
  ws.onopen = () => { conn.textContent = 'connected'; conn.className = 'good'; };
  ws.onclose = () => {
    conn.textContent = 'disconnected'; conn.className = 'bad';
    setTimeout(connect, 1000);
  };
  ws.onmessage = onMessage;
}

document.getElementById('recbtn').addEventListener('click', () => {
  const on = mixer.state && mixer.state.rec.on;
  const name = document.getElementById('takename').value.trim();
  send('/gainstage/record', on ? [0] : name ? [1, name] : [1]);
});
connect();
