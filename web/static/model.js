// The model card, read from GET /api/v1/model (the loaded model's model.json): architecture,
// version, data and split fingerprints, metrics with 95% CIs, per-class figures, confusion
// matrix, calibration, decision threshold and refer rule, not-a-lesion detector, training.
import { api, ApiError, chartLib, el, fill, number, percent, showPageMessage, PALETTE } from './common.js';

function facts(dlId, rows) {
  const dl = document.getElementById(dlId);
  dl.replaceChildren(
    ...rows
      .filter(([, value]) => value !== undefined && value !== null && value !== '')
      .flatMap(([term, value]) => [el('dt', { text: term }), el('dd', { text: String(value) })]),
  );
}

function withCi(value, ci) {
  const main = percent(value);
  return Array.isArray(ci) && ci.length === 2 ? `${main} [${percent(ci[0])} – ${percent(ci[1])}]` : main;
}

function head(table, cells) {
  table.tHead.replaceChildren(
    el('tr', {}, ...cells.map((c, i) => el('th', { scope: 'col', class: i ? 'num' : null, text: c }))),
  );
}

function renderMetrics(m) {
  const table = document.getElementById('metrics-table');
  const parts = ['validation', 'test'].filter((p) => m[p]);
  head(table, ['Metric', ...parts.map((p) => `${p[0].toUpperCase()}${p.slice(1)} (n = ${m[p].n})`)]);
  const rows = [
    ['Accuracy', (x) => withCi(x.accuracy, x.accuracy_ci95)],
    ['Balanced accuracy (mean recall)', (x) => withCi(x.balanced_accuracy, x.balanced_accuracy_ci95)],
    ['Macro F1', (x) => percent(x.macro_f1)],
    ['Weighted F1', (x) => percent(x.weighted_f1)],
    ['Macro AUC (one vs rest)', (x) => (x.auc_ovr ? number(x.auc_ovr.macro) : '—')],
    ['Melanoma recall', (x) => (x.per_class && x.per_class.mel ? percent(x.per_class.mel.recall) : '—')],
    ['ECE (after calibration)', (x) => number(x.ece_after_calibration ?? x.ece)],
  ];
  table.tBodies[0].replaceChildren(
    ...rows.map(([label, f]) =>
      el(
        'tr',
        {},
        el('th', { scope: 'row', text: label }),
        ...parts.map((p) => el('td', { class: 'num', text: f(m[p]) })),
      ),
    ),
  );
}

function renderPerClass(test, names) {
  const table = document.getElementById('perclass-table');
  const order = test.class_order || Object.keys(test.per_class || {});
  head(table, ['Class', 'Precision', 'Recall', 'F1', 'AUC', 'Support']);
  table.tBodies[0].replaceChildren(
    ...order.map((c) => {
      const x = (test.per_class || {})[c] || {};
      return el(
        'tr',
        {},
        el('th', { scope: 'row', text: `${names[c] || c} (${c})` }),
        el('td', { class: 'num', text: percent(x.precision) }),
        el('td', { class: 'num', text: percent(x.recall) }),
        el('td', { class: 'num', text: percent(x.f1) }),
        el('td', { class: 'num', text: test.auc_ovr ? number(test.auc_ovr[c]) : '—' }),
        el('td', { class: 'num', text: String(x.support ?? '—') }),
      );
    }),
  );
  const Chart = chartLib();
  if (!Chart) return;
  const series = [
    ['Precision', 'precision'],
    ['Recall', 'recall'],
    ['F1', 'f1'],
  ];
  new Chart(document.getElementById('chart-perclass'), {
    type: 'bar',
    data: {
      labels: order,
      datasets: series.map(([label, key], i) => ({
        label,
        data: order.map((c) => 100 * (((test.per_class || {})[c] || {})[key] || 0)),
        backgroundColor: PALETTE[i],
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      // max 105: a 100% bar (vasc recall) is drawn whole, not clipped by the chart's top edge.
      scales: { y: { min: 0, max: 105, ticks: { stepSize: 20, callback: (v) => (v <= 100 ? v : '') }, title: { display: true, text: '%' } } },
      plugins: {
        legend: { position: 'top' },
        tooltip: {
          callbacks: {
            title: (items) => names[order[items[0].dataIndex]] || '',
            label: (ctx) => `${ctx.dataset.label}: ${ctx.parsed.y.toFixed(1)}%`,
          },
        },
      },
    },
  });
}

function renderConfusion(test) {
  const table = document.getElementById('confusion-table');
  const order = test.class_order || [];
  const cm = test.confusion_matrix || [];
  table.tHead.replaceChildren(
    el(
      'tr',
      {},
      el('th', { scope: 'col', text: 'True \\ predicted' }),
      ...order.map((c) => el('th', { scope: 'col', class: 'num', text: c })),
    ),
  );
  const max = Math.max(1, ...cm.flat());
  table.tBodies[0].replaceChildren(
    ...cm.map((row, i) =>
      el(
        'tr',
        {},
        el('th', { scope: 'row', text: order[i] || String(i) }),
        ...row.map((n, j) => {
          // Shade in five steps (a class name, so no inline style); the number stays the cue.
          const step = n === 0 ? 0 : Math.min(4, Math.ceil((4 * n) / max));
          return el('td', { class: `num shade-${step}${i === j ? ' diag' : ''}`, text: String(n) });
        }),
      ),
    ),
  );
}

const DECISIONS = [
  ['diagnosis', 'Diagnosis named'],
  ['no_disease', 'No disease detected'],
  ['inconclusive', 'Inconclusive'],
  ['not_a_lesion', 'Not a lesion'],
];

function renderDecisions(t, names) {
  const section = document.getElementById('decisions-title').closest('section');
  if (!t || !t.counts) {
    section.hidden = true;
    return;
  }
  const share = (a, b) => (b ? `${a} of ${b} (${percent(a / b, 1)})` : '—');
  facts('decision-summary', [
    ['Malignant worded "No disease detected"', share(t.malignant_no_disease, t.malignant)],
    ['Referral sensitivity (malignant referred)', share(t.malignant_referred, t.malignant)],
    ['Benign referred', share(t.benign_referred, t.benign)],
  ]);
  const table = document.getElementById('decisions-table');
  head(table, ['True class', ...DECISIONS.map(([, label]) => label)]);
  table.tBodies[0].replaceChildren(
    ...Object.entries(t.counts).map(([c, row]) =>
      el(
        'tr',
        { 'data-code': c },
        el('th', { scope: 'row', text: `${names[c] || c} (${c})` }),
        ...DECISIONS.map(([d]) => el('td', { class: 'num', 'data-decision': d, text: String(row[d] ?? 0) })),
      ),
    ),
  );
}

function render(m) {
  const names = Object.fromEntries((m.classes || []).map((c) => [c.code, c.name]));
  document.title = `Model card: ${m.name || ''} · SkinScan`;
  document.getElementById('loading').hidden = true;
  document.getElementById('model-body').hidden = false;
  fill(
    document.getElementById('class-list'),
    (m.classes || []).map((c) => `${c.name} (${c.code}${c.malignant ? ', malignant' : ''})`).join('; '),
  );
  const decision = m.decision || {};
  fill(
    document.getElementById('threshold-rule'),
    `Decision rule: the most likely class is named only when its calibrated confidence is at least ${percent(decision.threshold, 0)}; a benign class is said to be benign, a malignant one refers.`,
  );
  const op = decision.operating_point || {};
  const opVal = op.validation || {};
  fill(
    document.getElementById('low-risk-rule'),
    `Below that confidence the answer is "No disease detected" only when the malignancy risk is under ${percent(decision.no_disease_max_risk, 1)}` +
      (op.fitted_on
        ? ` (fitted on the ${op.fitted_on} images so that at most ${percent(op.max_malignant_share, 0)} of the malignant ones are worded so: ${opVal.malignant_no_disease} of ${opVal.malignant})`
        : ' (a conservative default: this model has no fitted operating point)') +
      '; otherwise it is "Inconclusive — needs a dermatologist\'s review", which always refers.',
  );
  fill(
    document.getElementById('refer-rule'),
    `Refer rule: "refer to a dermatologist" is raised when the malignancy risk (the summed probability of the malignant classes) is at least ${percent(decision.refer_malignancy_risk, 0)}.`,
  );
  facts('overview', [
    ['Name', m.name],
    ['Version', m.version],
    ['Architecture', m.arch + (m.about ? ` — ${m.about}` : '')],
    [
      'Input',
      m.preprocessing
        ? `${m.preprocessing.width}×${m.preprocessing.height} ${m.preprocessing.channels || ''}`
        : undefined,
    ],
    ['Decision threshold', percent(decision.threshold, 0)],
    ['Refer when malignancy risk ≥', percent(decision.refer_malignancy_risk, 0)],
    ['"No disease detected" only when malignancy risk <', percent(decision.no_disease_max_risk, 1)],
  ]);
  const d = m.data || {};
  facts('data-facts', [
    ['Dataset', 'HAM10000 (dermatoscopic images, 7 classes)'],
    ['Dataset fingerprint', d.dataset_fingerprint],
    ['Split fingerprint', d.split_fingerprint],
    // The file name only: a path on the machine that trained the model means nothing here.
    ['Split source', d.split_source ? String(d.split_source).split(/[\\/]/).pop() : undefined],
    [
      'Images: train / validation / test',
      [d.train_images, d.val_images, d.test_images].every((x) => x !== undefined)
        ? `${d.train_images} / ${d.val_images} / ${d.test_images}`
        : undefined,
    ],
    ['Split rule', 'Lesion-grouped (all images of a lesion on one side), class-stratified, seeded'],
    [
      'Training images per class',
      Array.isArray(d.train_class_counts)
        ? (m.classes || []).map((c, i) => `${c.code} ${d.train_class_counts[i]}`).join(', ')
        : undefined,
    ],
  ]);
  const metrics = m.metrics || {};
  renderMetrics(metrics);
  if (metrics.test) {
    renderPerClass(metrics.test, names);
    renderConfusion(metrics.test);
  }
  renderDecisions(metrics.test && metrics.test.decisions, names);
  const cal = m.calibration || {};
  const v = metrics.validation || {};
  const t = metrics.test || {};
  facts('calibration', [
    ['Method', cal.method],
    ['Temperature', number(cal.temperature, 4)],
    ['Class-prior adjustment', cal.prior_adjustment],
    ['ECE before → after (validation)', `${number(v.ece_before_calibration)} → ${number(v.ece_after_calibration)}`],
    ['ECE before → after (test)', `${number(t.ece_before_calibration)} → ${number(t.ece_after_calibration)}`],
  ]);
  const det = m.lesion_detector || {};
  facts('detector', [
    ['Method', det.method],
    ['Threshold percentile', det.percentile !== undefined ? percent(det.percentile, 0) : undefined],
    ['Threshold', number(det.threshold, 1)],
    [
      'Real lesions rejected (validation / test)',
      det.method ? `${percent(det.val_false_rejection)} / ${percent(det.test_false_rejection)}` : undefined,
    ],
    ['Photo check (colour and texture)', (m.photo_check || {}).method],
    [
      'Photo check: real lesions rejected (validation / test)',
      m.photo_check
        ? `${percent(m.photo_check.val_false_rejection)} / ${percent(m.photo_check.test_false_rejection)}`
        : undefined,
    ],
    [
      'Real test lesions rejected by either check',
      det.test_false_rejection_with_photo_check !== undefined
        ? percent(det.test_false_rejection_with_photo_check)
        : undefined,
    ],
  ]);
  const tr = m.training || {};
  const minutes = (secs) => `${(secs / 60).toFixed(0)} min`;
  if (Array.isArray(tr.members)) {
    // An ensemble: one line per member network, then the combined training time.
    facts('training', [
      ['Method', tr.method],
      ...tr.members.map((mem, i) => {
        const t = mem.training || {};
        const v = mem.validation || {};
        return [
          `Member ${i + 1}: ${mem.arch}`,
          [
            mem.version,
            t.epochs !== undefined ? `${t.epochs} epochs (best ${t.best_epoch})` : undefined,
            t.optimizer ? `${t.optimizer}, ${t.schedule}, lr ${t.lr}, weight decay ${t.weight_decay}` : undefined,
            t.balance ? `imbalance: ${t.balance}` : undefined,
            t.seed !== undefined ? `seed ${t.seed}` : undefined,
            t.wall_seconds ? minutes(t.wall_seconds) : undefined,
            v.accuracy !== undefined
              ? `validation accuracy ${percent(v.accuracy)}, balanced ${percent(v.balanced_accuracy)}`
              : undefined,
          ]
            .filter((x) => x !== undefined)
            .join('; '),
        ];
      }),
      ['Training time', tr.wall_seconds ? `${minutes(tr.wall_seconds)} on ${tr.device || '?'} (all members)` : undefined],
    ]);
  } else {
    facts('training', [
      ['Epochs (best)', tr.epochs !== undefined ? `${tr.epochs} (${tr.best_epoch})` : undefined],
      [
        'Optimizer, schedule',
        tr.optimizer ? `${tr.optimizer}, ${tr.schedule}, lr ${tr.lr}, weight decay ${tr.weight_decay}` : undefined,
      ],
      ['Batch size', tr.batch_size],
      ['Imbalance method', tr.balance],
      ['Label smoothing', tr.label_smoothing],
      [
        'Augmentation',
        tr.augment === undefined ? undefined : tr.augment ? 'flips, rotation, scale/shift, colour jitter' : 'none',
      ],
      ['Seed', tr.seed],
      ['Backbone', tr.backbone || undefined],
      ['Training time', tr.wall_seconds ? `${minutes(tr.wall_seconds)} on ${tr.device || '?'}` : undefined],
    ]);
  }
  document.getElementById('model-card').setAttribute('aria-busy', 'false');
}

async function main() {
  try {
    render(await api('/api/v1/model'));
  } catch (err) {
    document.getElementById('loading').hidden = true;
    if (!(err instanceof ApiError && err.status === 401))
      showPageMessage('Could not load the model card: ' + err.message);
  }
}

main();
