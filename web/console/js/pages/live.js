// Live check-ins: the server's event stream (GET /v1/events/stream, opened
// with a short-lived token from POST /v1/events:token, since EventSource
// cannot sign requests), newest first, with the face crop, the person, the
// score and the liveness evidence the pipeline sent.
import { h, messageBox } from '../ui.js';

const SHOWN = 100;  // events kept on the page

function time(ms) {
  const n = Number(ms);
  return n > 0 ? new Date(n).toISOString().slice(11, 19) : '';
}

/** The liveness evidence of an event, in words. */
function liveness(e) {
  const parts = [];
  if (e.live === true) parts.push('live');
  if (e.live === false) parts.push('not live');
  const l = e.liveness || {};
  if (typeof l.score === 'number') parts.push(`score ${l.score.toFixed(2)}`);
  if (Array.isArray(l.cues) && l.cues.length) parts.push(`cues: ${l.cues.join(', ')}`);
  const c = e.challenge || l.challenge;
  if (typeof c === 'string') parts.push(`challenge ${c}`);
  else if (c && typeof c === 'object') parts.push(`challenge ${(c.asked || []).join('+')} ${c.decision || ''}`.trim());
  return parts.length ? parts.join('; ') : 'no liveness evidence';
}

function item(e) {
  const who = e.person_name || e.person_id || (e.type === 'checkin' ? 'unknown person' : e.type);
  const face = typeof e.face_jpeg === 'string' && e.face_jpeg
    ? h('img', { class: 'thumb', src: `data:image/jpeg;base64,${e.face_jpeg}`, alt: `Face of ${who}` })
    : h('span', { class: 'nothumb' }, 'no image');
  const score = typeof e.score === 'number' ? `score ${e.score.toFixed(1)}` : '';
  return h('li', { class: 'event', 'data-event-id': e.id },
    face,
    h('div', {},
      h('strong', {}, who), ' ',
      h('span', { class: 'pill' }, e.type),
      e.group_id ? h('span', { class: 'pill' }, e.group_id) : null,
      h('div', {}, [score, e.person_id && e.person_name ? `ID ${e.person_id}` : ''].filter(Boolean).join(' · ')),
      h('div', { class: 'hint' }, liveness(e)),
      h('div', { class: 'hint' }, h('time', { datetime: new Date(Number(e.received_ms)).toISOString() }, time(e.received_ms)))));
}

export async function renderLive(root, { api, onLeave }) {
  const messages = messageBox();
  const state = h('p', { role: 'status', class: 'message' }, 'Connecting…');
  const list = h('ol', { class: 'events', 'aria-label': 'Check-in events, newest first', 'aria-live': 'polite' });
  const empty = h('p', {}, 'No events yet. Pipelines post them to POST /v1/events (docs/console.md).');
  root.append(state, messages.element, empty, list);

  let source = null;
  let lastId = '';
  let closed = false;
  async function connect() {
    if (closed) return;
    let token;
    try {
      token = await api.post('/v1/events:token', {});
    } catch (err) {
      state.textContent = 'Not connected.';
      messages.error(err);
      return;
    }
    if (closed) return;
    // A new EventSource cannot send Last-Event-ID itself: the query carries it.
    source = new EventSource(token.url + (lastId ? `&last_event_id=${encodeURIComponent(lastId)}` : ''));
    source.onopen = () => { state.textContent = 'Connected: new check-ins appear at the top.'; messages.clear(); };
    source.onmessage = (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch { return; }
      lastId = m.lastEventId || e.id || lastId;
      empty.hidden = true;
      list.prepend(item(e));
      while (list.children.length > SHOWN) list.lastElementChild.remove();
    };
    // The server ends a stream whose token expired or whose key was revoked
    // with a last "closed" event: ask for a new token at once (refused, and
    // shown, when the key was revoked).
    source.addEventListener('closed', () => {
      source.close();
      state.textContent = 'Reconnecting…';
      connect();
    });
    source.onerror = () => {
      // CONNECTING: the browser reconnects itself (with Last-Event-ID). CLOSED: the
      // token expired or the stream was refused; ask for a new token.
      if (source.readyState === EventSource.CLOSED) {
        state.textContent = 'Reconnecting…';
        source.close();
        setTimeout(connect, 2000);
      } else {
        state.textContent = 'Connection lost; reconnecting…';
      }
    };
  }
  onLeave(() => { closed = true; if (source) source.close(); });
  await connect();
}
