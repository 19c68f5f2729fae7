// Server health and metrics: /healthz, /readyz and the Prometheus /metrics
// (no key needed), sampled every 5 s while the page is open, drawn as SVG
// charts: requests per second (answered, refused), latency percentiles,
// gallery sizes.
import { h, table } from '../ui.js';

const PERIOD_MS = 5000;
const KEEP = 60;  // samples: five minutes
const SVG = 'http://www.w3.org/2000/svg';

/** Prometheus text -> [{name, labels: {k: v}, value}] */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The q-quantile (seconds) of histogram bucket increments {le: count}, interpolated linearly. */
export function quantile(buckets, q) {
  const les = Object.keys(buckets).map(Number).sort((a, b) => a - b);
  const total = buckets[les.find((le) => le === Infinity)] ?? 0;
  if (!total) return null;
  let prevLe = 0, prevCount = 0;
  for (const le of les) {
    const count = buckets[le];
    if (count >= q * total) {
      if (le === Infinity) return prevLe;
      return prevLe + (le - prevLe) * ((q * total - prevCount) / Math.max(1e-9, count - prevCount));
    }
    prevLe = le; prevCount = count;
  }
  return prevLe;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}

/** A line chart of series [{name, cls, values: [number|null]}], with its latest values in text. */
function lineChart(title, series, unit) {
  const W = 400, H = 160, P = 28;
  const all = series.flatMap((s) => s.values.filter((v) => v !== null));
  const top = Math.max(1e-9, ...all) * 1.1;
  const x = (i) => P + (i * (W - P - 6)) / Math.max(1, KEEP - 1);
  const y = (v) => H - 18 - (v / top) * (H - 30);
  const paths = series.map((s) => {
    let d = '';
    s.values.forEach((v, i) => { if (v !== null) d += `${d ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`; });
    const dots = s.values.map((v, i) => (v === null ? null : svg('circle', { class: s.cls, cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 2.5 })))
      .filter(Boolean);
    return svg('g', {}, svg('path', { class: s.cls, d }), ...dots);
  });
  const latest = series.map((s) => {
    const v = [...s.values].reverse().find((n) => n !== null);
    return `${s.name} ${v === undefined ? '-' : v.toFixed(unit === '/s' ? 2 : 0)} ${unit}`;
  }).join(', ');
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}: ${latest}` },
    svg('line', { x1: P, y1: H - 18, x2: W, y2: H - 18, stroke: '#999' }),
    svg('text', { x: 2, y: 12 }, top.toFixed(unit === '/s' ? 1 : 0)), svg('text', { x: 2, y: H - 20 }, '0'),
    svg('text', { x: P, y: H - 4 }, `last ${KEEP * PERIOD_MS / 60000} min`), ...paths);
  return h('figure', { class: 'chart' }, h('figcaption', {}, `${title} — ${latest}`), chart);
}

function barChart(title, bars) {
  const W = 400, H = 160;
  const top = Math.max(1, ...bars.map((b) => b.value));
  const w = (W - 20) / Math.max(1, bars.length);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}: ${bars.map((b) => `${b.label} ${b.value}`).join(', ')}` },
    ...bars.flatMap((b, i) => {
      const bh = (b.value / top) * (H - 40);
      return [svg('rect', { class: 'bar', x: 10 + i * w + 8, y: H - 20 - bh, width: w - 16, height: bh }),
        svg('text', { x: 10 + i * w + 8, y: H - 6 }, b.label), svg('text', { x: 10 + i * w + 8, y: H - 24 - bh }, String(b.value))];
    }));
  return h('figure', { class: 'chart' }, h('figcaption', {}, title), chart);
}

export async function renderHealth(root, { onLeave }) {
  const state = h('p', { role: 'status', 'aria-live': 'polite' });
  const charts = h('div', { class: 'charts' });
  const details = h('div');
  const now = h('button', { type: 'button', class: 'secondary' }, 'Refresh now');
  root.append(h('div', { class: 'row' }, state, now), charts, details);
  const samples = [];  // {t, requests, buckets: {le: count}, gallery: {kind: n}}

  async function sample() {
    const [healthz, readyz, metrics] = await Promise.all(['/healthz', '/readyz', '/metrics'].map((p) =>
      fetch(p, { cache: 'no-store' }).then(async (r) => ({ ok: r.ok, status: r.status, text: await r.text() }))
        .catch((e) => ({ ok: false, status: 0, text: e.message }))));
    state.textContent = `Process: ${healthz.ok ? 'up' : `down (${healthz.status})`}. Gallery: ${readyz.ok ? 'ready' : `not ready (${readyz.status} ${readyz.text.trim()})`}. Sampled ${new Date().toLocaleTimeString()}.`;
    if (!metrics.ok) return;
    const m = parseMetrics(metrics.text);
    const s = { t: Date.now(), requests: 0, refused: 0, buckets: {}, gallery: {} };
    const byAction = new Map();
    for (const x of m) {
      if (x.name === 'facekit_requests_total') {
        s.requests += x.value;
        if (x.labels.code !== 'OK') s.refused += x.value;
        const key = `${x.labels.surface} ${x.labels.action} ${x.labels.code}`;
        byAction.set(key, (byAction.get(key) || 0) + x.value);
      } else if (x.name === 'facekit_request_duration_seconds_bucket') {
        const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le);
        s.buckets[le] = (s.buckets[le] || 0) + x.value;
      } else if (x.name === 'facekit_gallery_objects') {
        s.gallery[x.labels.kind] = x.value;
      }
    }
    samples.push(s);
    if (samples.length > KEEP + 1) samples.shift();
    const rate = [], refusedRate = [], p50 = [], p90 = [];
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1], b = samples[i];
      const seconds = (b.t - a.t) / 1000;
      rate.push((b.requests - a.requests) / seconds);
      refusedRate.push((b.refused - a.refused) / seconds);
      const delta = {};
      for (const le of Object.keys(b.buckets)) delta[le] = b.buckets[le] - (a.buckets[le] || 0);
      const q50 = quantile(delta, 0.5), q90 = quantile(delta, 0.9);
      p50.push(q50 === null ? null : q50 * 1000);
      p90.push(q90 === null ? null : q90 * 1000);
    }
    charts.replaceChildren(
      lineChart('Requests per second', [{ name: 'all', cls: 'line', values: rate }, { name: 'refused', cls: 'line2', values: refusedRate }], '/s'),
      lineChart('Latency (arrival to answer)', [{ name: 'p50', cls: 'line', values: p50 }, { name: 'p90', cls: 'line2', values: p90 }], 'ms'),
      barChart('Gallery size', ['groups', 'persons', 'faces'].map((k) => ({ label: k, value: s.gallery[k] ?? 0 }))));
    const rows = [...byAction.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => [...k.split(' '), String(v)]);
    details.replaceChildren(table('Requests answered since the server started', ['Surface', 'Action', 'Code', 'Count'], rows));
  }
  now.addEventListener('click', () => sample());
  await sample();
  const timer = setInterval(sample, PERIOD_MS);
  onLeave(() => clearInterval(timer));
}
