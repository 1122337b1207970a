// Sign-in: exchanges the access token for a session cookie (POST /api/v1/session), then goes
// to `next` (only a same-site path is followed).
import { api, ApiError, el, fill, showPageMessage } from './common.js';

const form = document.getElementById('login-form');
const token = document.getElementById('token');
const error = document.getElementById('token-error');
const submit = document.getElementById('login-submit');

function nextPath() {
  const next = new URLSearchParams(location.search).get('next') || '/';
  // Only a local path: "/x" but not "//host" or "/\host".
  return /^\/(?![/\\])/.test(next) ? next : '/';
}

function setError(message) {
  if (message) {
    token.setAttribute('aria-invalid', 'true');
    error.hidden = false;
    fill(error, el('span', { class: 'error-icon', 'aria-hidden': 'true', text: '✕ ' }), message);
  } else {
    token.removeAttribute('aria-invalid');
    error.hidden = true;
    error.replaceChildren();
  }
}

async function checkSession() {
  try {
    const s = await api('/api/v1/session', { noLoginRedirect: true });
    if (s && !s.auth_required) showPageMessage('This server needs no sign-in: every page is open.', 'info');
    else if (s && s.authenticated) showPageMessage('You are already signed in.', 'info');
  } catch {
    // The form still works.
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  setError('');
  if (!token.value) {
    setError('Enter the access token.');
    token.focus();
    return;
  }
  submit.disabled = true;
  try {
    await api('/api/v1/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: token.value }),
      noLoginRedirect: true,
    });
    location.assign(nextPath());
  } catch (err) {
    submit.disabled = false;
    if (err instanceof ApiError && err.status === 401) {
      setError('That token is not valid.');
      token.focus();
    } else {
      setError(err instanceof ApiError ? err.message : 'Could not reach the server.');
    }
  }
});
checkSession();
