// Face thumbnails: the JPEG crop the gallery stored when each face was
// enrolled (GET /v1/faces/{face_id}/crop, signed like every other call, so the
// key's role and groups apply). A thumbnail is fetched when it scrolls into
// view, a few at a time (keys are rate-limited), and kept as an object URL
// while the key is signed in.
import { ApiError, seg } from './api.js';
import { h } from './ui.js';

const IN_FLIGHT = 4;  // requests at once
const KEPT = 500;     // object URLs kept; the oldest are released beyond that

let owner = null;        // the Api whose crops are cached
let cache = new Map();   // face id -> Promise<string> (object URL), oldest first
let running = 0;
const waiting = [];

function pump() {
  while (running < IN_FLIGHT && waiting.length) {
    const { task, resolve, reject } = waiting.shift();
    running++;
    task().then(resolve, reject).finally(() => { running--; pump(); });
  }
}

function queued(task) {
  return new Promise((resolve, reject) => { waiting.push({ task, resolve, reject }); pump(); });
}

let generation = 0;  // bumped whenever the cache is dropped

// Releases an object URL once no thumbnail is still loading it (revoking it
// under a loading <img> makes the browser fail the load: ERR_FILE_NOT_FOUND).
function release(url) {
  const loading = [...document.querySelectorAll('img.thumb')].filter((img) => img.src === url && !img.complete);
  if (!loading.length) { URL.revokeObjectURL(url); return; }
  let left = loading.length;
  const done = () => { if (--left === 0) URL.revokeObjectURL(url); };
  for (const img of loading) {
    img.addEventListener('load', done, { once: true });
    img.addEventListener('error', done, { once: true });
  }
}

/** Releases every cached crop (signing out, another key). */
export function forgetFaceCrops() {
  for (const p of cache.values()) p.then(release, () => {});
  cache = new Map();
  waiting.length = 0;
  owner = null;
  generation++;
}

function cropUrl(api, faceId) {
  if (owner !== api) { forgetFaceCrops(); owner = api; }
  let p = cache.get(faceId);
  if (p) return p;
  p = queued(() => api.getBlob(`/v1/faces/${seg(faceId)}/crop`)).then((blob) => URL.createObjectURL(blob));
  // Only answers about the face itself are kept; a refusal such as
  // RequestLimitExceeded is asked again next time.
  p.catch((err) => {
    if (!(err instanceof ApiError) || !/NotExist$/.test(err.code)) cache.delete(faceId);
  });
  cache.set(faceId, p);
  while (cache.size > KEPT) {
    const [oldest, old] = cache.entries().next().value;
    cache.delete(oldest);
    old.then(release, () => {});
  }
  return p;
}

let observer = null;
const pending = new WeakMap();  // img -> load()

function watch(img, load) {
  if (typeof IntersectionObserver === 'undefined') { load(); return; }
  if (!observer) {
    observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        observer.unobserve(e.target);
        const go = pending.get(e.target);
        pending.delete(e.target);
        if (go) go();
      }
    }, { rootMargin: '200px' });
  }
  pending.set(img, load);
  observer.observe(img);
}

/**
 * An <img class="thumb"> of the face, filled in when it comes into view; a
 * "no image" box saying why when the server has none (a face enrolled before
 * the gallery kept crops) or refuses it.
 */
export function faceThumb(api, faceId, label) {
  const img = h('img', { class: 'thumb', alt: label, 'data-face-id': faceId });
  watch(img, () => {
    const crop = cropUrl(api, faceId);  // may drop another key's cache first
    const asked = generation;
    crop.then((url) => {
      // Dropped meanwhile (another key): the URL is being released.
      if (asked === generation) img.src = url;
    }, (err) => {
      img.replaceWith(h('span', { class: 'nothumb', role: 'img', 'aria-label': `${label}: no image`,
        title: `${err.code ? `${err.code}: ` : ''}${err.message}` }, 'no image'));
    });
  });
  return img;
}
