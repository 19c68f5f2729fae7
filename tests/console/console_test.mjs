// The web console (/console/) in a real browser: Debian's Chromium driven by
// playwright-core against a real `facekit serve` on port 0 with a fresh data
// folder. Signs in, creates a group, enrols two persons by upload, searches
// by photo, compares, detects, bulk-enrols (and resumes), reads the health
// page, creates a read-only key on the Keys page (admin only), sees a
// check-in posted to POST /v1/events appear on the Live page, and one the
// attendance graph (facekit pipeline run) posts with its face crop, then checks that
// the new read-only key cannot delete (the error is shown with its code) nor
// see or call the Keys page, plus accessibility basics (labelled controls,
// keyboard navigation, focus). Screenshots go to --artifacts.
//
//   node console_test.mjs --cli build/release/facekit --models models \
//        --faces ../shared/data/faces --artifacts build/release/console-artifacts [--docs-images docs/images]
//
// Exit 0 when every check passed, 1 otherwise, 77 (skipped) when Chromium is absent.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';

const started = Date.now();
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const CLI = resolve(arg('cli', 'build/release/facekit'));
const MODELS = resolve(arg('models', 'models'));
const FACES = resolve(arg('faces', '../shared/data/faces'));
const ARTIFACTS = resolve(arg('artifacts', 'console-artifacts'));
const DOCS = arg('docs-images');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  console.log(`SKIP: no Chromium at ${CHROMIUM} (Debian's chromium package; scripts/setup.sh installs it)`);
  process.exit(77);
}
let chromium;
try {
  ({ chromium } = createRequire(import.meta.url)('playwright-core'));
} catch {
  console.log('FAIL: playwright-core is not installed in tests/console: run scripts/setup.sh');
  process.exit(1);
}
mkdirSync(ARTIFACTS, { recursive: true });

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) { passed++; console.log(`ok: ${what}`); } else { failed++; console.log(`FAIL: ${what}`); }
  return ok;
}

// A ZIP archive (APPNOTE 4.3) of [{path, data, deflate}], folders as paths ending in '/'.
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function makeZip(entries) {
  const parts = [];
  const central = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.path);
    const data = e.data || Buffer.alloc(0);
    const body = e.deflate ? deflateRawSync(data) : data;
    const fields = (head, at) => {
      head.writeUInt16LE(0x800, at);  // UTF-8 names
      head.writeUInt16LE(e.deflate ? 8 : 0, at + 2);
      head.writeUInt32LE(crc32(data), at + 8);
      head.writeUInt32LE(body.length, at + 12);
      head.writeUInt32LE(data.length, at + 16);
      head.writeUInt16LE(name.length, at + 20);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    fields(local, 6);
    const head = Buffer.alloc(46);
    head.writeUInt32LE(0x02014b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(20, 6);
    fields(head, 8);
    head.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(head, name);
    offset += 30 + name.length + body.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

// ---- the server, with an admin key and a read-only key
const work = mkdtempSync(join(tmpdir(), 'facekit-console-'));
const data = join(work, 'data');
const key = (role, ...extra) => {
  const k = JSON.parse(execFileSync(CLI, ['keys', 'create', '--data', data, '--role', role, ...extra, '--json'], { encoding: 'utf8' }));
  return `${k.secret_id}:${k.secret_key}`;
};
const adminKey = key('admin', '--rate-limit', '1000');  // the paging check makes 50 groups at once
const readOnlyKey = key('read-only');
const bbtOnlyKey = key('read-write', '--groups', 'bbt');
const pipelineKey = key('read-write', '--actions', 'PublishEvent');  // what a pipeline's WebhookSink is given
const server = spawn(CLI, [`--models=${MODELS}`, 'serve', '--data', data, '--listen', '127.0.0.1:0', '--workers', '2'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((ok, fail) => {
  let out = '';
  const timer = setTimeout(() => fail(new Error(`the server did not start in 60 s: ${out}`)), 60000);
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const m = out.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
    if (m) { clearTimeout(timer); ok(m[1]); }
  });
  server.on('exit', (code) => fail(new Error(`the server exited (${code}): ${out}`)));
});
console.log(`server at ${base}`);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    // A host name that is not loopback for the page (so not a secure context), reaching this server.
    '--host-resolver-rules=MAP console.test 127.0.0.1', '--no-proxy-server'],
});
const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
await context.grantPermissions(['camera'], { origin: base });
const page = await context.newPage();
page.setDefaultTimeout(60000);  // generous: the asan preset and a busy machine are slow
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
// Refused API calls (4xx) are expected and shown by the page; anything else logged as an error is not.
page.on('console', (m) => {
  if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
    pageErrors.push(`console error: ${m.text()}`);
  }
});
page.on('response', (r) => { if (r.status() === 404 && !new URL(r.url()).pathname.startsWith('/v1/')) pageErrors.push(`404 for ${r.url()}`); });
// The answers to GET /v1/faces/{id}/crop (the persons page's thumbnails).
const cropAnswers = [];
page.on('response', (r) => {
  if (/^\/v1\/faces\/[^/]+\/crop$/.test(new URL(r.url()).pathname)) cropAnswers.push({ status: r.status(), type: r.headers()['content-type'] });
});

const photo = (person, n) => join(FACES, 'bbt', person, `${person}${n}.png`);
const DOC_SHOTS = ['groups', 'search', 'read-only-refused', 'keys', 'live'];  // the ones docs/console.md shows
const shot = async (name) => {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  if (DOCS && DOC_SHOTS.includes(name)) {
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, `console-${name}.png`) });
  }
};
const nav = () => page.getByRole('navigation');
const heading = () => page.locator('h1').textContent();
const alertText = () => page.locator('[role=alert]:not(:empty)').first().textContent();
const statusText = (re) => page.locator('[role=status]', { hasText: re }).first().waitFor().then(() => true, () => false);

// Every form control has a label (a <label for>, aria-label or aria-labelledby),
// every button a name, every image an alternative.
async function checkAccessible(where) {
  const problems = await page.evaluate(() => {
    const out = [];
    for (const c of document.querySelectorAll('input, select, textarea')) {
      if (c.type === 'hidden') continue;
      const named = (c.labels && c.labels.length) || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby');
      if (!named) out.push(`unlabelled ${c.tagName.toLowerCase()} ${c.name || c.id}`);
    }
    for (const b of document.querySelectorAll('button, a[href]')) {
      if (!(b.textContent.trim() || b.getAttribute('aria-label'))) out.push(`unnamed ${b.tagName.toLowerCase()}`);
    }
    for (const i of document.querySelectorAll('img')) if (!i.hasAttribute('alt')) out.push('img without alt');
    for (const c of document.querySelectorAll('canvas:not([hidden])')) if (!c.getAttribute('aria-label')) out.push('canvas without label');
    return out;
  });
  check(problems.length === 0, `${where}: controls labelled, buttons named (${problems.join('; ') || 'none missing'})`);
}

try {
  // ---- static route and sign-in
  const first = await page.goto(`${base}/console`);
  check(page.url() === `${base}/console/` && first.ok(), '/console redirects to /console/');
  check(first.headers()['content-security-policy']?.includes("default-src 'self'"), 'the page is served with a same-origin CSP');
  check(await heading() === 'Sign in', 'the sign-in page shows');
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === document.querySelector('input[name=key]').id),
    'the key field has the focus');
  await checkAccessible('sign-in');
  await shot('signin');

  await page.getByLabel('API key').fill('AKIDnosuchkey:nosecret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[role=alert]', { hasText: 'AuthFailure.SecretIdNotFound' }).waitFor();
  check(true, 'an unknown key is refused with AuthFailure.SecretIdNotFound shown');

  // Keyboard only: type the key and press Enter.
  await page.getByLabel('API key').fill('');
  await page.getByLabel('API key').focus();
  await page.keyboard.type(adminKey);
  await page.keyboard.press('Enter');
  await page.locator('h1', { hasText: 'Groups' }).waitFor();
  check(true, 'signing in by keyboard opens the groups page');
  check(await page.evaluate(() => sessionStorage.getItem('facekit.key') !== null && localStorage.length === 0),
    'the key is kept in sessionStorage only');

  // The browser's signer: WebCrypto and the plain JavaScript fallback agree.
  const crypto = await page.evaluate(async () => {
    const { tc3Authorization } = await import('/console/js/api.js');
    const { sha256 } = await import('/console/js/sha256.js');
    const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    const r = { method: 'POST', path: '/v1/groups', query: '', contentType: 'application/json', host: 'h:1',
      body: JSON.stringify({ group_id: 'ü'.repeat(100) }), timestamp: 1700000000, secretId: 'AKID', secretKey: 'k'.repeat(80) };
    return {
      abc: hexOf(sha256(new TextEncoder().encode('abc'))),
      long: hexOf(sha256(new Uint8Array(1000).fill(97))) === hexOf(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(1000).fill(97)))),
      same: (await tc3Authorization(r, 'auto')) === (await tc3Authorization(r, 'js')),
    };
  });
  check(crypto.abc === 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' && crypto.long && crypto.same,
    'sha256.js matches the FIPS 180-4 vector and WebCrypto; both sign alike');

  // ---- groups
  await page.getByLabel('Group ID').fill('bbt');
  await page.getByLabel('Group name').fill('Big Bang');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.locator('td', { hasText: /^bbt$/ }).waitFor();
  check(true, 'a group is created and listed');
  for (const id of ['other', 'temp']) {
    await page.getByLabel('Group ID').fill(id);
    await page.getByLabel('Group name').fill(id);
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.locator('td', { hasText: new RegExp(`^${id}$`) }).first().waitFor();
  }
  await page.getByRole('button', { name: 'Delete group temp' }).click();
  await page.getByRole('button', { name: 'Yes, delete group temp (0 persons)' }).click();
  check(await statusText('Group temp deleted'), 'a group is deleted after a confirmation');
  await page.locator('td', { hasText: /^temp$/ }).first().waitFor({ state: 'detached' });
  check(true, 'the deleted group is gone from the list');

  // Paging: 50 groups a page (each shown group costs a count request).
  const many = Array.from({ length: 50 }, (_, i) => `page${String(i).padStart(2, '0')}`);
  const makeGroups = (ids, method) => page.evaluate(async ([credential, list, how]) => {
    const { Api } = await import('/console/js/api.js');
    const api = new Api(credential);
    for (const id of list) {
      if (how === 'POST') await api.post('/v1/groups', { group_id: id, group_name: id });
      else await api.del(`/v1/groups/${id}`);
    }
  }, [adminKey, ids, method]);
  await makeGroups(many, 'POST');
  await page.reload();
  await page.locator('caption', { hasText: '52 groups (1-50 shown)' }).waitFor();
  await page.getByRole('button', { name: 'Next groups' }).click();
  await page.locator('caption', { hasText: '52 groups (51-52 shown)' }).waitFor();
  check(await page.locator('tbody tr').count() === 2, 'groups are listed 50 a page, with Next and Previous');
  await makeGroups(many, 'DELETE');
  await page.reload();
  await page.locator('caption', { hasText: /^2 groups$/ }).waitFor();
  await checkAccessible('groups');

  // Keyboard navigation: on a fresh load, Tab reaches the skip link first, then the pages.
  await page.reload();
  await page.locator('td', { hasText: /^bbt$/ }).waitFor();
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.textContent) === 'Skip to content', 'Tab first reaches the skip link');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.textContent) === 'Persons', 'Tab then walks the page links');
  await page.keyboard.press('Enter');
  await page.locator('h1', { hasText: 'Persons' }).waitFor();
  check(await page.evaluate(() => document.activeElement.tagName) === 'H1', 'Enter on a link opens the page and moves the focus to its heading');

  // A first sample of the metrics: the health page, visited again later, charts what happened in between.
  await nav().getByRole('link', { name: 'Health' }).click();
  check(await statusText('Gallery: ready'), 'the health page reads /healthz and /readyz');
  await nav().getByRole('link', { name: 'Persons' }).click();
  await page.locator('h1', { hasText: 'Persons' }).waitFor();

  // ---- persons: two enrolled by upload
  for (const [id, name] of [['leonard', 'Leonard'], ['penny', 'Penny']]) {
    await page.getByLabel('Person ID').fill(id);
    await page.getByLabel('Person name').fill(name);
    await page.getByLabel('Photo', { exact: true }).setInputFiles(photo(id, 1));
    await page.getByRole('button', { name: 'Add person' }).click();
    check(await statusText(`Person ${id} added`), `${id} is enrolled by upload`);
  }
  await page.locator('caption', { hasText: '2 of 2 persons in bbt' }).waitFor();
  check(await page.locator('img.thumb').count() === 2, 'the persons list shows both faces as thumbnails');
  // The thumbnails are the crops the server stored (GET /v1/faces/{id}/crop), not cut in the browser.
  const thumbsLoaded = await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('img.thumb')];
    return imgs.length === 2 && imgs.every((i) => i.src.startsWith('blob:') && i.complete && i.naturalWidth > 0);
  }, null, { timeout: 10000 }).then(() => true, () => false);
  const crop = await page.evaluate(() => {
    const img = document.querySelector('img.thumb');
    return { width: img.naturalWidth, height: img.naturalHeight };
  });
  check(thumbsLoaded && crop.width >= 64 && crop.width <= 400 &&
    cropAnswers.filter((a) => a.status === 200 && a.type === 'image/jpeg').length >= 2,
    `the thumbnails are the server's stored JPEG crops (${JSON.stringify({ crop, cropAnswers })})`);
  await page.getByLabel('Find by name or ID').fill('pen');
  await page.locator('caption', { hasText: '1 of 2 persons' }).waitFor();
  check(await page.locator('tbody td', { hasText: /^penny$/ }).count() === 1, 'finding by name narrows the list to Penny');
  await page.getByLabel('Find by name or ID').fill('');

  // A person's faces: open, add one, delete one.
  await page.getByRole('button', { name: 'Open leonard' }).click();
  await page.locator('h2', { hasText: 'Leonard (leonard)' }).waitFor();
  check(await page.evaluate(() => document.activeElement.textContent) === 'Leonard (leonard)', 'opening a person moves the focus to it');
  await page.getByLabel('Add a face to leonard').setInputFiles(photo('leonard', 2));
  check(await statusText('Face added to leonard'), 'a second face is added to Leonard');
  await page.locator('figure').nth(1).waitFor();
  check((await page.locator('figure figcaption').allTextContents()).join() === 'leonard1.png,leonard2.png',
    'his faces are listed with their sources');
  await page.locator('figure').nth(1).getByRole('button', { name: /^Delete face/ }).click();
  check(await statusText(/Face \d+ deleted/), 'a face is deleted');
  await page.locator('caption', { hasText: '2 of 2 persons in bbt' }).waitFor();
  check(await page.locator('figure').count() === 1, 'Leonard has one face again');
  // An ID not in the group shown is looked up in every group.
  await page.getByLabel('Group', { exact: true }).selectOption('other');
  await page.locator('caption', { hasText: '0 of 0 persons in other' }).waitFor();
  await page.getByLabel('Find by name or ID').fill('penny');
  await page.getByRole('button', { name: 'Look up person ID "penny" in every group' }).click();
  await page.locator('h2', { hasText: 'Penny (penny)' }).waitFor();
  check((await page.locator('section p').first().textContent()).startsWith('Groups: bbt'), 'a person outside the group shown is found by ID, with her groups');
  await page.getByLabel('Group', { exact: true }).selectOption('bbt');
  await page.locator('caption', { hasText: '2 of 2 persons in bbt' }).waitFor();
  await checkAccessible('persons');
  await shot('persons');

  // The camera (Chromium's fake device: a test pattern, no face): captured, sent, refused in words.
  await page.getByText('Or take a photo with the camera').click();
  await page.getByRole('button', { name: 'Start camera' }).click();
  await page.getByRole('button', { name: 'Take photo' }).click();
  check(await statusText('Camera photo taken'), 'the camera (getUserMedia) gives a photo');
  await page.getByLabel('Person ID').fill('nobody');
  await page.getByLabel('Person name').fill('Nobody');
  await page.getByRole('button', { name: 'Add person' }).click();
  await page.locator('[role=alert]', { hasText: 'NoFaceInPhoto' }).waitFor();
  check(true, `a camera capture is sent; the API's refusal is shown: "${await alertText()}"`);

  // ---- search by photo
  await nav().getByRole('link', { name: 'Search' }).click();
  await page.getByLabel('Photo to search').setInputFiles(photo('penny', 2));
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  check(await statusText('Best match: Penny'), 'search by photo finds Penny first');
  const rows = await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  check(rows.length === 2 && rows[0][1] === 'penny' && Number(rows[0][4]) > Number(rows[1][4]),
    `penny ranks first, above leonard (${rows.map((r) => r.join(' ')).join('; ')})`);
  check(await page.locator('canvas:not([hidden])').count() === 1, 'the face box is drawn on the photo');
  await checkAccessible('search');
  await shot('search');

  // ---- compare and detect
  await nav().getByRole('link', { name: 'Compare' }).click();
  await page.getByLabel('First photo', { exact: true }).setInputFiles(photo('leonard', 1));
  await page.getByLabel('Second photo', { exact: true }).setInputFiles(photo('leonard', 2));
  await page.getByRole('button', { name: 'Compare' }).click();
  await page.locator('.verdict-match, .verdict-nomatch').waitFor();
  await shot('compare');
  check((await page.locator('.verdict-match').count()) === 1, `two photos of Leonard are the same person (${await page.locator('.verdict-match, .verdict-nomatch').textContent()})`);
  await nav().getByRole('link', { name: 'Detect' }).click();
  await page.getByLabel('Photo', { exact: true }).setInputFiles(join(FACES, 'photos', 'bbt4.jpg'));
  await page.getByRole('button', { name: 'Detect' }).click();
  await page.locator('caption', { hasText: 'faces in' }).waitFor();
  check((await page.locator('caption').textContent()).startsWith('6 faces'), 'detect finds the 6 faces of bbt4.jpg, drawn with landmarks and quality');
  await page.getByLabel('Photo', { exact: true }).setInputFiles(join(FACES, 'photos', 'obama.jpg'));
  await page.getByLabel('Liveness (largest face)').check();
  await page.getByRole('button', { name: 'Detect' }).click();
  await page.locator('.pill').waitFor();
  check(/^(live|not live) score [\d.]+ \(live above 87\)/.test(await page.locator('.pill').locator('..').textContent()),
    `liveness is shown on request (${await page.locator('.pill').locator('..').textContent()})`);
  await checkAccessible('detect');
  await shot('detect');

  // ---- bulk enrolment, resumed
  await nav().getByRole('link', { name: 'Bulk enrolment' }).click();
  const bulk = [photo('amy', 1), photo('amy', 2), photo('howard', 1)];
  await page.getByLabel('Photos', { exact: true }).setInputFiles(bulk.slice(0, 2));
  await page.getByRole('button', { name: 'Enrol' }).click();
  check(await statusText('2 of 2: 2 added, 0 already enrolled'), 'bulk enrolment adds two photos of Amy with progress');
  await page.getByLabel('Photos', { exact: true }).setInputFiles(bulk);
  await page.getByRole('button', { name: 'Enrol' }).click();
  check(await statusText('3 of 3: 1 added, 2 already enrolled (skipped), 0 failed'), 'running it again with one more photo resumes: the done ones are skipped');
  // A ZIP archive: a deflated photo of Howard (his second face), a stored one of Raj (new), a folder entry.
  const zip = join(work, 'more.zip');
  const file = (person, n) => readFileSync(photo(person, n));
  writeFileSync(zip, makeZip([{ path: 'bbt/' }, { path: 'bbt/howard/howard2.png', data: file('howard', 2), deflate: true },
    { path: 'bbt/raj/raj1.png', data: file('raj', 1) }]));
  await page.getByLabel('Photos', { exact: true }).setInputFiles([]);
  await page.getByLabel('Or a ZIP file').setInputFiles(zip);
  await page.getByRole('button', { name: 'Enrol' }).click();
  check(await statusText('2 of 2: 2 added, 0 already enrolled (skipped), 0 failed'), 'a ZIP archive (deflated and stored entries) is enrolled');
  await page.getByRole('button', { name: 'Enrol' }).click();
  check(await statusText('2 of 2: 0 added, 2 already enrolled (skipped), 0 failed'), 'the same ZIP again: nothing sent twice');
  // Stopped half-way, then resumed: the second enrolment is held (page.route) until Stop is pressed.
  await page.getByLabel('Or a ZIP file').setInputFiles([]);
  await page.getByLabel('Group', { exact: true }).selectOption('other');
  await page.getByLabel('Photos', { exact: true }).setInputFiles([photo('stuart', 1), photo('bernadette', 1), photo('sheldon', 1)]);
  let posted = 0;
  let release;
  const released = new Promise((ok) => { release = ok; });
  await page.route('**/v1/groups/other/persons', async (route) => {
    if (route.request().method() === 'POST' && ++posted === 2) await released;
    await route.continue();
  });
  await page.getByRole('button', { name: 'Enrol' }).click();
  await page.waitForFunction(() => document.querySelector('progress').value === 1);
  await page.getByRole('button', { name: 'Stop' }).click();
  release();
  check(await statusText('2 of 3: 2 added, 0 already enrolled (skipped), 0 failed. Stopped: enrol the same photos again to resume.'),
    'Stop ends a bulk enrolment after the photo being sent');
  await page.unroute('**/v1/groups/other/persons');
  await page.getByRole('button', { name: 'Enrol' }).click();
  check(await statusText('3 of 3: 1 added, 2 already enrolled (skipped), 0 failed'), 'enrolling the same photos again finishes the rest');
  await checkAccessible('bulk enrolment');

  // ---- health and metrics
  await nav().getByRole('link', { name: 'Health' }).click();
  await page.locator('figcaption', { hasText: 'Gallery size' }).waitFor();
  check(await page.locator('.chart svg').count() === 3, 'three charts are drawn');
  const rateCaption = await page.locator('figcaption', { hasText: 'Requests per second' }).textContent();
  const rate = Number(rateCaption.match(/all ([\d.]+)/)?.[1]);
  check(rate > 0 && await page.locator('.chart path.line').first().getAttribute('d').then((d) => d.startsWith('M')),
    `the second sample charts the requests made since the first (${rateCaption})`);
  check(/latency p50 \d+ ms, p90 \d+ ms/.test(await page.locator('p', { hasText: 'Since the server started' }).textContent()),
    'the latency percentiles since the start are shown');
  check(await page.locator('td', { hasText: /^CreatePerson$/ }).count() >= 1, 'the requests table counts CreatePerson');
  await page.getByRole('button', { name: 'Refresh now' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.chart:first-child circle.line').length >= 2);
  check(true, 'each refresh adds a sample');
  await shot('health');

  // ---- groups: counts and rename
  await nav().getByRole('link', { name: 'Groups' }).click();
  const row = page.locator('tr', { has: page.locator('td', { hasText: /^bbt$/ }) });
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  check(cells[3] === '5' && cells[4] === '7', `the group row counts 5 persons and 7 faces (${cells.slice(0, 5).join(' | ')})`);
  await page.getByRole('button', { name: 'Rename group bbt' }).click();
  await page.getByLabel('New name for bbt').fill('The Big Bang Theory');
  await page.getByRole('button', { name: 'Save' }).click();
  check(await statusText('renamed to The Big Bang Theory'), 'a group is renamed');
  await page.locator('td', { hasText: 'The Big Bang Theory' }).waitFor();
  await shot('groups');

  // ---- keys (admin only): a read-only key created, its secret shown once, never listed
  await nav().getByRole('link', { name: 'Keys' }).click();
  await page.locator('h1', { hasText: 'API keys' }).waitFor();
  await page.locator('caption', { hasText: /^4 keys/ }).waitFor();
  check(true, 'an admin key sees the Keys page with the 4 keys');
  await page.getByLabel('Role', { exact: true }).selectOption('read-only');
  await page.getByLabel('Description (optional)').fill('front desk');
  await page.getByRole('button', { name: 'Create key' }).click();
  const newKeyField = page.getByLabel('The new key (SecretId:SecretKey)');
  await newKeyField.waitFor();
  const frontDeskKey = await newKeyField.inputValue();
  check(/^AKID[A-Za-z0-9]{32}:[A-Za-z0-9]{40}$/.test(frontDeskKey), 'a read-only key is created and its secret shown once');
  await page.locator('td', { hasText: 'front desk' }).waitFor();
  check(!(await page.locator('table').textContent()).includes(frontDeskKey.split(':')[1]), 'the key list never shows a secret');
  // A key changed here applies from its next request: a scratch key promoted, then revoked.
  const scratch = await page.evaluate(async (credential) => {
    const { Api } = await import('/console/js/api.js');
    const r = await new Api(credential).post('/v1/keys', { role: 'read-only', description: 'scratch' });
    return `${r.key.secret_id}:${r.secret_key}`;
  }, adminKey);
  await page.reload();
  const scratchId = scratch.split(':')[0];
  await page.getByRole('button', { name: `Change key ${scratchId}` }).click();
  await page.getByLabel(`Role of ${scratchId}`).selectOption('read-write');
  await page.getByRole('button', { name: 'Save' }).click();
  check(await statusText(`Key ${scratchId} changed`), 'a key\'s role is changed on the Keys page');
  const asScratch = (method, path, body) => page.evaluate(async ([credential, m, p, b]) => {
    const { Api } = await import('/console/js/api.js');
    try { await new Api(credential).call(m, p, { body: b }); return 'ok'; } catch (err) { return err.code; }
  }, [scratch, method, path, body]);
  check(await asScratch('POST', '/v1/groups', { group_id: 'scratch', group_name: 'Scratch' }) === 'ok', 'the promoted key writes at once');
  await page.getByRole('button', { name: `Revoke key ${scratchId}` }).click();
  await page.getByRole('button', { name: `Yes, revoke ${scratchId}` }).click();
  check(await statusText(`Key ${scratchId} revoked`), 'a key is revoked after a confirmation');
  check(await asScratch('GET', '/v1/groups') === 'AuthFailure.SecretIdNotFound', 'the revoked key is refused at once');
  await checkAccessible('keys');
  await shot('keys');

  // ---- live check-ins: an event a pipeline posts appears on the Live page
  await nav().getByRole('link', { name: 'Live' }).click();
  check(await statusText('Connected'), 'the Live page opens the event stream (token, then EventSource)');
  const event = {
    type: 'checkin', person_id: 'penny', person_name: 'Penny', group_id: 'bbt', score: 91.2, track_id: 3, live: true,
    face_jpeg: readFileSync(join(FACES, 'photos', 'obama_small.jpg')).toString('base64'),
    liveness: { score: 0.97, cues: ['no screen', 'no phone'] }, challenge: { asked: ['blink'], decision: 'passed' },
  };
  const publish = await fetch(`${base}/v1/events`, {
    method: 'POST', headers: { Authorization: `Bearer ${pipelineKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify(event),
  });
  check(publish.ok, `a publish-only pipeline key posts a check-in (${publish.status})`);
  const item = page.locator('.events li', { hasText: 'Penny' });
  await item.waitFor();
  const itemText = await item.textContent();
  check(await item.locator('img.thumb').count() === 1 && /score 91\.2/.test(itemText) && /cues: no screen, no phone/.test(itemText) &&
    /challenge blink passed/.test(itemText), `the check-in appears with face, name, score and liveness evidence (${itemText})`);
  await checkAccessible('live');

  // A real pipeline: the example attendance graph over two other photos of Penny, its check-ins posted
  // by a WebhookSink with the publish-only key; the page shows the face the graph cut from the frame.
  const graph = JSON.parse(readFileSync(new URL('../../examples/attendance/graph.json', import.meta.url), 'utf8'));
  graph.nodes = graph.nodes.map((n) => (n.name !== 'events' ? n : {
    name: 'events', type: 'WebhookSink', inputs: n.inputs,
    options: { url: `${base}/v1/events`, authorization: `Bearer ${pipelineKey}`, max_retries: 0 },
  }));
  const frames = join(work, 'frames');
  mkdirSync(frames);
  for (const n of [4, 5]) writeFileSync(join(frames, `penny${n}.png`), readFileSync(photo('penny', n)));  // search scores >= 70
  writeFileSync(join(work, 'graph.json'), JSON.stringify(graph));
  let ran = '';
  try {
    execFileSync(CLI, [`--models=${MODELS}`, 'pipeline', 'run', join(work, 'graph.json'), '--set', `source=${frames}`,
      '--set', `gallery=${data}`, '--set', 'group=bbt', '--set', 'liveness=off'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) { ran = `${e.message} ${e.stderr}`; }
  const fromGraph = page.locator('.events li', { hasText: 'penny' }).filter({ hasNotText: 'score 91.2' });
  const shown = await fromGraph.first().waitFor({ timeout: 10000 }).then(() => true, () => false);
  const face = shown ? await fromGraph.first().locator('img.thumb').evaluate((i) => i.decode().then(
    () => ({ type: i.src.slice(0, 23), width: i.naturalWidth, height: i.naturalHeight }), () => null)) : null;
  check(ran === '' && shown && face && face.type === 'data:image/jpeg;base64,' && face.width >= 64 && face.width <= 400,
    `a check-in of the attendance graph (facekit pipeline run, WebhookSink) shows the face it cut (${ran || JSON.stringify(face)})`);
  await shot('live');

  // Revoking a key cuts the Live stream it opened: the server ends it with a "closed" event, the page
  // asks for a new token and shows the refusal.
  const made = await (await fetch(`${base}/v1/keys`, {
    method: 'POST', headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ role: 'read-only', description: 'kiosk' }),
  })).json();
  const kioskKey = `${made.key.secret_id}:${made.secret_key}`;
  const kiosk = await context.newPage();
  await kiosk.goto(`${base}/console/`);
  await kiosk.getByLabel('API key').fill(kioskKey);
  await kiosk.getByRole('button', { name: 'Sign in' }).click();
  await kiosk.locator('h1', { hasText: 'Groups' }).waitFor();
  await kiosk.goto(`${base}/console/#/live`);
  await kiosk.locator('[role=status]', { hasText: 'Connected' }).waitFor();
  const revokedAt = Date.now();
  const revoked = await fetch(`${base}/v1/keys/${kioskKey.split(':')[0]}:revoke`, { method: 'POST', headers: { Authorization: `Bearer ${adminKey}` } });
  const cut = await kiosk.locator('[role=alert]', { hasText: 'AuthFailure.SecretIdNotFound' }).waitFor({ timeout: 10000 }).then(() => true, () => false);
  check(revoked.ok && cut && (await kiosk.locator('[role=status]', { hasText: 'Not connected' }).count()) === 1,
    `revoking a key ends its open Live stream and the page says why (${revoked.status}, ${cut}, shown after ${Date.now() - revokedAt} ms)`);
  await kiosk.close();

  // ---- the new read-only key cannot delete
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('h1', { hasText: 'Sign in' }).waitFor();
  check(await page.evaluate(() => sessionStorage.length === 0), 'signing out forgets the key');
  await page.getByLabel('API key').fill(frontDeskKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('h1', { hasText: 'Groups' }).waitFor();
  check(!(await nav().getByRole('link', { name: 'Keys' }).isVisible()), 'a read-only key has no Keys link');
  await page.goto(`${base}/console/#/keys`);
  await page.locator('p', { hasText: 'Only a key with the admin role manages API keys' }).waitFor();
  check(true, 'the Keys page tells a read-only key it may not manage keys');
  const refusedList = await page.evaluate(async (credential) => {
    const { Api } = await import('/console/js/api.js');
    return new Api(credential).get('/v1/keys').then(() => 'listed', (err) => err.code);
  }, frontDeskKey);
  check(refusedList === 'AuthFailure.UnauthorizedOperation', `the server refuses it the key list (${refusedList})`);
  await nav().getByRole('link', { name: 'Persons' }).click();
  await page.getByRole('button', { name: 'Delete person leonard' }).click();
  await page.locator('[role=alert]', { hasText: 'AuthFailure.UnauthorizedOperation' }).waitFor();
  check(true, `a read-only key cannot delete; the error is shown: "${await alertText()}"`);
  check(await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('img.thumb')].slice(0, 2);
    return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, null, { timeout: 10000 }).then(() => true, () => false), 'the read-only key sees the face thumbnails too');
  await shot('read-only-refused');
  await page.reload();
  await page.locator('caption', { hasText: 'persons in bbt' }).waitFor();
  check(await page.locator('tbody td', { hasText: /^leonard$/ }).count() === 1, 'leonard is still there');

  // ---- a key limited to one group sees only that group
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').fill(bbtOnlyKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('td', { hasText: /^bbt$/ }).waitFor();
  check(await page.locator('td', { hasText: /^other$/ }).count() === 0, 'a key limited to bbt does not see the group "other"');

  // ---- over plain HTTP from another host name (not a secure context: no WebCrypto, no camera),
  // the JavaScript signer signs and the server accepts.
  const remote = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const far = await remote.newPage();
  far.on('pageerror', (e) => pageErrors.push(`page error (plain HTTP): ${e.message}`));
  await far.goto(base.replace('127.0.0.1', 'console.test') + '/console/');
  check(await far.evaluate(() => !window.isSecureContext && !(window.crypto && window.crypto.subtle)),
    'a page from http://console.test is not a secure context (no WebCrypto)');
  await far.getByLabel('API key').fill(readOnlyKey);
  await far.getByRole('button', { name: 'Sign in' }).click();
  await far.locator('td', { hasText: /^bbt$/ }).waitFor();
  check(true, 'there the JavaScript SHA-256 signs the requests and the server accepts them');
  await remote.close();

  // ---- a browser whose clock is two hours fast: the console signs with the server's time
  // (from its files' Date header), so the key still works.
  const fast = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const skewed = await fast.newPage();
  skewed.on('pageerror', (e) => pageErrors.push(`page error (clock off): ${e.message}`));
  await skewed.clock.setSystemTime(Date.now() + 2 * 3600 * 1000);
  await skewed.goto(`${base}/console/`);
  check(await skewed.evaluate(() => Date.now()) - Date.now() > 3600 * 1000, 'a page whose clock is two hours fast');
  await skewed.getByLabel('API key').fill(adminKey);
  await skewed.getByRole('button', { name: 'Sign in' }).click();
  await skewed.locator('td', { hasText: /^bbt$/ }).waitFor();
  check(true, 'still signs in and lists the groups (signed with the server\'s clock)');
  await fast.close();

  check(pageErrors.length === 0, `no script errors or CSP violations in the page (${pageErrors.join('; ') || 'none'})`);
} catch (err) {
  failed++;
  console.log(`FAIL: ${err.message.split('\n').slice(0, 6).join('\n')}`);
  await page.screenshot({ path: join(ARTIFACTS, 'failure.png') }).catch(() => {});
  if (pageErrors.length) console.log(pageErrors.join('\n'));
} finally {
  await browser.close();
  if (server.exitCode === null) {
    const exited = new Promise((ok) => server.once('exit', ok));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
}
console.log(`screenshots in ${ARTIFACTS}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`console: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
