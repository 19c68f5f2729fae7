// The REST/JSON API (/v1/...) as the console calls it: every request signed
// with TC3-HMAC-SHA256 exactly as docs/api-reference.md says REST requests
// are (method, path and query as sent, Content-Type, Host, the body's
// SHA-256), so keys, roles, group scopes and rate limits apply unchanged and
// the SecretKey never leaves the browser. WebCrypto does the hashing where the
// page is a secure context (HTTPS, localhost); sha256.js elsewhere.
import { hmacSha256, sha256 } from './sha256.js';

const encoder = new TextEncoder();
const subtle = globalThis.isSecureContext && globalThis.crypto ? globalThis.crypto.subtle : undefined;
const SERVICE = 'facekit';  // any service name in the credential scope is accepted

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

async function digest(bytes, useSubtle = subtle) {
  return useSubtle ? new Uint8Array(await useSubtle.digest('SHA-256', bytes)) : sha256(bytes);
}

async function hmac(key, data, useSubtle = subtle) {
  if (!useSubtle) return hmacSha256(key, data);
  const k = await useSubtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await useSubtle.sign('HMAC', k, data));
}

/** yyyy-mm-dd of a unix timestamp, UTC. */
function utcDate(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/**
 * The Authorization header value for one request.
 * `crypto` picks the implementation: 'auto' (WebCrypto when available), 'js' (sha256.js).
 */
export async function tc3Authorization(r, crypto = 'auto') {
  const useSubtle = crypto === 'js' ? undefined : subtle;
  const bodyHash = hex(await digest(encoder.encode(r.body || ''), useSubtle));
  const canonical = [r.method, r.path, r.query || '', `content-type:${r.contentType || ''}`, `host:${r.host}`, '',
    'content-type;host', bodyHash].join('\n');
  const date = utcDate(r.timestamp);
  const scope = `${date}/${SERVICE}/tc3_request`;
  const toSign = ['TC3-HMAC-SHA256', String(r.timestamp), scope,
    hex(await digest(encoder.encode(canonical), useSubtle))].join('\n');
  let key = await hmac(encoder.encode('TC3' + r.secretKey), encoder.encode(date), useSubtle);
  key = await hmac(key, encoder.encode(SERVICE), useSubtle);
  key = await hmac(key, encoder.encode('tc3_request'), useSubtle);
  const signature = hex(await hmac(key, encoder.encode(toSign), useSubtle));
  return `TC3-HMAC-SHA256 Credential=${r.secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`;
}

// The server's clock minus the browser's, in ms: signatures carry the
// server's time, so a browser whose clock is off by more than the allowed
// skew (300 s) still signs acceptably. Read from the Date header of the
// console's own index.html (served with the server's clock), once per page
// load and again after an AuthFailure.SignatureExpire.
let skewMs = 0;
let clockRead = null;
export function readServerClock() {
  clockRead = fetch(new URL('../index.html', import.meta.url), { method: 'HEAD', cache: 'no-store' }).then((r) => {
    const server = Date.parse(r.headers.get('Date') || '');
    // The header has whole seconds: the server's time is within the second after it.
    if (!Number.isNaN(server)) skewMs = server + 500 - Date.now();
  }, () => {});
  return clockRead;
}
/** The server's time as this page knows it, in unix seconds. */
export function serverNow() {
  return Math.floor((Date.now() + skewMs) / 1000);
}

/** An error answered by the API ({code, message, status}) or met on the way. */
export class ApiError extends Error {
  constructor(code, message, httpStatus) {
    super(message);
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

/** "a=1&b=x%20y" from {a: 1, b: 'x y', c: ['p', 'q']} (arrays repeat the key; undefined/'' left out). */
export function queryString(params = {}) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one === undefined || one === null || one === '') continue;
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(one))}`);
    }
  }
  return parts.join('&');
}

/** A path segment: "/v1/groups/" + seg(id). */
export const seg = (s) => encodeURIComponent(s);

export class Api {
  /** `credential` is "SecretId:SecretKey". */
  constructor(credential) {
    const at = credential.indexOf(':');
    if (at <= 0 || at === credential.length - 1) {
      throw new ApiError('InvalidKey', 'an API key is SecretId:SecretKey, as `facekit keys create --credential` prints it');
    }
    this.secretId = credential.slice(0, at).trim();
    this.secretKey = credential.slice(at + 1).trim();
  }

  /** Calls METHOD path; resolves to the answer's JSON, rejects with an ApiError. */
  async call(method, path, options = {}) {
    await (clockRead || readServerClock());
    try {
      return await this.send(method, path, options);
    } catch (err) {
      if (err.code !== 'AuthFailure.SignatureExpire') throw err;
      await readServerClock();  // the browser's clock moved: once more with the server's time
      return this.send(method, path, options);
    }
  }

  async send(method, path, { query, body, raw } = {}) {
    const q = typeof query === 'string' ? query : queryString(query);
    const text = body === undefined ? '' : JSON.stringify(body);
    const contentType = body === undefined ? '' : 'application/json';
    const timestamp = serverNow();
    const headers = {
      'X-TC-Timestamp': String(timestamp),
      Authorization: await tc3Authorization({
        method, path, query: q, contentType, host: location.host, body: text, timestamp,
        secretId: this.secretId, secretKey: this.secretKey,
      }),
    };
    if (contentType) headers['Content-Type'] = contentType;
    let response;
    try {
      response = await fetch(path + (q ? `?${q}` : ''), { method, headers, body: text || undefined, cache: 'no-store' });
    } catch (e) {
      throw new ApiError('NetworkError', `the server could not be reached (${e.message})`, 0);
    }
    // A non-JSON answer (GET /v1/faces/{id}/crop's JPEG) as a Blob; errors are JSON.
    if (raw && response.ok) return response.blob();
    let json = null;
    try {
      json = await response.json();
    } catch {
      throw new ApiError(`HTTP${response.status}`, `the server answered ${response.status} without JSON`, response.status);
    }
    if (!response.ok) {
      throw new ApiError(json.code || `HTTP${response.status}`, json.message || response.statusText, response.status);
    }
    return json;
  }

  get(path, query) { return this.call('GET', path, { query }); }
  /** GET of an answer that is not JSON (an image): resolves to a Blob. */
  getBlob(path, query) { return this.call('GET', path, { query, raw: true }); }
  post(path, body) { return this.call('POST', path, { body: body ?? {} }); }
  patch(path, body) { return this.call('PATCH', path, { body }); }
  del(path, query) { return this.call('DELETE', path, { query }); }
}
