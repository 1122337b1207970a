// Browser.DecisionPages (issue 11): one real photo per decision, picked by asking the real
// server (POST /api/v1/classify stores nothing) among the shared test images, then screened
// through the form at 1366x900 and 390x844. Each result page heads with its decision's words,
// says what the confidence is of ("76% melanoma") and how often the model is right at that
// confidence, refers exactly when the API says so and never words a referral "No disease";
// focus moves to the decision. A photo that is not a lesion keeps the form and asks to retake,
// names no disease and sends nothing. Screenshots of the form, every decision's result page and
// the history at both sizes go to build/test-artifacts/.
import assert from 'node:assert/strict';
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

const WORDS = {
  no_disease: /^No disease detected$/,
  inconclusive: /^Inconclusive — needs a dermatologist's review$/,
  diagnosis: / — (a common mole, benign|benign|a skin cancer, see a dermatologist|pre-cancerous or early skin cancer, see a dermatologist)$/,
  not_a_lesion: /^Not a skin-lesion photo — please retake the photo$/,
};

async function classify(server, file) {
  const form = new FormData();
  form.append('image', new Blob([fs.readFileSync(file)], { type: 'image/jpeg' }), path.basename(file));
  const r = await fetch(server.url + '/api/v1/classify', { method: 'POST', body: form });
  assert.equal(r.status, 200, `classify ${file}`);
  return (await r.json()).result;
}

// The first photo of each decision among the full-size samples, then the test rows.
async function photosByDecision(server) {
  const split = fs.readFileSync(path.join(paths.sharedDir, 'ham10000', 'reference_split.csv'), 'utf8');
  const testRows = split
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .filter((f) => f[3] === 'test')
    .map((f) => path.join(paths.sharedDir, 'ham10000', 'images', f[0] + '.jpg'));
  const candidates = [...Array(9).keys()].map((i) => samplePhoto(i)).concat(testRows);
  const found = { not_a_lesion: path.join(paths.sharedDir, 'not-lesions', 'chart-pie.jpeg') };
  for (const file of candidates) {
    if (found.diagnosis && found.no_disease && found.inconclusive) break;
    const r = await classify(server, file);
    if (!found[r.decision]) found[r.decision] = file;
  }
  for (const d of ['diagnosis', 'no_disease', 'inconclusive']) assert.ok(found[d], `a photo with decision ${d}`);
  return found;
}

async function fillForm(page, photo, patient) {
  await page.setInputFiles('#image', photo);
  await eventually(
    () => page.$eval('#image-preview-img', (img) => img.complete && img.naturalWidth > 0),
    'image preview',
  );
  await page.fill('#patient_name', patient);
  await page.fill('#patient_phone', '(415) 555-2671');
  await page.fill('#doctor_name', 'Dr. Amara Singh');
  await page.fill('#doctor_phone', '+14155550124');
}

async function checkResultPage(page, server, decision) {
  await page.waitForSelector('#screening[aria-busy="false"]');
  const id = Number(/\/screenings\/(\d+)$/.exec(page.url())[1]);
  const { body } = await getJson(server, `/api/v1/screenings/${id}`);
  const r = body.result;
  assert.equal(r.decision, decision);
  const words = (await page.textContent('#decision-words')).trim();
  assert.equal(words, r.words);
  assert.match(words, WORDS[decision]);
  assert.equal(await page.locator('#refer-banner').isVisible(), r.refer === true, 'refer banner iff refer');
  if (r.refer) assert.doesNotMatch(words, /No disease/i, 'a referral is never worded "No disease"');
  if (decision === 'inconclusive') assert.equal(r.refer, true, 'inconclusive always refers');
  if (decision === 'no_disease') assert.equal(r.refer, false);
  if (decision !== 'not_a_lesion') {
    const conf = (await page.textContent('#confidence')).trim();
    assert.equal(conf, r.confidence_text);
    assert.match(conf, new RegExp(`^${Math.round(r.confidence * 100)}% [a-z]`), 'e.g. "76% melanoma"');
    assert.match(await page.textContent('#confidence-meaning'), /right \d+% of the time/);
  } else {
    assert.equal(await page.locator('#confidence-line').isVisible(), false, 'no confidence of a class');
    assert.equal(await page.locator('#prob-section').isVisible(), false, 'no class probabilities');
    const text = await page.textContent('#screening');
    for (const name of ['Melanoma', 'nevus', 'carcinoma', 'keratosis', 'Dermatofibroma', 'Vascular'])
      assert.ok(!text.includes(name), `names no disease (${name})`);
    assert.equal(body.notifications.length, 0, 'nothing sent');
    assert.match(await page.textContent('#no-reports'), /nothing is sent/);
  }
  // The decision is announced: focus moved to it.
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'decision-words');
  return id;
}

await run('Browser.DecisionPages', async () => {
  // No rate limit: the photo search may classify many candidates.
  const server = await startServer({ env: { SKINSCAN_RATE_LIMIT: '0' } });
  const browser = await launchBrowser();
  const photos = await photosByDecision(server);
  console.log('photos by decision:', JSON.stringify(photos));

  for (const [width, height, tag] of [
    [1366, 900, '1366x900'],
    [390, 844, '390x844'],
  ]) {
    const page = await newPage(browser, { width, height });
    for (const decision of ['diagnosis', 'no_disease', 'inconclusive']) {
      await page.goto(server.url + '/');
      await fillForm(page, photos[decision], `Patient ${decision} ${tag}`);
      if (decision === 'diagnosis') await screenshot(page, `form-${tag}`);
      await Promise.all([page.waitForURL(/\/screenings\/\d+$/), page.click('#submit')]);
      await checkResultPage(page, server, decision);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scrollWidth <= width, `result page is ${scrollWidth} px wide at ${width}`);
      await screenshot(page, `result-${decision}-${tag}`);
    }
    // Not a lesion: the form asks to retake; the kept attempt's page names no disease.
    await page.goto(server.url + '/');
    await fillForm(page, photos.not_a_lesion, `Patient not a lesion ${tag}`);
    await page.click('#submit');
    await page.waitForSelector('#page-message[data-retake="true"]');
    assert.match(await page.textContent('#image-error'), /Retake the photo/);
    await screenshot(page, `form-retake-${tag}`);
    await Promise.all([page.waitForURL(/\/screenings\/\d+$/), page.click('#page-message a')]);
    await checkResultPage(page, server, 'not_a_lesion');
    await screenshot(page, `result-not_a_lesion-${tag}`);

    await page.goto(server.url + '/history');
    await page.waitForSelector('#history-table tbody tr[data-id]');
    for (const row of await page.locator('#history-table tbody tr[data-id]').all()) {
      const text = await row.textContent();
      if (/Refer/.test(text)) assert.doesNotMatch(text, /No disease/, 'history: a referral is never "No disease"');
    }
    await screenshot(page, `history-${tag}`);
    assertNoProblems(page, `decision pages at ${tag}`);
  }
});
