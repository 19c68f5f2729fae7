// Server health and metrics: /healthz, /readyz and the Prometheus /metrics
// (no key needed), sampled every 5 s while the page is open, drawn as SVG
// charts: requests per second (answered, refused), latency percentiles,
// gallery sizes.
import { h, table } from '../ui.js';

const PERIOD_MS = 5000;
const WINDOW_MS = 5 * 60 * 1000;  // what the charts show
// Samples of this tab, kept while it lives (also while other pages are open,
// so coming back shows what happened meanwhile).
const samples = [];  // {t, requests, refused, buckets: {le: count}, gallery: {kind: n}}
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

/** A line chart over the last WINDOW_MS of series [{name, cls, points: [{t, v}]}], with its latest values in text. */
function lineChart(title, series, unit, end) {
  const W = 400, H = 160, P = 28;
  const shown = series.map((s) => ({ ...s, points: s.points.filter((p) => p.v !== null && p.t >= end - WINDOW_MS) }));
  const top = Math.max(1e-9, ...shown.flatMap((s) => s.points.map((p) => p.v))) * 1.1;
  const x = (t) => P + ((t - (end - WINDOW_MS)) / WINDOW_MS) * (W - P - 6);
  const y = (v) => H - 18 - (v / top) * (H - 30);
  const digits = unit === '/s' ? 2 : 0;
  const paths = shown.map((s) => svg('g', {},
    svg('path', { class: s.cls, d: s.points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('') }),
    ...s.points.map((p) => svg('circle', { class: s.cls, cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 2.5 }))));
  const latest = shown.map((s) => {
    const last = s.points[s.points.length - 1];
    return `${s.name} ${last ? last.v.toFixed(digits) : '-'} ${unit}`;
  }).join(', ');
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}: ${latest}` },
    svg('line', { x1: P, y1: H - 18, x2: W, y2: H - 18, stroke: '#999' }),
    svg('text', { x: 2, y: 12 }, top.toFixed(digits ? 1 : 0)), svg('text', { x: 2, y: H - 20 }, '0'),
    svg('text', { x: P, y: H - 4 }, `last ${WINDOW_MS / 60000} min`), ...paths);
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
  const lifetime = h('p');
  const charts = h('div', { class: 'charts' });
  const details = h('div');
  const now = h('button', { type: 'button', class: 'secondary' }, 'Refresh now');
  root.append(h('div', { class: 'row' }, state, now), lifetime, charts, details);

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
    // A restarted server starts its counters again: so do the charts.
    if (samples.length && s.requests < samples[samples.length - 1].requests) samples.length = 0;
    samples.push(s);
    while (samples.length > 2 && samples[1].t < s.t - WINDOW_MS) samples.shift();
    const rate = [], refusedRate = [], p50 = [], p90 = [];
    const ms = (q) => (q === null ? null : q * 1000);
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1], b = samples[i];
      const seconds = (b.t - a.t) / 1000;
      rate.push({ t: b.t, v: (b.requests - a.requests) / seconds });
      refusedRate.push({ t: b.t, v: (b.refused - a.refused) / seconds });
      const delta = {};
      for (const le of Object.keys(b.buckets)) delta[le] = b.buckets[le] - (a.buckets[le] || 0);
      p50.push({ t: b.t, v: ms(quantile(delta, 0.5)) });
      p90.push({ t: b.t, v: ms(quantile(delta, 0.9)) });
    }
    const life50 = ms(quantile(s.buckets, 0.5)), life90 = ms(quantile(s.buckets, 0.9));
    lifetime.textContent = `Since the server started: ${s.requests} requests answered (${s.refused} refused with an error code)` +
      (life50 === null ? '.' : `, latency p50 ${life50.toFixed(0)} ms, p90 ${life90.toFixed(0)} ms (from the histogram's buckets).`);
    charts.replaceChildren(
      lineChart('Requests per second', [{ name: 'all', cls: 'line', points: rate }, { name: 'refused', cls: 'line2', points: refusedRate }], '/s', s.t),
      lineChart('Latency (arrival to answer)', [{ name: 'p50', cls: 'line', points: p50 }, { name: 'p90', cls: 'line2', points: p90 }], 'ms', s.t),
      barChart('Gallery size', ['groups', 'persons', 'faces'].map((k) => ({ label: k, value: s.gallery[k] ?? 0 }))));
    const rows = [...byAction.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => [...k.split(' '), String(v)]);
    details.replaceChildren(table('Requests answered since the server started', ['Surface', 'Action', 'Code', 'Count'], rows));
  }
  now.addEventListener('click', () => sample());
  await sample();
  const timer = setInterval(sample, PERIOD_MS);
  onLeave(() => clearInterval(timer));
}
