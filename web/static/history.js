// History: past screenings newest first, searchable by patient name or number, 20 per page.
// The query and page live in the address (?query=&page=) so results can be linked and reloaded.
import { api, ApiError, el, fill, percent, showPageMessage, when } from './common.js';

const tbody = document.querySelector('#history-table tbody');
const queryInput = document.getElementById('query');
const count = document.getElementById('result-count');
const prev = document.getElementById('prev-page');
const next = document.getElementById('next-page');
const pageInfo = document.getElementById('page-info');

const OVERALL_TONE = { Success: 'good', Failed: 'bad', Pending: 'neutral', 'Not configured': 'neutral', 'Not sent': 'neutral' };
const OVERALL_ICON = { Success: '✓', Failed: '✕', Pending: '…', 'Not configured': '⊘', 'Not sent': '⊘' };
const decisionSelect = document.getElementById('filter-decision');
const referSelect = document.getElementById('filter-refer');

function stateFromUrl() {
  const params = new URLSearchParams(location.search);
  const page = Math.max(1, parseInt(params.get('page') || '1', 10) || 1);
  return { query: params.get('query') || '', page, decision: params.get('decision') || '', refer: params.get('refer') || '' };
}

function row(s) {
  const r = s.result || {};
  const href = '/screenings/' + encodeURIComponent(s.id);
  const overall = s.overall || 'Pending';
  const notes = s.notifications || [];
  const notConfigured = notes.length > 0 && notes.every((n) => n.status === 'not_configured');
  return el(
    'tr',
    { 'data-id': s.id, 'data-decision': r.decision || '' },
    el(
      'td',
      { class: 'thumb-cell' },
      el(
        'a',
        { href, tabindex: '-1', 'aria-hidden': 'true' },
        el('img', { class: 'thumb', src: (s.image && s.image.url) || '', alt: '', loading: 'lazy', width: '64', height: '48' }),
      ),
    ),
    el('td', { 'data-label': 'Reference' }, el('a', { href, text: s.reference || `#${s.id}` })),
    el('td', { 'data-label': 'Date' }, el('time', { datetime: s.created_at || '', text: when(s.created_at) })),
    el(
      'td',
      { 'data-label': 'Patient' },
      el('span', { class: 'cell-main', text: (s.patient && s.patient.name) || '—' }),
      el('span', { class: 'cell-sub', text: (s.patient && s.patient.phone) || '' }),
    ),
    el(
      'td',
      { 'data-label': 'Doctor' },
      el('span', { class: 'cell-main', text: (s.doctor && s.doctor.name) || '—' }),
      el('span', { class: 'cell-sub', text: (s.doctor && s.doctor.phone) || '' }),
    ),
    el(
      'td',
      { 'data-label': 'Result' },
      el('a', { href, text: r.words || r.name || '—' }),
      r.refer ? el('span', { class: 'badge tone-bad small-badge', text: '! Refer' }) : null,
      r.decision === 'not_a_lesion' ? el('span', { class: 'cell-sub', text: 'Kept for audit; nothing sent' }) : null,
    ),
    el('td', {
      class: 'num',
      'data-label': 'Confidence',
      text: r.decision === 'not_a_lesion' ? '—' : r.confidence_text || percent(r.confidence),
    }),
    el(
      'td',
      { 'data-label': 'WhatsApp' },
      el(
        'span',
        { class: `badge tone-${OVERALL_TONE[overall] || 'neutral'}` },
        el('span', { 'aria-hidden': 'true', text: (OVERALL_ICON[overall] || '') + ' ' }),
        overall,
      ),
      notConfigured ? el('span', { class: 'cell-sub', text: 'WhatsApp not set up: kept, not sent' }) : null,
    ),
  );
}

let latest = 0; // only the newest request's answer is shown (searches may overlap)

async function load() {
  const ticket = ++latest;
  const { query, page, decision, refer } = stateFromUrl();
  queryInput.value = query;
  decisionSelect.value = decision;
  referSelect.value = refer;
  document.getElementById('history-table').setAttribute('aria-busy', 'true');
  let data;
  try {
    const params = new URLSearchParams({ query, page: String(page) });
    if (decision) params.set('decision', decision);
    if (refer) params.set('refer', refer);
    data = await api('/api/v1/screenings?' + params.toString());
    if (ticket !== latest) return;
  } catch (err) {
    if (ticket !== latest) return;
    if (!(err instanceof ApiError && err.status === 401)) showPageMessage('Could not load the history: ' + err.message);
    return;
  } finally {
    if (ticket === latest) document.getElementById('history-table').setAttribute('aria-busy', 'false');
  }
  const items = data.items || [];
  const total = Number(data.total) || 0;
  const size = Number(data.page_size) || 20;
  const pages = Math.max(1, Math.ceil(total / size));
  if (items.length) {
    tbody.replaceChildren(...items.map(row));
  } else {
    tbody.replaceChildren(
      el(
        'tr',
        {},
        el('td', {
          colspan: '8',
          class: 'empty',
          text: query || decision || refer ? `No screening matches${query ? ` “${query}”` : ''} with these filters.` : 'No screenings yet.',
        }),
      ),
    );
  }
  const first = total ? (page - 1) * size + 1 : 0;
  const last = Math.min(total, (page - 1) * size + items.length);
  fill(
    count,
    query
      ? `${total} screening${total === 1 ? '' : 's'} match “${query}”${total ? ` (showing ${first}–${last})` : ''}.`
      : `${total} screening${total === 1 ? '' : 's'}${total ? ` (showing ${first}–${last}, newest first)` : ''}.`,
  );
  fill(pageInfo, `Page ${Math.min(page, pages)} of ${pages}`);
  prev.disabled = page <= 1;
  next.disabled = page >= pages;
}

function go(query, page) {
  const params = new URLSearchParams();
  if (query) params.set('query', query);
  if (decisionSelect.value) params.set('decision', decisionSelect.value);
  if (referSelect.value) params.set('refer', referSelect.value);
  if (page > 1) params.set('page', String(page));
  const search = params.toString();
  history.pushState(null, '', location.pathname + (search ? '?' + search : ''));
  load();
}

document.getElementById('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  go(queryInput.value.trim(), 1);
});
for (const select of [decisionSelect, referSelect]) {
  select.addEventListener('change', () => go(queryInput.value.trim(), 1));
}
prev.addEventListener('click', () => {
  const s = stateFromUrl();
  go(s.query, Math.max(1, s.page - 1));
});
next.addEventListener('click', () => {
  const s = stateFromUrl();
  go(s.query, s.page + 1);
});
// A result opened from this list belongs to History in the nav (common.js markNav).
tbody.addEventListener('click', (event) => {
  const link = event.target.closest('a[href^="/screenings/"]');
  if (!link) return;
  try {
    sessionStorage.setItem('skinscan-from-history', link.getAttribute('href'));
  } catch {
    // storage unavailable: the nav simply marks nothing
  }
});
window.addEventListener('popstate', load);
load();
