// Shared helpers for every SkinScan page: CSRF header, JSON fetch with the API's error shape,
// login redirect on 401, and small DOM builders. Data is only ever inserted with textContent
// (never innerHTML), so names and messages from the server cannot become markup.

// The 7 HAM10000 classes, used when the model card cannot be fetched.
export const CLASS_NAMES = {
  akiec: 'Actinic keratoses and intraepithelial carcinoma',
  bcc: 'Basal cell carcinoma',
  bkl: 'Benign keratosis-like lesions',
  df: 'Dermatofibroma',
  mel: 'Melanoma',
  nv: 'Melanocytic nevi',
  vasc: 'Vascular lesions',
};
export const CLASS_ORDER = ['akiec', 'bcc', 'bkl', 'df', 'mel', 'nv', 'vasc'];

// The value of cookie `name`, or '' when absent.
export function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return '';
}

// Headers every state-changing request sends (the server compares it with the cookie).
export function csrfHeaders() {
  const token = cookie('skinscan_csrf');
  return token ? { 'X-CSRF-Token': token } : {};
}

// An API failure: status, the first error and the full list of field errors.
export class ApiError extends Error {
  constructor(status, body) {
    const first = (body && body.error) || {};
    super(first.message || `Request failed (HTTP ${status})`);
    this.status = status;
    this.code = first.code || '';
    this.field = first.field || null;
    this.errors = Array.isArray(body && body.errors) ? body.errors : first.code ? [first] : [];
  }
}

// Sends to the login page, coming back here afterwards.
export function goToLogin() {
  const next = location.pathname + location.search;
  location.assign('/login?next=' + encodeURIComponent(next));
}

// fetch() that returns parsed JSON (or null for 204), throws ApiError on any non-2xx, and sends
// the CSRF header on non-GET requests. A 401 from the API leads to the login page.
export async function api(path, options = {}) {
  const method = (options.method || 'GET').toUpperCase();
  const headers = { Accept: 'application/json', ...(options.headers || {}) };
  if (method !== 'GET' && method !== 'HEAD') Object.assign(headers, csrfHeaders());
  const response = await fetch(path, { credentials: 'same-origin', ...options, headers });
  let body = null;
  const type = response.headers.get('Content-Type') || '';
  if (response.status !== 204 && type.includes('json')) {
    try {
      body = await response.json();
    } catch {
      body = null;
    }
  }
  if (response.status === 401 && !options.noLoginRedirect) {
    goToLogin();
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

// document.createElement with text and attributes (attributes set as properties are avoided on
// purpose: setAttribute keeps `class`, `aria-*` and `data-*` uniform).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Replaces every child of `node` with `children`.
export function fill(node, ...children) {
  node.replaceChildren();
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function percent(x, digits = 1) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return (x * 100).toFixed(digits) + '%';
}

export function number(x, digits = 3) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return x.toFixed(digits);
}

// "26 Nov 2026, 05:01 UTC"-style local rendering of an ISO timestamp (falls back to the text).
export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// Shows a page-level message in the element with id `status` (role=alert/status in the page).
export function showPageMessage(text, kind = 'error') {
  const box = document.getElementById('page-message');
  if (!box) return;
  box.hidden = false;
  box.className = 'notice notice-' + kind;
  fill(box, text);
}

// Class names from the model card (falls back to the fixed HAM10000 names).
let classNamesPromise = null;
export function classNames() {
  if (!classNamesPromise) {
    classNamesPromise = api('/api/v1/model', { noLoginRedirect: true })
      .then((model) => {
        const names = { ...CLASS_NAMES };
        for (const c of (model && model.classes) || []) if (c.code && c.name) names[c.code] = c.name;
        return names;
      })
      .catch(() => ({ ...CLASS_NAMES }));
  }
  return classNamesPromise;
}

// Chart.js loaded by its own <script> (vendor/chart.umd.js); null when missing.
export function chartLib() {
  return typeof window.Chart === 'function' ? window.Chart : null;
}

// Colours that stay distinguishable for common colour-vision deficiencies (Okabe-Ito), used with
// labels and patterns of text so colour is never the only cue.
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#8a7a00', '#000000'];

// Marks the current page's nav link. A result page belongs to History only when it was opened
// from the history list (history.js notes which one; the server sends no Referer): a result
// just created is not "History".
export function markNav() {
  const path = location.pathname;
  let fromHistory = false;
  try {
    fromHistory = sessionStorage.getItem('skinscan-from-history') === path;
  } catch {
    fromHistory = false;
  }
  for (const link of document.querySelectorAll('.site-nav a')) {
    const href = link.getAttribute('href');
    const current =
      href === '/'
        ? path === '/'
        : href === '/history'
          ? path.startsWith('/history') || (path.startsWith('/screenings') && fromHistory)
          : path.startsWith(href);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}
markNav();

// GET /api/v1/session once per page: auth_required, authenticated and the server's default
// phone region (SKINSCAN_DEFAULT_REGION, e.g. "US" or "GB").
let sessionPromise = null;
export function serverSession() {
  if (!sessionPromise) sessionPromise = api('/api/v1/session', { noLoginRedirect: true }).catch(() => ({}));
  return sessionPromise;
}

// The sign-out control, shown when the server requires a login and this browser has one.
async function setUpSignOut() {
  const item = document.getElementById('nav-signout');
  const button = document.getElementById('sign-out');
  if (!item || !button) return;
  const session = await serverSession();
  if (!session || !session.auth_required || !session.authenticated) return;
  item.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await api('/api/v1/session', { method: 'DELETE', noLoginRedirect: true });
    } finally {
      location.assign('/login');
    }
  });
}
setUpSignOut();
