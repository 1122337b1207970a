// The screening form: client-side checks with the error next to its field, image preview,
// multipart submit with the CSRF header, server errors (422 errors[], 413, 415) mapped back to
// their fields, and on 201 the result page.
import { api, ApiError, el, fill, serverSession, showPageMessage } from './common.js';

const MAX_BYTES = 10 * 1024 * 1024;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const FIELDS = ['image', 'patient_name', 'patient_phone', 'doctor_name', 'doctor_phone'];

const form = document.getElementById('screening-form');
const submit = document.getElementById('submit');
const busy = document.getElementById('busy');
const imageInput = document.getElementById('image');
const preview = document.getElementById('image-preview');
const previewImg = document.getElementById('image-preview-img');
const previewCaption = document.getElementById('image-preview-caption');
let previewUrl = null;

// Number of Unicode code points (what the server counts), not UTF-16 units.
function codePoints(s) {
  return [...s].length;
}

function setError(field, message) {
  const input = document.getElementById(field);
  const box = document.getElementById(field + '-error');
  if (!input || !box) return false;
  if (message) {
    input.setAttribute('aria-invalid', 'true');
    box.hidden = false;
    fill(box, el('span', { class: 'error-icon', 'aria-hidden': 'true', text: '✕ ' }), message);
  } else {
    input.removeAttribute('aria-invalid');
    box.hidden = true;
    box.replaceChildren();
  }
  return true;
}

function clearErrors() {
  for (const f of FIELDS) setError(f, '');
  const page = document.getElementById('page-message');
  page.hidden = true;
  page.replaceChildren();
}

function checkName(value, label) {
  const v = value.trim();
  if (!v) return `Enter the ${label}.`;
  if (codePoints(v) > 100) return `The ${label} is too long: at most 100 characters (now ${codePoints(v)}).`;
  return '';
}

// A loose shape check only; the server parses the number with libphonenumber.
function checkPhone(value, label) {
  const v = value.trim();
  if (!v) return `Enter the ${label}.`;
  if (!/^\+?[0-9 ().\-]+$/.test(v)) {
    return `The ${label} may contain only digits, spaces, ( ) - . and a leading +, e.g. +14155550123.`;
  }
  const digits = v.replace(/\D/g, '').length;
  if (digits < 6 || digits > 15) {
    return `The ${label} should have 6 to 15 digits, e.g. +14155550123 (now ${digits}).`;
  }
  return '';
}

function checkImage() {
  const file = imageInput.files && imageInput.files[0];
  if (!file) return 'Choose a photo of the skin lesion.';
  if (file.size === 0) return 'This file is empty.';
  if (file.size > MAX_BYTES) {
    return `This photo is ${(file.size / 1048576).toFixed(1)} MB; the limit is 10 MB.`;
  }
  if (file.type && !IMAGE_TYPES.includes(file.type)) return 'Use a JPEG, PNG or WebP image.';
  return '';
}

const CHECKS = {
  image: checkImage,
  patient_name: () => checkName(form.patient_name.value, 'patient name'),
  patient_phone: () => checkPhone(form.patient_phone.value, 'patient WhatsApp number'),
  doctor_name: () => checkName(form.doctor_name.value, 'doctor name'),
  doctor_phone: () => checkPhone(form.doctor_phone.value, 'doctor WhatsApp number'),
};

// Validates every field, shows each error beside its field; returns the first invalid field.
function validateAll() {
  let first = null;
  for (const f of FIELDS) {
    const message = CHECKS[f]();
    setError(f, message);
    if (message && !first) first = f;
  }
  return first;
}

// Re-check a field once the user leaves it (and live while it is marked invalid). Not when the
// user is pressing "Screen photo": an error line inserted between mouse-down and mouse-up would
// move the button and lose the click; the submit checks every field anyway.
let submitPressed = false;
submit.addEventListener('pointerdown', () => {
  submitPressed = true;
});
document.addEventListener('pointerup', () => setTimeout(() => (submitPressed = false), 0));
for (const f of FIELDS) {
  const input = document.getElementById(f);
  input.addEventListener('blur', (event) => {
    if (f === 'image') return;
    if (submitPressed || event.relatedTarget === submit) return;
    if (input.value.trim() !== '' || input.getAttribute('aria-invalid') === 'true') setError(f, CHECKS[f]());
  });
  input.addEventListener('input', () => {
    if (input.getAttribute('aria-invalid') === 'true') setError(f, CHECKS[f]());
  });
}

// Puts `file` into the photo field as if it had been chosen (drop, paste, camera, examples).
function useFile(file) {
  const dt = new DataTransfer();
  dt.items.add(file);
  imageInput.files = dt.files;
  imageInput.dispatchEvent(new Event('change', { bubbles: true }));
}

const dropZone = document.getElementById('drop-zone');
for (const type of ['dragenter', 'dragover']) {
  form.addEventListener(type, (event) => {
    if (!event.dataTransfer || ![...event.dataTransfer.types].includes('Files')) return;
    event.preventDefault();
    dropZone.classList.add('dragging');
  });
}
form.addEventListener('dragleave', (event) => {
  if (!form.contains(event.relatedTarget)) dropZone.classList.remove('dragging');
});
form.addEventListener('drop', (event) => {
  dropZone.classList.remove('dragging');
  const file = event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files[0];
  if (!file) return;
  event.preventDefault();
  useFile(file);
});
document.addEventListener('paste', (event) => {
  const files = event.clipboardData ? [...event.clipboardData.files] : [];
  const file = files.find((f) => f.type.startsWith('image/'));
  if (!file) return;
  event.preventDefault();
  useFile(file);
});
document.getElementById('camera').addEventListener('change', (event) => {
  const file = event.target.files && event.target.files[0];
  if (file) useFile(file);
});
for (const button of document.querySelectorAll('#examples button.example')) {
  button.addEventListener('click', async () => {
    const src = button.getAttribute('data-src');
    try {
      const response = await fetch(src);
      const blob = await response.blob();
      useFile(new File([blob], src.split('/').pop(), { type: blob.type || 'image/jpeg' }));
    } catch {
      setError('image', 'The example photo could not be loaded.');
    }
  });
}

// Example national numbers of a few regions, for the hint.
const NATIONAL_EXAMPLE = {
  US: '(415) 555-2671',
  CA: '(416) 555-0123',
  GB: '07911 123456',
  IE: '085 123 4567',
  DE: '0151 23456789',
  FR: '06 12 34 56 78',
  ES: '612 34 56 78',
  IT: '312 345 6789',
  NL: '06 12345678',
  AU: '0412 345 678',
  IN: '098765 43210',
  BR: '(11) 91234-5678',
  ZA: '071 123 4567',
};

// The photo hint names the smallest photo the loaded model screens (its input size).
async function photoHint() {
  const session = await serverSession();
  const min = session && session.min_photo;
  if (!min) return;
  const hint = document.getElementById('image-hint');
  hint.setAttribute('data-min-photo', `${min.width}x${min.height}`);
  fill(
    hint,
    `JPEG, PNG or WebP, at least ${min.width} × ${min.height} pixels (the model's input), up to 10 MB. ` +
      'A dermatoscopic close-up works best. Choose a file, drop it here, or paste it (Ctrl+V).',
  );
}

// The phone hints name the clinic's default region (the server's SKINSCAN_DEFAULT_REGION).
async function regionHints() {
  const session = await serverSession();
  const region = session && session.default_region;
  if (!region) return;
  let name = region;
  try {
    name = new Intl.DisplayNames(['en'], { type: 'region' }).of(region) || region;
  } catch {
    name = region;
  }
  const example = NATIONAL_EXAMPLE[region];
  for (const [id, intl] of [
    ['patient_phone-hint', '+14155550123'],
    ['doctor_phone-hint', '+14155550124'],
  ]) {
    const hint = document.getElementById(id);
    hint.setAttribute('data-region', region);
    fill(
      hint,
      `With the country code, such as ${intl}, or a national number of ${name} (this clinic's default region)` +
        (example ? `, such as ${example}.` : '.'),
    );
  }
}
regionHints();
photoHint();

imageInput.addEventListener('change', () => {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  const file = imageInput.files && imageInput.files[0];
  const message = file ? checkImage() : '';
  setError('image', message);
  if (!file || message) {
    preview.hidden = true;
    previewImg.removeAttribute('src');
    return;
  }
  previewUrl = URL.createObjectURL(file);
  previewImg.src = previewUrl;
  fill(previewCaption, `${file.name} · ${(file.size / 1024).toFixed(0)} KB`);
  preview.hidden = false;
});
previewImg.addEventListener('error', () => {
  if (!previewUrl) return;
  preview.hidden = true;
  setError('image', 'This browser cannot show this image; the server will still check it.');
});

function setBusy(on) {
  submit.disabled = on;
  form.setAttribute('aria-busy', on ? 'true' : 'false');
  fill(busy, on ? 'Screening the photo…' : '');
  fill(submit, on ? 'Screening…' : 'Screen photo');
}

function focusField(f) {
  const input = document.getElementById(f);
  if (input) input.focus();
}

// Server errors: 422 errors[] per field, 413/415 at the image, the rest at the top.
function showServerError(err) {
  if (!(err instanceof ApiError)) {
    showPageMessage('Could not reach the SkinScan server. Check the connection and try again.');
    return;
  }
  if (err.status === 403 && err.code === 'csrf') {
    showPageMessage("The form's security token is missing or out of date: reload the page and submit again.");
    return;
  }
  if (err.status === 503) {
    showPageMessage('SkinScan is starting up or unavailable; try again in a moment.');
    return;
  }
  if (err.status === 413) {
    setError('image', err.message || 'The photo is larger than the 10 MB limit.');
    focusField('image');
    return;
  }
  if (err.status === 415) {
    setError('image', err.message || 'The file is not a JPEG, PNG or WebP image.');
    focusField('image');
    return;
  }
  let first = null;
  const unplaced = [];
  for (const e of err.errors) {
    const field = e.field && FIELDS.includes(e.field) ? e.field : null;
    if (field) {
      setError(field, e.message || 'Invalid value.');
      if (!first) first = field;
    } else {
      unplaced.push(e.message);
    }
  }
  if (first) {
    showPageMessage('Please correct the highlighted fields.');
    focusField(first);
  }
  if (unplaced.length || !first) {
    const prefix = err.status === 429 ? 'Too many requests. ' : '';
    showPageMessage(prefix + (unplaced.join(' ') || err.message));
  }
}

// Not a lesion: no report was sent; stay on the form with the people filled in and ask for
// another photo. The attempt is kept in the history for audit (linked).
function askToRetake(screening) {
  setBusy(false);
  imageInput.value = '';
  preview.hidden = true;
  previewImg.removeAttribute('src');
  setError(
    'image',
    'This photo does not look like a skin lesion, so it was not screened and nothing was sent. Retake the photo: one lesion, close up, in focus, filling most of the frame.',
  );
  const box = document.getElementById('page-message');
  box.hidden = false;
  box.className = 'notice notice-info';
  fill(
    box,
    'Please retake the photo. This attempt is kept in the history as ',
    el('a', { href: '/screenings/' + encodeURIComponent(screening.id), text: screening.reference || `#${screening.id}` }),
    ' (not a skin lesion, nothing sent).',
  );
  box.setAttribute('data-retake', 'true');
  imageInput.focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const firstInvalid = validateAll();
  if (firstInvalid) {
    focusField(firstInvalid);
    return;
  }
  const data = new FormData();
  data.append('image', imageInput.files[0]);
  for (const f of FIELDS.slice(1)) data.append(f, form[f].value.trim());
  setBusy(true);
  try {
    const screening = await api('/api/v1/screenings', { method: 'POST', body: data });
    if (screening.result && screening.result.decision === 'not_a_lesion') {
      askToRetake(screening);
      return;
    }
    location.assign('/screenings/' + encodeURIComponent(screening.id));
  } catch (err) {
    setBusy(false);
    showServerError(err);
  }
});
