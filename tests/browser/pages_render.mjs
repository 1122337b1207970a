// Browser.PagesRender: every page has the nav and the disclaimer and loads without a console
// error or CSP violation; the insights page draws its 7 Chart.js charts from the EDA JSON and
// they answer a hover; the model card fills its metrics, per-class and confusion tables and
// chart from model.json; the keyboard reaches the nav and the form.
import assert from 'node:assert/strict';
import { assertNoProblems, eventually, launchBrowser, newPage, run, screenshot, startServer } from './harness.mjs';

const INSIGHT_CHARTS = [
  'chart-classes',
  'chart-sex',
  'chart-age',
  'chart-localization',
  'chart-lesion',
  'chart-dxtype',
  // Age by class: small multiples, one chart per class (issue 11).
  'chart-age-akiec',
  'chart-age-nv',
];

async function chartInfo(page, id) {
  return page.$eval('#' + id, (canvas) => {
    const chart = window.Chart && window.Chart.getChart(canvas);
    if (!chart) return null;
    const r = canvas.getBoundingClientRect();
    return {
      type: chart.config.type,
      labels: chart.data.labels.length,
      datasets: chart.data.datasets.length,
      points: chart.data.datasets.reduce((n, d) => n + d.data.length, 0),
      sum: chart.data.datasets.reduce((n, d) => n + d.data.reduce((a, b) => a + (Number(b) || 0), 0), 0),
      width: r.width,
      height: r.height,
    };
  });
}

await run('Browser.PagesRender', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  const page = await newPage(browser);

  for (const path of ['/', '/history', '/insights', '/model', '/login']) {
    const response = await page.goto(server.url + path);
    assert.equal(response.status(), 200, path);
    const csp = response.headers()['content-security-policy'] || '';
    assert.match(csp, /script-src 'self'/, `${path} has the CSP header`);
    assert.equal(await page.locator('nav.site-nav a').count(), 4, `${path} nav`);
    // The sign-out control exists but stays hidden without a login.
    assert.equal(await page.locator('#sign-out').isVisible(), false, `${path} no sign-out without login`);
    assert.ok(await page.locator('#site-disclaimer').isVisible(), `${path} disclaimer visible`);
    assert.match(await page.textContent('#site-disclaimer'), /Screening aid, not a diagnosis/);
    // The HTML as served: no inline script, style element or style attribute (CSP forbids them).
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/i, `${path} has no inline script`);
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, `${path} has no inline style or handler`);
  }

  // Insights: 7 charts with data from the EDA JSON (class counts sum to the image count).
  await page.goto(server.url + '/insights');
  await page.waitForSelector('#charts[aria-busy="false"]');
  const eda = await (await fetch(server.url + '/api/v1/insights')).json();
  for (const id of INSIGHT_CHARTS) {
    const info = await chartInfo(page, id);
    assert.ok(info, `${id} is a Chart.js chart`);
    assert.ok(
      info.points > 0 && info.width > 100 && info.height > 100,
      `${id} drawn with data: ${JSON.stringify(info)}`,
    );
  }
  assert.equal((await chartInfo(page, 'chart-classes')).sum, eda.images, 'class counts add up to the images');
  assert.equal((await chartInfo(page, 'chart-classes')).labels, 7);
  assert.equal((await chartInfo(page, 'chart-localization')).datasets, 3, 'localization stacked by 3 sexes');
  // Interactive: hovering a bar shows Chart.js's tooltip.
  const box = await page.locator('#chart-classes').boundingBox();
  const tooltip = await page.$eval('#chart-classes', (canvas) => {
    const chart = window.Chart.getChart(canvas);
    const el = chart.getDatasetMeta(0).data[5]; // nv, the tallest bar
    return { x: el.x, y: el.y + 5 };
  });
  await page.mouse.move(box.x + tooltip.x, box.y + tooltip.y);
  // Chart.js handles pointer events on the next animation frame: wait for the tooltip.
  await eventually(
    () =>
      page.$eval('#chart-classes', (canvas) => window.Chart.getChart(canvas).tooltip.getActiveElements().length > 0),
    'a tooltip on hover',
  );
  await screenshot(page, 'insights-desktop');
  assertNoProblems(page, 'insights');

  // Model card: tables and the per-class chart from model.json.
  await page.goto(server.url + '/model');
  await page.waitForSelector('#model-card[aria-busy="false"]');
  const model = await (await fetch(server.url + '/api/v1/model')).json();
  assert.match(await page.textContent('#overview'), new RegExp(model.version));
  assert.match(await page.textContent('#data-facts'), new RegExp(model.data.split_fingerprint));
  assert.match(
    await page.textContent('#metrics-table'),
    /\[\d+\.\d% – \d+\.\d%\]/,
    'metrics show confidence intervals',
  );
  assert.equal(await page.locator('#perclass-table tbody tr').count(), model.classes.length);
  assert.equal(await page.locator('#confusion-table tbody tr').count(), model.classes.length);
  assert.equal(await page.locator('#confusion-table td.diag').count(), model.classes.length);
  assert.match(await page.textContent('#calibration'), new RegExp(model.calibration.temperature.toFixed(4)));
  const training = await page.textContent('#training');
  if (model.arch === 'ensemble') {
    assert.ok(model.training.members.length >= 2, 'an ensemble lists its members');
    for (const mem of model.training.members) assert.ok(training.includes(mem.version), `member ${mem.version} shown`);
  } else {
    assert.ok(training.includes(`${model.training.epochs} (${model.training.best_epoch})`), 'epochs shown');
  }
  assert.match(await page.textContent('.limits'), /not a diagnosis/i);
  assert.match(await page.textContent('.limits'), /HAM10000/);
  assert.match(await page.textContent('.limits'), /dermatoscopic/i);
  const perClass = await chartInfo(page, 'chart-perclass');
  assert.ok(perClass && perClass.datasets === 3 && perClass.labels === model.classes.length, 'per-class chart');
  await screenshot(page, 'model-desktop');
  assertNoProblems(page, 'model card');

  // Keyboard: skip link first, then the nav; the form fields in order.
  await page.goto(server.url + '/');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '/');
  await page.focus('#patient_name');
  const order = ['patient_name'];
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(() => document.activeElement.id));
  }
  assert.deepEqual(order, ['patient_name', 'patient_phone', 'doctor_name', 'doctor_phone', 'submit']);
  for (const id of ['image', 'patient_name', 'patient_phone', 'doctor_name', 'doctor_phone']) {
    assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `${id} has a label`);
  }
  assertNoProblems(page, 'form');

  // The photo field comes first; the example photos sit between it and the patient's name.
  await page.focus('#image');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'example');

  // An unknown screening is a 404 page with a heading (not a blank result page).
  const missing = await page.goto(server.url + '/screenings/999999');
  assert.equal(missing.status(), 404);
  assert.match(await page.textContent('h1'), /Screening not found/);
});
