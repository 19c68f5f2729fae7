// The console's shell: sign-in with an API key (kept in sessionStorage only,
// so it is gone when the tab closes), hash routes (#/groups, ...) and the
// pages. Every call goes through the REST API with the key's own rights.
import { Api, ApiError } from './api.js';
import { forgetFaceCrops } from './face_crops.js';
import { field, h, messageBox } from './ui.js';
import { renderGroups } from './pages/groups.js';
import { renderPersons } from './pages/persons.js';
import { renderSearch } from './pages/search.js';
import { renderCompare } from './pages/compare.js';
import { renderDetect } from './pages/detect.js';
import { renderEnroll } from './pages/enroll.js';
import { renderHealth } from './pages/health.js';
import { renderKeys } from './pages/keys.js';
import { renderLive } from './pages/live.js';

const KEY = 'facekit.key';
const PAGES = {
  groups: { title: 'Groups', render: renderGroups },
  persons: { title: 'Persons', render: renderPersons },
  search: { title: 'Search by photo', render: renderSearch },
  compare: { title: 'Compare two photos', render: renderCompare },
  detect: { title: 'Detect faces', render: renderDetect },
  enroll: { title: 'Bulk enrolment', render: renderEnroll },
  live: { title: 'Live check-ins', render: renderLive },
  health: { title: 'Server health and metrics', render: renderHealth },
  keys: { title: 'API keys', render: renderKeys },
};

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let api = null;
let leavePage = null;  // the current page's clean-up (timers, camera)
let loaded = false;  // after the first page: moving to another one moves the focus to its heading
let isAdmin = null;  // whether the key may manage keys (asked once per sign-in; the server decides)

/** Whether the key is an admin: GET /v1/keys answers it and refuses every other key. */
async function probeAdmin() {
  if (isAdmin !== null) return isAdmin;
  isAdmin = await api.get('/v1/keys').then(() => true, () => false);
  return isAdmin;
}

function signedIn() {
  const stored = sessionStorage.getItem(KEY);
  if (!stored) return null;
  try { return new Api(stored); } catch { sessionStorage.removeItem(KEY); return null; }
}

/** "#/persons?group=staff" -> {name: 'persons', params: URLSearchParams} */
function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [name, query] = hash.split('?');
  return { name: PAGES[name] ? name : 'groups', params: new URLSearchParams(query || '') };
}

function heading(text) {
  return h('h1', { tabindex: '-1' }, text);
}

function renderSignIn() {
  nav.hidden = true;
  who.hidden = true;
  document.title = 'Sign in - FaceKit console';
  const messages = messageBox();
  const key = field('API key', h('input', { type: 'password', name: 'key', autocomplete: 'off', required: true, spellcheck: 'false' }),
    'SecretId:SecretKey, as `facekit keys create --credential` prints it. Kept in this tab only.');
  const form = h('form', { class: 'panel', 'aria-labelledby': 'signin-title' },
    key.wrapper, h('button', { type: 'submit' }, 'Sign in'), messages.element);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let candidate;
    try {
      candidate = new Api(key.input.value.trim());
      messages.info('Checking the key…');
      // Any answer but an authentication failure proves the key: a key
      // limited by --actions or --groups may not list groups.
      await candidate.get('/v1/groups', { limit: 1 }).catch((err) => {
        if (err.code === 'AuthFailure.UnauthorizedOperation') return null;
        throw err;
      });
    } catch (err) {
      messages.error(err);
      return;
    }
    sessionStorage.setItem(KEY, key.input.value.trim());
    api = candidate;
    isAdmin = null;
    if (!location.hash || location.hash === '#/' || location.hash === '#/signin') location.hash = '#/groups';
    else show();
  });
  const title = heading('Sign in');
  title.id = 'signin-title';
  main.replaceChildren(title, form);
  loaded = true;
  key.input.focus();
}

async function show() {
  if (leavePage) { leavePage(); leavePage = null; }
  api = api || signedIn();
  if (!api) return renderSignIn();
  nav.hidden = false;
  who.hidden = false;
  const whoId = document.getElementById('who-id');
  whoId.textContent = `Key ${api.secretId.length > 12 ? `${api.secretId.slice(0, 12)}…` : api.secretId}`;
  whoId.title = api.secretId;
  const admin = await probeAdmin();
  document.getElementById('nav-keys').hidden = !admin;
  const { name, params } = route();
  const page = PAGES[name];
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${page.title} - FaceKit console`;
  const title = heading(page.title);
  const body = h('div', { class: 'page', 'data-page': name });
  main.replaceChildren(title, body);
  // On load the focus stays at the top (Tab reaches the skip link first);
  // on a page change it moves to the new heading, which screen readers announce.
  if (loaded) title.focus();
  loaded = true;
  const ctx = {
    api,
    params,
    isAdmin: admin,
    go: (hash) => { location.hash = hash; },
    onLeave: (f) => { leavePage = f; },
  };
  try {
    await page.render(body, ctx);
  } catch (err) {
    const messages = messageBox();
    body.append(messages.element);
    messages.error(err instanceof ApiError ? err : { code: 'ConsoleError', message: err.message || String(err) });
  }
}

document.getElementById('sign-out').addEventListener('click', () => {
  sessionStorage.clear();
  forgetFaceCrops();
  api = null;
  isAdmin = null;
  if (location.hash === '#/signin') renderSignIn();
  else location.hash = '#/signin';
});
window.addEventListener('hashchange', show);
show();
