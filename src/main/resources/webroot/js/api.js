// The API as the console uses it: the session cookie travels by itself (same origin, HttpOnly); every request
// that changes something carries the session's CSRF token.

const API = '/api/v1';
let csrfToken = '';

export function setCsrfToken(token) { csrfToken = token || ''; }

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

export async function api(method, path, { body, headers = {} } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
  if (method !== 'GET' && method !== 'HEAD') init.headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API + path, init);
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { /* not JSON: reported below */ }
  }
  if (!res.ok) {
    const err = json && json.error;
    const e = err ? new ApiError(res.status, err.code, err.message, err.field)
      : new ApiError(res.status, `http_${res.status}`, `${res.status} ${res.statusText}`.trim());
    if (res.status === 401 && path !== '/session') window.dispatchEvent(new CustomEvent('ltm:signed-out'));
    throw e;
  }
  return json;
}

// crypto.randomUUID exists only in secure contexts; getRandomValues exists everywhere.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Shows an API error next to the field it concerns: the element [data-error-for="<field>"] inside root, else
 * the form's general error element [data-error-for=""].
 */
export function showErrors(root, err) {
  for (const el of root.querySelectorAll('[data-error-for]')) el.textContent = '';
  for (const el of root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (!err) return;
  const field = err.field || '';
  let target = field && root.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
  if (target) {
    const input = root.querySelector(`[name="${CSS.escape(field)}"]`);
    if (input) input.setAttribute('aria-invalid', 'true');
  } else {
    target = root.querySelector('[data-error-for=""]');
  }
  const text = err instanceof ApiError ? err.message : String(err.message || err);
  if (target) target.textContent = text;
}
