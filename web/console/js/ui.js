// Small DOM helpers: elements built without innerHTML (names and ids from the
// gallery are text, never markup), labelled form fields, images read from
// files, boxes and landmarks drawn on a canvas.

/** h('button', {class: 'x', onclick: f}, 'text', child...) */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

let fieldCount = 0;
/** A labelled control: {wrapper, input}. `control` is an element (input, select, textarea). */
export function field(labelText, control, hint) {
  const id = control.id || `f${++fieldCount}`;
  control.id = id;
  const children = [h('label', { for: id }, labelText), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    children.push(h('small', { id: hintId, class: 'hint' }, hint));
  }
  return { wrapper: h('div', { class: 'field' }, ...children), input: control };
}

/** "Code: message" for an ApiError or any other error. */
export function errorText(err) {
  if (err && err.code) return `${err.code}: ${err.message}`;
  return String(err && err.message ? err.message : err);
}

/** A status line under a form: role=status for progress, role=alert for errors. */
export function messageBox() {
  const ok = h('p', { class: 'message', role: 'status', 'aria-live': 'polite' });
  const bad = h('p', { class: 'message error', role: 'alert' });
  const box = h('div', { class: 'messages' }, ok, bad);
  return {
    element: box,
    info(text) { bad.textContent = ''; ok.textContent = text; },
    error(err) { ok.textContent = ''; bad.textContent = `Error ${errorText(err)}`; },
    clear() { ok.textContent = ''; bad.textContent = ''; },
  };
}

const MAX_BYTES = 7 * 1024 * 1024;  // above this, photos are re-encoded smaller (REST bodies are at most 10 MB)
const MAX_SIDE = 2560;

/** A photo read from a File or Blob: {base64, bitmap, width, height, name}. */
export async function readPhoto(file) {
  const bitmap = await createImageBitmap(file).catch(() => null);
  if (!bitmap) throw Object.assign(new Error(`${file.name || 'the file'} is not an image the browser can read`), { code: 'ImageUnreadable' });
  let blob = file;
  if (file.size > MAX_BYTES) {
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const c = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    c.getContext('2d').drawImage(bitmap, 0, 0, c.width, c.height);
    blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
  }
  const base64 = await new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
  // Coordinates in answers are in the photo's own pixels: scale boxes by this when re-encoded.
  const sent = blob === file ? bitmap : await createImageBitmap(blob);
  return { base64, bitmap: sent, width: sent.width, height: sent.height, name: file.name || 'camera.jpg' };
}

/**
 * Draws `bitmap` scaled to fit `maxWidth` and, over it, shapes in image pixels:
 * {rect: {x, y, width, height}, label, points: [{x, y}], color}.
 */
export function drawPhoto(canvas, bitmap, shapes = [], maxWidth = 640) {
  const scale = Math.min(1, maxWidth / bitmap.width);
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const g = canvas.getContext('2d');
  g.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  g.lineWidth = 2;
  g.font = '14px system-ui, sans-serif';
  for (const s of shapes) {
    const color = s.color || '#ffd400';
    g.strokeStyle = color;
    g.fillStyle = color;
    if (s.rect) {
      const { x = 0, y = 0, width = 0, height = 0 } = s.rect;
      g.strokeRect(x * scale, y * scale, width * scale, height * scale);
      if (s.label) {
        const tw = g.measureText(s.label).width + 8;
        const ty = Math.max(0, y * scale - 20);
        g.fillRect(x * scale - 1, ty, tw, 20);
        g.fillStyle = '#000';
        g.fillText(s.label, x * scale + 3, ty + 15);
        g.fillStyle = color;
      }
    }
    for (const p of s.points || []) {
      g.beginPath();
      g.arc(p.x * scale, p.y * scale, 3, 0, 2 * Math.PI);
      g.fill();
    }
  }
}

/** A table: headers (strings) and rows (arrays of nodes or text). */
export function table(caption, headers, rows) {
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

/** A camera capture widget (getUserMedia): resolves snapshots as JPEG Blobs through onCapture. */
export function cameraCapture(onCapture, messages) {
  const video = h('video', { autoplay: true, playsinline: true, muted: true, 'aria-label': 'Camera preview' });
  let stream = null;
  const stop = () => {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.hidden = true;
    snap.disabled = true;
    start.disabled = false;
  };
  const start = h('button', {
    type: 'button',
    onclick: async () => {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        messages.error({ code: 'CameraUnavailable', message: 'this browser offers no camera here (it needs HTTPS or localhost)' });
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: false });
        video.srcObject = stream;
        video.hidden = false;
        start.disabled = true;
        // A photo can be taken once frames arrive.
        video.addEventListener('playing', () => { snap.disabled = !stream; }, { once: true });
      } catch (e) {
        messages.error({ code: 'CameraUnavailable', message: e.message || String(e) });
      }
    },
  }, 'Start camera');
  const snap = h('button', {
    type: 'button', disabled: true,
    onclick: () => {
      const c = document.createElement('canvas');
      c.width = video.videoWidth;
      c.height = video.videoHeight;
      c.getContext('2d').drawImage(video, 0, 0);
      c.toBlob((blob) => {
        stop();
        if (blob) onCapture(blob);
        else messages.error({ code: 'CameraUnavailable', message: 'the camera gave no picture' });
      }, 'image/jpeg', 0.92);
    },
  }, 'Take photo');
  video.hidden = true;
  return { element: h('div', { class: 'camera' }, h('div', { class: 'row' }, start, snap), video), stop };
}
