// The screening form: client-side checks with the error next to its field, image preview,
// multipart submit with the CSRF header, server errors (422 errors[], 413, 415) mapped back to
// their fields, and on 201 the result page.
import { api, ApiError, el, fill, showPageMessage } from './common.js';

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
  if (!/^\+?[0-9][0-9 ().\-]*$/.test(v)) {
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

// Re-check a field once the user leaves it (and live while it is marked invalid).
for (const f of FIELDS) {
  const input = document.getElementById(f);
  input.addEventListener('blur', () => {
    if (f === 'image') return;
    if (input.value.trim() !== '' || input.getAttribute('aria-invalid') === 'true') setError(f, CHECKS[f]());
  });
  input.addEventListener('input', () => {
    if (input.getAttribute('aria-invalid') === 'true') setError(f, CHECKS[f]());
  });
}

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
    location.assign('/screenings/' + encodeURIComponent(screening.id));
  } catch (err) {
    setBusy(false);
    showServerError(err);
  }
});
