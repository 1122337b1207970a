// Browser.ScreeningFlow: fill the form with a full-size sample photo, submit, and see the result
// page (decision in words, what the confidence is of, 7 probability bars, photo and Grad-CAM
// overlay loaded, "not set up" for both recipients, overall "Not configured", disclaimer); then
// the history lists the screening and its search finds it by name and by number. Screenshots at
// desktop and phone (375x812) sizes. A photo that is not a lesion is not screened: the form asks
// to retake it and nothing is sent.
import assert from 'node:assert/strict';
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

// Every decision's words (screen/decision.cc): a class says benign or refers; below the
// threshold "No disease detected" only at low risk, otherwise "Inconclusive".
const WORDS = new Set([
  'Actinic keratosis / intraepithelial carcinoma — pre-cancerous or early skin cancer, see a dermatologist',
  'Basal cell carcinoma — a skin cancer, see a dermatologist',
  'Benign keratosis — benign',
  'Dermatofibroma — benign',
  'Melanoma — a skin cancer, see a dermatologist',
  'Melanocytic nevus — a common mole, benign',
  'Vascular lesion — benign',
  'No disease detected',
  "Inconclusive — needs a dermatologist's review",
  'Not a skin-lesion photo — please retake the photo',
]);
const PATIENT = 'Zoë Okonkwo-Brandt';
const PATIENT_PHONE = '+14155550123';
const DOCTOR = 'Dr. Amara Singh';
const DOCTOR_PHONE = '+14155550124';

async function fillForm(page, photo) {
  await page.setInputFiles('#image', photo);
  await page.waitForSelector('#image-preview:not([hidden]) img');
  await eventually(
    () => page.$eval('#image-preview-img', (img) => img.complete && img.naturalWidth > 0),
    'image preview',
  );
  await page.fill('#patient_name', PATIENT);
  await page.fill('#patient_phone', PATIENT_PHONE);
  await page.fill('#doctor_name', DOCTOR);
  await page.fill('#doctor_phone', DOCTOR_PHONE);
}

// Checks the result page against the stored screening (GET /api/v1/screenings/{id}).
async function checkResult(page, server) {
  await page.waitForSelector('#screening[aria-busy="false"]');
  const id = Number(/\/screenings\/(\d+)$/.exec(page.url())[1]);
  const api = await getJson(server, `/api/v1/screenings/${id}`);
  assert.equal(api.status, 200);
  const result = api.body.result;
  const words = (await page.textContent('#decision-words')).trim();
  assert.ok(WORDS.has(words), `decision words "${words}" are not one of the allowed phrases`);
  assert.equal(words, result.words);
  const confidence = (await page.textContent('#confidence')).trim();
  assert.equal(confidence, result.confidence_text, 'what the confidence is of');
  assert.match(confidence, /^\d{1,3}% [a-z]/, 'e.g. "76% melanoma"');
  if (result.refer) assert.doesNotMatch(words, /No disease/, 'a referral is never worded "No disease"');
  // The refer flag is shown exactly when the result raises it.
  assert.equal(await page.locator('#refer-banner').isVisible(), result.refer === true, 'refer banner iff result.refer');
  if (result.refer) assert.match(await page.textContent('#refer-banner'), /Refer to a dermatologist/);

  // 7 bars: the chart's data and the accessible table.
  const bars = await page.$eval('#prob-chart', (canvas) => {
    const chart = window.Chart && window.Chart.getChart(canvas);
    return chart ? chart.data.datasets[0].data.length : -1;
  });
  assert.equal(bars, 7, 'probability chart has 7 bars');
  assert.equal(await page.locator('#prob-table tbody tr').count(), 7, 'probability table has 7 rows');
  const canvasBox = await page.locator('#prob-chart').boundingBox();
  assert.ok(canvasBox && canvasBox.width > 100 && canvasBox.height > 100, 'chart is drawn at a visible size');

  // Photo and Grad-CAM overlay both loaded.
  for (const sel of ['#photo', '#heatmap']) {
    await eventually(() => page.$eval(sel, (img) => img.complete && img.naturalWidth > 0), `${sel} loaded`);
  }
  const heatmapSrc = await page.getAttribute('#heatmap', 'src');
  assert.match(heatmapSrc, /\/heatmap\.png$/);

  // Both recipients: not configured, said plainly, a neutral state with what to do.
  const deliveries = page.locator('#deliveries li.delivery');
  assert.equal(await deliveries.count(), 2, 'two recipients');
  for (const who of ['patient', 'doctor']) {
    const item = page.locator(`#deliveries li[data-recipient="${who}"]`);
    assert.equal(await item.getAttribute('data-status'), 'not_configured', `${who} status`);
    assert.match(await item.textContent(), /Not sent: WhatsApp is not set up/);
  }
  assert.equal((await page.textContent('#overall')).replace(/[^A-Za-z ]/g, '').trim(), 'Not configured');

  // Disclaimer on the page header and in the result; model version.
  assert.ok(await page.locator('#site-disclaimer').isVisible());
  assert.match(await page.textContent('#site-disclaimer'), /Screening aid, not a diagnosis/);
  assert.match(await page.textContent('#result-disclaimer'), /Screening aid, not a diagnosis/i);
  assert.match(await page.textContent('#model-version'), new RegExp(result.model.version));
  return { id, words, result, body: api.body };
}

await run('Browser.ScreeningFlow', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  // Sorted samples: 5 is confidently a diagnosis (a class name), 7 raises the refer flag.
  const photo = samplePhoto(5);

  // Desktop: form, submit, result.
  const page = await newPage(browser);
  await page.goto(server.url + '/');
  assert.match(await page.textContent('h1'), /New screening/);
  const csrf = (await page.context().cookies()).find((c) => c.name === 'skinscan_csrf');
  assert.ok(csrf && /^[0-9a-f]{32}$/.test(csrf.value), 'the page set the CSRF cookie');
  await fillForm(page, photo);
  await screenshot(page, 'form-desktop');
  await Promise.all([page.waitForURL(/\/screenings\/\d+$/), page.click('#submit')]);
  const { id, words, body } = await checkResult(page, server);
  console.log(
    `screening ${id}: ${words}, confidence ${(await page.textContent('#confidence')).trim()}, refer ${body.result.refer}`,
  );
  assert.equal(body.patient.name, PATIENT);
  assert.equal(body.doctor.phone, DOCTOR_PHONE);
  await screenshot(page, 'result-desktop');
  assertNoProblems(page, 'form and result');

  // History lists it; search by name part, by phone digits; a miss shows the empty state.
  await page.click('nav.site-nav a[href="/history"]');
  await page.waitForSelector(`#history-table tbody tr[data-id="${id}"]`);
  assert.match(await page.textContent(`#history-table tbody tr[data-id="${id}"]`), new RegExp(PATIENT));
  for (const query of ['okonkwo', '4155550123']) {
    await page.fill('#query', query);
    await page.press('#query', 'Enter');
    // Wait for this search's answer (the URL changes before the list does).
    await page.waitForSelector(`#result-count:has-text("1 screening match “${query}”")`);
    await page.waitForSelector(`#history-table tbody tr[data-id="${id}"]`);
    assert.equal(await page.locator('#history-table tbody tr[data-id]').count(), 1);
    assert.equal(new URL(page.url()).searchParams.get('query'), query, 'the search is in the address');
  }
  await page.fill('#query', 'nobody-by-this-name');
  await page.press('#query', 'Enter');
  await page.waitForSelector('#history-table tbody td.empty');
  await screenshot(page, 'history-desktop');
  await page.goBack();
  await page.waitForSelector(`#history-table tbody tr[data-id="${id}"]`);
  await Promise.all([
    page.waitForURL(new RegExp(`/screenings/${id}$`)),
    page.click(`#history-table tbody tr[data-id="${id}"] td a >> nth=0`),
  ]);
  await page.waitForSelector('#screening[aria-busy="false"]');
  assertNoProblems(page, 'history');

  // Phone-sized screen: the form and the result fit 375 px without sideways scrolling.
  const phone = await newPage(browser, { width: 375, height: 812 });
  await phone.goto(server.url + '/');
  await fillForm(phone, samplePhoto(7));
  const formWidth = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(formWidth <= 375, `form page is ${formWidth} px wide at a 375 px viewport`);
  await screenshot(phone, 'form-phone');
  await Promise.all([phone.waitForURL(/\/screenings\/\d+$/), phone.click('#submit')]);
  const second = await checkResult(phone, server);
  console.log(`screening ${second.id}: ${second.words}, refer ${second.result.refer}`);
  const resultWidth = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(resultWidth <= 375, `result page is ${resultWidth} px wide at a 375 px viewport`);
  await screenshot(phone, 'result-phone');
  await phone.goto(server.url + '/history');
  await phone.waitForSelector('#history-table tbody tr[data-id]');
  assert.equal(await phone.locator('#history-table tbody tr[data-id]').count(), 2, 'history lists both screenings');
  const firstId = Number(await phone.getAttribute('#history-table tbody tr[data-id] >> nth=0', 'data-id'));
  assert.ok(firstId > id, 'newest first');
  await screenshot(phone, 'history-phone');
  assertNoProblems(phone, 'phone pages');

  // A photo that is not a skin lesion (a pie chart): the form asks to retake it, names no
  // disease, and the attempt is in the history for audit with nothing sent.
  await page.goto(server.url + '/');
  await fillForm(page, path.join(paths.sharedDir, 'not-lesions', 'chart-pie.jpeg'));
  await page.click('#submit');
  await page.waitForSelector('#page-message[data-retake="true"]');
  assert.equal(new URL(page.url()).pathname, '/', 'still on the form');
  assert.match(await page.textContent('#image-error'), /does not look like a skin lesion.*Retake/);
  assert.equal(await page.inputValue('#patient_name'), PATIENT, 'the people are kept');
  const auditHref = await page.getAttribute('#page-message a', 'href');
  const audit = await getJson(server, '/api/v1' + auditHref);
  assert.equal(audit.body.result.decision, 'not_a_lesion');
  assert.equal(audit.body.notifications.length, 0, 'no WhatsApp to anyone');
  await screenshot(page, 'form-retake');
  assertNoProblems(page, 'not-a-lesion retake');
});
