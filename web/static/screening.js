// The result page (/screenings/{id}): decision, confidence, refer flag, probability chart, photo
// and Grad-CAM overlay, and the WhatsApp delivery status of both recipients, polled every 2 s
// until every status is final.
import {
  api,
  ApiError,
  chartLib,
  classNames,
  el,
  fill,
  percent,
  showPageMessage,
  when,
  CLASS_ORDER,
} from './common.js';

const STATUS_TEXT = {
  not_configured: 'Not sent: WhatsApp is not set up on this server',
  pending: 'Pending: waiting to be sent',
  sending: 'Sending…',
  queued: 'Queued at Twilio',
  accepted: 'Accepted by Twilio',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Failed',
  undelivered: 'Not delivered',
  expired: 'Expired: not sent',
};
const STATUS_ICON = {
  not_configured: '⊘',
  pending: '…',
  sending: '…',
  queued: '…',
  accepted: '…',
  sent: '✓',
  delivered: '✓✓',
  read: '✓✓',
  failed: '✕',
  undelivered: '✕',
  expired: '⊘',
};
const STATUS_TONE = {
  expired: 'warn',
  failed: 'bad',
  undelivered: 'bad',
  sent: 'good',
  delivered: 'good',
  read: 'good',
};
// Statuses that will not change by themselves (delivered may still become read, but nobody waits
// for that on this page).
const SETTLED = new Set(['not_configured', 'delivered', 'read', 'failed', 'undelivered', 'expired']);
const OVERALL = {
  Success: { icon: '✓', tone: 'good' },
  Failed: { icon: '✕', tone: 'bad' },
  Pending: { icon: '…', tone: 'neutral' },
  'Not configured': { icon: '⊘', tone: 'neutral' },
  'Not sent': { icon: '⊘', tone: 'neutral' },
};
// What to do when WhatsApp is not set up: the reports are kept and go out once it is.
const NOT_CONFIGURED_HELP =
  'The reports are kept and will be sent once an administrator adds the Twilio WhatsApp credentials and restarts SkinScan. Until then, give the patient a printed copy of this page.';
const RECIPIENT = { patient: 'Patient', doctor: 'Doctor' };

const POLL_MS = 2000;
const SLOW_POLL_MS = 15000;
const SLOW_AFTER_MS = 2 * 60 * 1000;
const STOP_AFTER_MS = 30 * 60 * 1000;

const match = /^\/screenings\/(\d+)\/?$/.exec(location.pathname);
const id = match ? match[1] : null;
const started = Date.now();
let chart = null;

function setText(idName, text) {
  fill(document.getElementById(idName), text);
}

function renderDeliveries(s) {
  const list = document.getElementById('deliveries');
  const items = (s.notifications || []).map((n) => {
    const status = n.status || 'pending';
    const tone = STATUS_TONE[status] || 'neutral';
    const line = el(
      'li',
      { class: 'delivery', 'data-recipient': n.recipient, 'data-status': status },
      el('span', { class: 'delivery-who', text: RECIPIENT[n.recipient] || n.recipient }),
      el('span', { class: 'delivery-to', text: n.to || '' }),
      el(
        'span',
        { class: `badge tone-${tone} delivery-status` },
        el('span', { 'aria-hidden': 'true', text: (STATUS_ICON[status] || '•') + ' ' }),
        STATUS_TEXT[status] || status,
      ),
    );
    if (n.error_code || n.error_message) {
      const reason = [n.error_message, n.error_code ? `(code ${n.error_code})` : ''].filter(Boolean).join(' ');
      line.append(el('span', { class: 'delivery-reason', text: 'Reason: ' + reason }));
    }
    if (n.updated_at)
      line.append(el('span', { class: 'delivery-time muted small', text: 'Updated ' + when(n.updated_at) }));
    return line;
  });
  if (!items.length) {
    const why =
      s.result && s.result.decision === 'not_a_lesion'
        ? 'No WhatsApp report: nothing is sent about a photo that is not a skin lesion.'
        : 'No WhatsApp reports for this screening.';
    items.push(el('li', { class: 'muted', id: 'no-reports', text: why }));
  }
  list.replaceChildren(...items);
  const help = document.getElementById('delivery-help');
  const unconfigured = (s.notifications || []).some((n) => n.status === 'not_configured');
  help.hidden = !unconfigured;
  fill(help, unconfigured ? NOT_CONFIGURED_HELP : '');

  const overall = s.overall || 'Pending';
  const o = OVERALL[overall] || OVERALL.Pending;
  const badge = document.getElementById('overall');
  badge.className = `badge tone-${o.tone}`;
  badge.setAttribute('data-overall', overall);
  fill(badge, el('span', { 'aria-hidden': 'true', text: o.icon + ' ' }), overall);
}

function allSettled(s) {
  const list = s.notifications || [];
  return list.every((n) => SETTLED.has(n.status));
}

async function renderProbabilities(result) {
  const names = await classNames();
  const probs = result.probabilities || {};
  const codes = CLASS_ORDER.filter((c) => c in probs).concat(
    Object.keys(probs).filter((c) => !CLASS_ORDER.includes(c)),
  );
  const values = codes.map((c) => Number(probs[c]) || 0);
  const labels = codes.map((c) => `${names[c] || c} (${c})`);

  const tbody = document.querySelector('#prob-table tbody');
  tbody.replaceChildren(
    ...codes.map((c, i) =>
      el(
        'tr',
        { class: c === result.label ? 'top' : null, 'data-code': c },
        el('th', { scope: 'row', text: labels[i] + (c === result.label ? ' — top class' : '') }),
        el('td', { class: 'num', text: percent(values[i]) }),
      ),
    ),
  );

  const Chart = chartLib();
  if (!Chart) return;
  const colours = codes.map((c) => (c === result.label ? '#0b5cad' : '#9db4cc'));
  chart = new Chart(document.getElementById('prob-chart'), {
    type: 'bar',
    data: {
      labels: codes.map((c) => names[c] || c),
      datasets: [
        {
          label: 'Probability',
          data: values.map((v) => v * 100),
          backgroundColor: colours,
          borderColor: '#0b3a6b',
          borderWidth: 1,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { min: 0, max: 100, title: { display: true, text: 'Probability (%)' } },
        // Full class names when there is room, the short codes on a phone.
        y: {
          ticks: {
            autoSkip: false,
            callback(value) {
              return this.chart.width < 520 ? codes[value] : this.getLabelForValue(value);
            },
          },
        },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => `${ctx.parsed.x.toFixed(1)}%` } },
      },
    },
  });
}

function renderImages(s, notLesion = false) {
  const photo = document.getElementById('photo');
  const heatmap = document.getElementById('heatmap');
  const caption = document.getElementById('heatmap-caption');
  if (s.image && s.image.url) photo.src = s.image.url;
  if (s.image && s.image.width) setText('photo-size', `(${s.image.width}×${s.image.height} ${s.image.format || ''})`);
  if (s.heatmap_url && !notLesion) {
    heatmap.closest('figure').classList.add('loading-img');
    heatmap.addEventListener('load', () => heatmap.closest('figure').classList.remove('loading-img'));
    heatmap.addEventListener('error', () => {
      heatmap.closest('figure').classList.remove('loading-img');
      heatmap.hidden = true;
      fill(caption, 'The Grad-CAM overlay could not be made for this photo.');
    });
    heatmap.src = s.heatmap_url;
  }
}

function renderPeople(s) {
  const dl = document.getElementById('people');
  const row = (term, value) => [el('dt', { text: term }), el('dd', { text: value || '—' })];
  dl.replaceChildren(
    ...row('Patient', s.patient && s.patient.name),
    ...row('Patient WhatsApp', s.patient && s.patient.phone),
    ...row('Doctor', s.doctor && s.doctor.name),
    ...row('Doctor WhatsApp', s.doctor && s.doctor.phone),
    ...row('Photo SHA-256', s.image && s.image.sha256),
  );
}

const DECISION_KIND = {
  diagnosis: 'The most likely class reached the confidence threshold, so it is named.',
  no_disease: 'No class reached the confidence threshold and the malignancy risk is low.',
  inconclusive:
    'No class reached the confidence threshold and the malignancy risk is not low enough to rule out disease.',
  not_a_lesion:
    'This photo does not look like a dermatoscopic photo of a skin lesion, so no disease is named and nothing was sent. Retake the photo: one lesion, close up, in focus, filling most of the frame.',
};

async function renderAll(s) {
  const r = s.result || {};
  document.title = `${r.words || 'Screening'} · ${s.reference || ''} · SkinScan`;
  setText('reference', s.reference || `#${s.id}`);
  const time = document.getElementById('created-at');
  time.dateTime = s.created_at || '';
  fill(time, when(s.created_at));
  const words = document.getElementById('decision-words');
  words.setAttribute('data-decision', r.decision || '');
  document.getElementById('screening').setAttribute('data-decision', r.decision || '');
  fill(words, r.words || r.decision_text || '—');
  const notLesion = r.decision === 'not_a_lesion';
  // What the confidence is of ("76% melanoma"), never a bare percentage under the heading.
  document.getElementById('confidence-line').hidden = notLesion;
  setText('confidence', r.confidence_text || `${percent(r.confidence, 0)} ${r.name || ''}`.trim());
  setText('confidence-meaning', r.confidence_meaning || '');
  document.getElementById('confidence-meaning').hidden = !r.confidence_meaning || notLesion;
  setText('decision-kind', DECISION_KIND[r.decision] || '');
  if (r.refer) {
    const banner = document.getElementById('refer-banner');
    banner.hidden = false;
    setText(
      'refer-text',
      r.decision === 'inconclusive'
        ? `The model is not confident about this lesion and the estimated malignancy risk is ${percent(r.malignancy_risk)}: a dermatologist should review it.`
        : `The estimated malignancy risk is ${percent(r.malignancy_risk)}. Arrange a dermatologist's examination of this lesion.`,
    );
  }
  if (notLesion) {
    // No disease named: the class probabilities and the overlay are not shown at all.
    for (const sel of ['#prob-section', '#heatmap-figure']) document.querySelector(sel).hidden = true;
    setText('images-title', 'Photo');
    document.getElementById('retake').hidden = false;
  }
  setText('malignancy-risk', percent(r.malignancy_risk));
  setText('result-disclaimer', r.disclaimer || 'Screening aid, not a diagnosis.');
  const model = r.model || {};
  setText('model-version', [model.name, model.version].filter(Boolean).join(' ') || '—');
  renderDeliveries(s);
  renderImages(s, notLesion);
  renderPeople(s);
  document.getElementById('loading').hidden = true;
  document.getElementById('screening-body').hidden = false;
  if (!notLesion) await renderProbabilities(r);
  document.getElementById('screening').setAttribute('aria-busy', 'false');
  // Move focus to the decision so a screen reader announces it (the heading is focusable).
  words.focus();
}

function pollLater(delay) {
  setTimeout(poll, delay);
}

async function poll() {
  const elapsed = Date.now() - started;
  const note = document.getElementById('poll-note');
  try {
    const s = await api(`/api/v1/screenings/${id}`);
    renderDeliveries(s);
    if (allSettled(s)) {
      fill(note, '');
      return;
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return;
    // A network blip: keep trying on the normal schedule.
  }
  if (elapsed > STOP_AFTER_MS) {
    fill(note, 'Stopped checking for updates; reload the page to check again.');
    return;
  }
  fill(note, 'Checking for delivery updates…');
  pollLater(elapsed > SLOW_AFTER_MS ? SLOW_POLL_MS : POLL_MS);
}

async function main() {
  if (!id) {
    showPageMessage('No screening number in the address.');
    document.getElementById('loading').hidden = true;
    return;
  }
  let s;
  try {
    s = await api(`/api/v1/screenings/${id}`);
  } catch (err) {
    document.getElementById('loading').hidden = true;
    if (err instanceof ApiError && err.status === 404) {
      const h = document.createElement('h1');
      h.textContent = 'Screening not found';
      document.getElementById('screening').prepend(h);
      showPageMessage(`Screening ${id} was not found.`);
    }
    else if (!(err instanceof ApiError && err.status === 401))
      showPageMessage('Could not load this screening: ' + err.message);
    return;
  }
  await renderAll(s);
  if (!allSettled(s)) {
    fill(document.getElementById('poll-note'), 'Checking for delivery updates…');
    pollLater(POLL_MS);
  }
}

main();
