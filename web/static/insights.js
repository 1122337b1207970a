// Dataset insights: the EDA of the training data (GET /api/v1/insights) as interactive Chart.js
// charts (hover for values, click legend entries to hide or show series).
import { api, ApiError, chartLib, el, fill, showPageMessage, PALETTE } from './common.js';

const charts = {};

function baseOptions(extra = {}) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { display: false } },
    ...extra,
  };
}

function make(id, config) {
  const Chart = chartLib();
  const canvas = document.getElementById(id);
  if (!Chart || !canvas) return null;
  charts[id] = new Chart(canvas, config);
  return charts[id];
}

function binLabel(b) {
  return `${b.from}–${b.to - 1}`;
}

function render(eda) {
  const classes = eda.classes || [];
  const codes = classes.map((c) => c.code);
  const nameOf = Object.fromEntries(classes.map((c) => [c.code, c.name]));
  // The data set's name, not the path on the machine that made the EDA.
  if (eda.source) {
    const name = String(eda.source).split(/[\\/]/).filter(Boolean).pop();
    fill(document.getElementById('insights-source'), `What the model was trained on: ${name}.`);
  }

  const totals = document.getElementById('insight-totals');
  const fact = (term, value) => [el('dt', { text: term }), el('dd', { text: value })];
  totals.replaceChildren(
    ...fact('Images', Number(eda.images || 0).toLocaleString()),
    ...fact('Lesions', Number(eda.lesions || 0).toLocaleString()),
    ...fact('Classes', String(codes.length)),
  );

  // Class counts; malignant classes get a hatched colour and "(malignant)" in the label.
  const counts = eda.class_counts || {};
  make('chart-classes', {
    type: 'bar',
    data: {
      labels: classes.map((c) => `${c.code}${c.malignant ? ' (malignant)' : ''}`),
      datasets: [
        {
          label: 'Images',
          data: codes.map((c) => counts[c] || 0),
          backgroundColor: classes.map((c) => (c.malignant ? PALETTE[4] : PALETTE[0])),
        },
      ],
    },
    options: baseOptions({
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { title: (items) => nameOf[codes[items[0].dataIndex]] || '' } },
      },
    }),
  });

  const sex = eda.sex_counts || {};
  const sexKeys = Object.keys(sex);
  make('chart-sex', {
    type: 'bar',
    data: {
      labels: sexKeys,
      datasets: [
        { label: 'Images', data: sexKeys.map((k) => sex[k]), backgroundColor: sexKeys.map((_, i) => PALETTE[i + 1]) },
      ],
    },
    options: baseOptions(),
  });

  const bins = eda.age_bins || [];
  if (eda.age_unknown)
    fill(document.getElementById('age-note'), `Age unknown for ${eda.age_unknown} images (not shown).`);
  make('chart-age', {
    type: 'bar',
    data: {
      labels: bins.map(binLabel),
      datasets: [
        {
          label: 'Images',
          data: bins.map((b) => b.count),
          backgroundColor: PALETTE[2],
          categoryPercentage: 1,
          barPercentage: 0.95,
        },
      ],
    },
    options: baseOptions({
      scales: { x: { title: { display: true, text: 'Age (years)' } }, y: { title: { display: true, text: 'Images' } } },
    }),
  });

  const loc = eda.localization_by_sex || [];
  const sexes = ['female', 'male', 'unknown'];
  make('chart-localization', {
    type: 'bar',
    data: {
      labels: loc.map((l) => l.localization),
      datasets: sexes.map((s, i) => ({ label: s, data: loc.map((l) => l[s] || 0), backgroundColor: PALETTE[i + 1] })),
    },
    options: baseOptions({
      indexAxis: 'y',
      scales: { x: { stacked: true }, y: { stacked: true, ticks: { autoSkip: false } } },
      plugins: { legend: { display: true, position: 'top' } },
    }),
  });

  const perLesion = eda.images_per_lesion || {};
  const lesionKeys = Object.keys(perLesion).sort((a, b) => Number(a) - Number(b));
  make('chart-lesion', {
    type: 'bar',
    data: {
      labels: lesionKeys.map((k) => `${k} image${k === '1' ? '' : 's'}`),
      datasets: [{ label: 'Lesions', data: lesionKeys.map((k) => perLesion[k]), backgroundColor: PALETTE[5] }],
    },
    options: baseOptions({
      // min 0.5: the smallest bar (1 lesion) starts below it, so no bar is cut to nothing.
      scales: {
        y: {
          type: 'logarithmic',
          min: 0.5,
          ticks: { callback: (v) => ([1, 10, 100, 1000, 10000].includes(v) ? v.toLocaleString() : '') },
          title: { display: true, text: 'Lesions (log scale)' },
        },
      },
    }),
  });

  const dx = eda.dx_type_by_class || {};
  const dxTypes = [...new Set(Object.values(dx).flatMap((m) => Object.keys(m)))].sort();
  make('chart-dxtype', {
    type: 'bar',
    data: {
      labels: codes,
      datasets: dxTypes.map((t, i) => ({
        label: t,
        data: codes.map((c) => (dx[c] && dx[c][t]) || 0),
        backgroundColor: PALETTE[i % PALETTE.length],
      })),
    },
    options: baseOptions({
      scales: { x: { stacked: true }, y: { stacked: true } },
      plugins: { legend: { display: true, position: 'top' } },
    }),
  });

  // Small multiples (one bar chart per class, same y scale) instead of seven overlapping lines.
  const byClass = eda.age_bins_by_class || {};
  const grid = document.getElementById('age-class-grid');
  const shares = Object.fromEntries(
    codes
      .filter((c) => byClass[c])
      .map((c) => {
        const values = byClass[c].counts || [];
        const sum = values.reduce((a, b) => a + b, 0) || 1;
        return [c, values.map((v) => (100 * v) / sum)];
      }),
  );
  const top = Math.ceil(Math.max(1, ...Object.values(shares).flat()) / 5) * 5;
  grid.replaceChildren();
  Object.entries(shares).forEach(([c, data], i) => {
    const canvas = el('canvas', {
      id: `chart-age-${c}`,
      role: 'img',
      'aria-label': `Bar chart of the age distribution of ${nameOf[c] || c}`,
    });
    grid.append(
      el(
        'figure',
        { class: 'multiple', 'data-code': c },
        el('figcaption', { text: `${c} — ${nameOf[c] || ''}` }),
        el('div', { class: 'chart-box chart-small' }, canvas),
      ),
    );
    make(canvas.id, {
      type: 'bar',
      data: {
        labels: bins.map(binLabel),
        datasets: [{ label: c, data, backgroundColor: PALETTE[i % PALETTE.length], categoryPercentage: 1, barPercentage: 0.9 }],
      },
      options: baseOptions({
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 5 } },
          y: { min: 0, max: top, title: { display: true, text: '% of class' } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (ctx) => `${ctx.parsed.y.toFixed(1)}%` } },
        },
      }),
    });
  });
  document.getElementById('charts').setAttribute('aria-busy', 'false');
}

async function main() {
  if (!chartLib()) showPageMessage('The charting library did not load (run scripts/setup to vendor Chart.js).');
  try {
    render(await api('/api/v1/insights'));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404)
      showPageMessage('The loaded model ships no dataset insights (eda.json).', 'info');
    else if (!(err instanceof ApiError && err.status === 401))
      showPageMessage('Could not load the dataset insights: ' + err.message);
    document.getElementById('charts').hidden = true;
  }
}

main();
