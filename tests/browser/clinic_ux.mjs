// Browser.ClinicUx (issue 11): each clinic UX defect of the issue, checked the way a user meets
// it. Every check failed on the code before the fix.
//  1. "(415) 555-2671" passes the form's check; with SKINSCAN_DEFAULT_REGION=GB the hint names
//     the United Kingdom and "07911 123456" is accepted and stored as +447911123456.
//  2. The first click on "Screen photo" is not lost when leaving an invalid field adds an error.
//  3. "WhatsApp not configured" is a neutral state with what to do, in the result and history.
//  4. Drag-and-drop, paste and example photos fill the photo field; a camera input on phones;
//     the file button is at least 44 px high at 390x844.
//  5. History finds a screening by its reference, filters by decision and referral, shows
//     thumbnails.
//  6. Unknown routes and unknown screenings are pages with a heading, not raw JSON / a blank.
//  7. A sign-out control when login is on; the login hint names no environment variable.
//  8. The nav does not say "History" on a result just created; no developer path on Insights or
//     the model card; no clipped bar (log scale, 100% bars); age by class as small multiples.
//  9. Focus moves to the decision when a result loads.
// 10. A result page prints on one A4 page.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  assertNoProblems,
  eventually,
  getJson,
  launchBrowser,
  newPage,
  paths,
  run,
  samplePhoto,
  screenshot,
  startServer,
} from './harness.mjs';

async function fill(page, { phone = '+14155550123', photo = samplePhoto(5) } = {}) {
  if (photo) await page.setInputFiles('#image', photo);
  await page.fill('#patient_name', 'Grace Okafor');
  await page.fill('#patient_phone', phone);
  await page.fill('#doctor_name', 'Dr. Lee');
  await page.fill('#doctor_phone', '+14155550124');
}

async function submitToResult(page) {
  await Promise.all([page.waitForURL(/\/screenings\/\d+$/), page.click('#submit')]);
  await page.waitForSelector('#screening[aria-busy="false"]');
  return Number(/\/screenings\/(\d+)$/.exec(page.url())[1]);
}

// Bars of a Chart.js chart: every bar has a visible height and stays inside the chart area.
async function barsInside(page, selector) {
  return page.$eval(selector, (canvas) => {
    const chart = window.Chart.getChart(canvas);
    const area = chart.chartArea;
    const bad = [];
    chart.data.datasets.forEach((d, di) => {
      chart.getDatasetMeta(di).data.forEach((bar, i) => {
        if (!(Number(d.data[i]) > 0)) return;
        const top = Math.min(bar.y, bar.base);
        const bottom = Math.max(bar.y, bar.base);
        if (bottom - top < 1 || top <= area.top) bad.push(`${chart.data.labels[i]}:${d.data[i]}`);
      });
    });
    return bad;
  });
}

await run('Browser.ClinicUx', async () => {
  const server = await startServer({ env: { SKINSCAN_DEFAULT_REGION: 'GB' } });
  const browser = await launchBrowser();
  const page = await newPage(browser, { width: 1366, height: 900 });

  // 1. Phone numbers: the US national format passes the client check; the hint names the
  //    clinic's region and a national UK number is accepted.
  await page.goto(server.url + '/');
  await eventually(
    async () => (await page.getAttribute('#patient_phone-hint', 'data-region')) === 'GB',
    'the region hint',
  );
  const hint = await page.textContent('#patient_phone-hint');
  assert.match(hint, /United Kingdom/);
  assert.match(hint, /07911 123456/);
  await page.fill('#patient_phone', '(415) 555-2671');
  await page.locator('#patient_phone').blur();
  assert.equal(await page.locator('#patient_phone-error').isVisible(), false, '"(415) 555-2671" passes');
  await fill(page, { phone: '07911 123456' });
  const first = await submitToResult(page);
  assert.equal((await getJson(server, `/api/v1/screenings/${first}`)).body.patient.phone, '+447911123456');

  // 9. Focus on the decision; 8. the nav does not call a new result "History".
  assert.equal(await page.evaluate(() => document.activeElement.id), 'decision-words');
  assert.equal(await page.locator('nav.site-nav a[aria-current="page"]').count(), 0, 'no nav item is current');

  // 3. Not configured: neutral, with what to do.
  const overall = page.locator('#overall');
  assert.match(await overall.textContent(), /Not configured/);
  assert.match((await overall.getAttribute('class')) || '', /tone-neutral/);
  assert.equal(await page.locator('#deliveries .tone-bad, #deliveries .tone-warn').count(), 0, 'no red or amber');
  assert.match(await page.textContent('#delivery-help'), /administrator.*Twilio/);

  // 10. Print: one A4 page.
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width: 718, height: 1030 }); // A4 less 12 mm margins, at 96 dpi
  await screenshot(page, 'result-print-media');
  await page.setViewportSize({ width: 1366, height: 900 });
  const pdf = await page.pdf({ format: 'A4', printBackground: false });
  fs.mkdirSync(paths.artifactsDir, { recursive: true });
  fs.writeFileSync(path.join(paths.artifactsDir, 'browser-result-print-a4.pdf'), pdf);
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.equal(pages, 1, `the result prints on ${pages} A4 page(s)`);
  await page.emulateMedia({ media: 'screen' });

  // 2. The first click counts: leaving an invalid phone adds its error line above the button
  //    between mouse-down and mouse-up; the submit still runs (every empty field is flagged).
  await page.goto(server.url + '/');
  await page.setInputFiles('#image', samplePhoto(5));
  await eventually(
    () => page.$eval('#image-preview-img', (img) => img.complete && img.naturalWidth > 0),
    'image preview',
  );
  await page.fill('#patient_name', 'Grace Okafor');
  await page.fill('#patient_phone', 'abc');
  await page.locator('#submit').scrollIntoViewIfNeeded();
  await page.focus('#patient_phone');
  const box = await page.locator('#submit').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.up();
  await page.waitForSelector('#doctor_name-error:not([hidden])');
  assert.equal(await page.getAttribute('#doctor_phone', 'aria-invalid'), 'true', 'the click ran the checks');

  // 4. Drop, paste, examples.
  await page.goto(server.url + '/');
  const dropped = await page.evaluate(async () => {
    const blob = await (await fetch('/static/examples/example-2.jpg')).blob();
    const dt = new DataTransfer();
    dt.items.add(new File([blob], 'dropped.jpg', { type: 'image/jpeg' }));
    const zone = document.getElementById('drop-zone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    return document.getElementById('image').files[0] && document.getElementById('image').files[0].name;
  });
  assert.equal(dropped, 'dropped.jpg', 'a dropped photo fills the field');
  await page.waitForSelector('#image-preview:not([hidden])');
  const pasted = await page.evaluate(async () => {
    const blob = await (await fetch('/static/examples/example-3.jpg')).blob();
    const dt = new DataTransfer();
    dt.items.add(new File([blob], 'pasted.jpg', { type: 'image/jpeg' }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    return document.getElementById('image').files[0].name;
  });
  assert.equal(pasted, 'pasted.jpg', 'a pasted photo fills the field');
  await page.goto(server.url + '/');
  assert.equal(await page.locator('#examples button.example').count(), 3);
  await page.click('#examples button.example >> nth=0');
  await page.waitForSelector('#image-preview:not([hidden])');
  await eventually(
    () => page.$eval('#image-preview-img', (img) => img.complete && img.naturalWidth > 0),
    'example preview',
  );
  await fill(page, { photo: null });
  const fromExample = await submitToResult(page);
  assert.ok(fromExample > first, 'an example photo is screened');
  assertNoProblems(page, 'form and result');

  // 4. Phones: a camera input and a 44 px file button.
  const phoneContext = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 1,
  });
  const phone = await phoneContext.newPage();
  await phone.goto(server.url + '/');
  assert.equal(await phone.getAttribute('#camera', 'capture'), 'environment');
  assert.match(await phone.getAttribute('#camera', 'accept'), /image/);
  assert.ok(await phone.locator('#camera-label').isVisible(), 'a "Take a photo" button on a phone');
  const fileBox = await phone.locator('#image').boundingBox();
  assert.ok(fileBox.height >= 44, `file button ${fileBox.height} px high`);
  // The viewport only: a full-page capture of a mobile context re-lays the page out without
  // the touch pointer, hiding the camera button in the picture.
  await phone.screenshot({ path: path.join(paths.artifactsDir, 'browser-form-phone-camera-390x844.png') });
  await phoneContext.close();

  // 5. History: reference search, filters, thumbnails; 3. no red rows when not configured.
  await page.goto(server.url + '/history');
  await page.waitForSelector('#history-table tbody tr[data-id]');
  assert.equal(await page.locator('#history-table td[data-label="WhatsApp"] .tone-bad').count(), 0, 'no red WhatsApp badge');
  await eventually(
    () => page.$eval('#history-table tbody tr[data-id] img.thumb', (img) => img.complete && img.naturalWidth > 0),
    'a thumbnail',
  );
  const ref = `SS-${String(first).padStart(6, '0')}`;
  await page.fill('#query', ref);
  await page.press('#query', 'Enter');
  await page.waitForSelector(`#result-count:has-text("1 screening match “${ref}”")`);
  assert.equal(await page.getAttribute('#history-table tbody tr[data-id]', 'data-id'), String(first));
  await page.fill('#query', '');
  await page.press('#query', 'Enter');
  const firstDecision = (await getJson(server, `/api/v1/screenings/${first}`)).body.result.decision;
  await page.selectOption('#filter-decision', firstDecision);
  await eventually(async () => new URL(page.url()).searchParams.get('decision') === firstDecision, 'filter in the URL');
  await page.waitForSelector('#history-table[aria-busy="false"]');
  for (const d of await page.$$eval('#history-table tbody tr[data-id]', (rows) => rows.map((r) => r.dataset.decision)))
    assert.equal(d, firstDecision);
  await page.selectOption('#filter-decision', 'not_a_lesion');
  await page.waitForSelector('#history-table tbody td.empty');
  await page.selectOption('#filter-decision', '');
  await page.selectOption('#filter-refer', 'true');
  await page.waitForSelector('#history-table[aria-busy="false"]');
  await screenshot(page, 'history-filters');
  // 8. From the history, a result belongs to History.
  await page.selectOption('#filter-refer', '');
  await page.waitForSelector('#history-table tbody tr[data-id]');
  await Promise.all([
    page.waitForURL(/\/screenings\/\d+$/),
    page.click('#history-table tbody tr[data-id] td[data-label="Reference"] a >> nth=0'),
  ]);
  assert.equal(await page.getAttribute('nav.site-nav a[aria-current="page"]', 'href'), '/history');

  // 6. Pages, not JSON.
  for (const [url, heading] of [
    ['/no/such/page', /Page not found/],
    ['/screenings/99999', /Screening not found/],
  ]) {
    const response = await page.goto(server.url + url);
    assert.equal(response.status(), 404, url);
    assert.match(response.headers()['content-type'], /text\/html/);
    assert.match(await page.textContent('h1'), heading);
  }
  // The two expected 404 responses are the only console lines allowed.
  page.problems = page.problems.filter((p) => !/status of 404/.test(p));

  // 8. Insights and model card: no developer path, no clipped bar, small multiples.
  await page.goto(server.url + '/insights');
  await page.waitForSelector('#charts[aria-busy="false"]');
  assert.doesNotMatch(await page.textContent('main'), /\.\.\/|shared\/data/, 'no developer path on Insights');
  assert.deepEqual(await barsInside(page, '#chart-lesion'), [], 'log-scale bars');
  assert.equal(await page.locator('#age-class-grid canvas').count(), 7, 'one small chart per class');
  await screenshot(page, 'insights-1366x900');
  await page.goto(server.url + '/model');
  await page.waitForSelector('#model-card[aria-busy="false"]');
  assert.doesNotMatch(await page.textContent('main'), /\.\.\/|shared\/data/, 'no developer path on the model card');
  assert.deepEqual(await barsInside(page, '#chart-perclass'), [], 'per-class bars (100% ones too)');
  // The model card shows the decision table and the share of malignant lesions worded
  // "No disease", from model.json.
  const card = await (await fetch(server.url + '/api/v1/model')).json();
  const t = card.metrics.test.decisions;
  assert.equal(await page.locator('#decisions-table tbody tr').count(), 7);
  assert.match(
    await page.textContent('#decision-summary'),
    new RegExp(`${t.malignant_no_disease} of ${t.malignant}`),
  );
  assert.match(await page.textContent('#low-risk-rule'), /No disease detected/);
  assertNoProblems(page, 'history, insights and model card');

  // 7. Login: no environment variable in the hint; a sign-out control.
  const token = crypto.randomBytes(16).toString('hex');
  const locked = await startServer({ env: { SKINSCAN_API_TOKEN: token } });
  const login = await newPage(browser);
  await login.goto(locked.url + '/history');
  assert.doesNotMatch(await login.textContent('#token-hint'), /SKINSCAN_|environment/);
  await login.fill('#token', token);
  await Promise.all([login.waitForURL(/\/history$/), login.click('#login-submit')]);
  await login.waitForSelector('#sign-out:visible');
  await Promise.all([login.waitForURL(/\/login/), login.click('#sign-out')]);
  await login.goto(locked.url + '/history');
  assert.equal(new URL(login.url()).pathname, '/login', 'signed out');
});
