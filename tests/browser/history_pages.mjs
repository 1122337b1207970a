// Browser.HistoryPagination: 23 screenings posted through the API (as an API client would,
// without cookies) appear newest first, 20 on page 1 and 3 on page 2; "Older"/"Newer" and the
// browser's Back move between pages (the page lives in the address); a search narrows the
// list and a detail link opens the screening. Markup in a name stays text.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { assertNoProblems, launchBrowser, newPage, run, samplePhoto, screenshot, startServer } from './harness.mjs';

const COUNT = 23;
// The newest patient's name carries markup: it must show as text, never become elements.
const MARKUP = ' <img src=x onerror="window.__xss=1"><b>bold</b>';

async function postScreening(server, n) {
  const form = new FormData();
  const file = samplePhoto(n);
  form.append('image', new Blob([fs.readFileSync(file)], { type: 'image/jpeg' }), 'photo.jpg');
  form.append('patient_name', `Patient ${String(n).padStart(2, '0')}${n === COUNT ? MARKUP : ''}`);
  form.append('patient_phone', `+1415555${String(1000 + n)}`);
  form.append('doctor_name', 'Dr. Ruth Adeyemi');
  form.append('doctor_phone', '+14155550199');
  const r = await fetch(server.url + '/api/v1/screenings', { method: 'POST', body: form });
  const text = await r.text();
  assert.equal(r.status, 201, `screening ${n}: ${text}`);
  return JSON.parse(text).id;
}

async function rowIds(page) {
  return page.$$eval('#history-table tbody tr[data-id]', (rows) => rows.map((r) => Number(r.dataset.id)));
}

await run('Browser.HistoryPagination', async () => {
  // No rate limit here: 23 quick posts from one address would otherwise be throttled.
  const server = await startServer({ args: ['--rate-limit', '0'] });
  const ids = [];
  for (let n = 1; n <= COUNT; n++) ids.push(await postScreening(server, n));
  const newestFirst = [...ids].reverse();

  const browser = await launchBrowser();
  const page = await newPage(browser);
  await page.goto(server.url + '/history');
  await page.waitForSelector('#history-table tbody tr[data-id]');
  assert.deepEqual(await rowIds(page), newestFirst.slice(0, 20), 'page 1: the 20 newest, newest first');
  assert.match(await page.textContent('#result-count'), /23 screenings \(showing 1–20/);
  assert.match(await page.textContent('#page-info'), /Page 1 of 2/);
  assert.ok(await page.locator('#prev-page').isDisabled());
  const newest = page.locator(`#history-table tbody tr[data-id="${ids[COUNT - 1]}"]`);
  assert.ok((await newest.textContent()).includes(MARKUP.trim()), 'markup in a name is shown as text');
  // (The only images are the thumbnails, one per row.)
  assert.equal(await page.locator('#history-table tbody img:not(.thumb), #history-table tbody b').count(), 0, 'no element made');
  assert.equal(await page.evaluate(() => window.__xss), undefined);

  await page.click('#next-page');
  await page.waitForSelector('#page-info:has-text("Page 2 of 2")');
  assert.equal(new URL(page.url()).searchParams.get('page'), '2');
  assert.deepEqual(await rowIds(page), newestFirst.slice(20), 'page 2: the 3 oldest');
  assert.ok(await page.locator('#next-page').isDisabled());
  await screenshot(page, 'history-page2');

  await page.goBack();
  await page.waitForSelector('#page-info:has-text("Page 1 of 2")');
  assert.deepEqual(await rowIds(page), newestFirst.slice(0, 20));

  // Search: the substring "patient 1" (any case) matches Patient 10..19 only.
  await page.fill('#query', 'patient 1');
  await page.press('#query', 'Enter');
  await page.waitForSelector('#result-count:has-text("10 screenings match")');
  const found = await rowIds(page);
  assert.deepEqual(
    found,
    newestFirst.filter((id) => {
      const n = ids.indexOf(id) + 1;
      return n >= 10 && n <= 19;
    }),
  );
  assert.ok(await page.locator('#next-page').isDisabled(), 'one page of results');

  // Detail view from the list.
  await Promise.all([
    page.waitForURL(new RegExp(`/screenings/${found[0]}$`)),
    page.click(`#history-table tbody tr[data-id="${found[0]}"] td a >> nth=0`),
  ]);
  await page.waitForSelector('#screening[aria-busy="false"]');
  assert.match(await page.textContent('#people'), /Patient 19/);
  assertNoProblems(page, 'history');
});
