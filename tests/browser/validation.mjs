// Browser.FormValidation: errors appear next to their fields and nothing is stored.
//  - empty submit: every field says what is missing (aria-invalid, aria-describedby), no request;
//  - a phone that is not one ("abc"): its field error, client side, no request;
//  - a phone shaped like one that libphonenumber refuses: the server's 422 errors[] lands at
//    that field; the database stays empty;
//  - a file named .png that is not an image: the server's 415 (or 422) shows at the image field;
//  - a POST without the CSRF token: 403, and the page says to reload.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  assertNoProblems,
  eventually,
  getJson,
  launchBrowser,
  newPage,
  run,
  samplePhoto,
  screenshot,
  startServer,
  tempDir,
  onCleanup,
} from './harness.mjs';

async function fieldError(page, field) {
  const input = page.locator('#' + field);
  const error = page.locator(`#${field}-error`);
  return {
    invalid: await input.getAttribute('aria-invalid'),
    describedBy: (await input.getAttribute('aria-describedby')) || '',
    visible: await error.isVisible(),
    text: ((await error.textContent()) || '').trim(),
  };
}

await run('Browser.FormValidation', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  const page = await newPage(browser);
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push(r.url());
  });
  await page.goto(server.url + '/');

  // 1. Empty form: all five fields flagged, focus on the first, nothing sent.
  await page.click('#submit');
  for (const f of ['image', 'patient_name', 'patient_phone', 'doctor_name', 'doctor_phone']) {
    const e = await fieldError(page, f);
    assert.equal(e.invalid, 'true', `${f} aria-invalid`);
    assert.ok(e.visible && e.text.length > 0, `${f} shows an error`);
    assert.ok(e.describedBy.split(' ').includes(`${f}-error`), `${f} is described by its error`);
  }
  assert.equal(await page.evaluate(() => document.activeElement.id), 'image', 'focus moves to the first invalid field');
  assert.equal(posts.length, 0, 'no request for an empty form');

  // 2. Client-side phone check: letters.
  await page.setInputFiles('#image', samplePhoto(0));
  await page.fill('#patient_name', 'Ana Lima');
  await page.fill('#patient_phone', 'abc');
  await page.fill('#doctor_name', 'Dr. José Pérez');
  await page.fill('#doctor_phone', '+14155550124');
  await page.click('#submit');
  let e = await fieldError(page, 'patient_phone');
  assert.equal(e.invalid, 'true');
  assert.match(e.text, /digits/);
  for (const f of ['image', 'patient_name', 'doctor_name', 'doctor_phone']) {
    assert.equal((await fieldError(page, f)).invalid, null, `${f} is valid`);
  }
  assert.equal(await page.evaluate(() => document.activeElement.id), 'patient_phone');
  assert.equal(posts.length, 0, 'no request while a field is invalid on the client');
  await screenshot(page, 'invalid-phone-client');

  // Typing a fix clears the error live.
  await page.fill('#patient_phone', '+1 415 555 0123');
  e = await fieldError(page, 'patient_phone');
  assert.equal(e.invalid, null);
  assert.equal(e.visible, false);

  // 3. Server-side check: shaped like a number but not a valid one (US 555-01xx is valid, a
  //    leading 0 area code is not).
  await page.fill('#patient_phone', '+1 015 555 0123');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/screenings') && r.request().method() === 'POST'),
    page.click('#submit'),
  ]);
  assert.equal(response.status(), 422, 'server refuses the number');
  const body = await response.json();
  assert.ok(
    body.errors.some((x) => x.field === 'patient_phone' && x.code === 'invalid_phone'),
    JSON.stringify(body),
  );
  await page.waitForSelector('#patient_phone[aria-invalid="true"]');
  e = await fieldError(page, 'patient_phone');
  assert.ok(e.visible && e.text.length > 0, 'server error shown at the field');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'patient_phone');
  assert.ok(await page.locator('#submit').isEnabled(), 'the form is usable again');
  assert.equal(new URL(page.url()).pathname, '/', 'still on the form');
  await screenshot(page, 'invalid-phone-server');

  // 4. A text file named .png: the server sniffs the content and refuses it at the image field.
  const dir = tempDir();
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fake = path.join(dir, 'not-an-image.png');
  fs.writeFileSync(fake, 'this is plain text, not a PNG\n'.repeat(20));
  await page.setInputFiles('#image', fake);
  await page.fill('#patient_phone', '+14155550123');
  const [bad] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/screenings') && r.request().method() === 'POST'),
    page.click('#submit'),
  ]);
  assert.ok([415, 422].includes(bad.status()), `bad image answered ${bad.status()}`);
  await page.waitForSelector('#image[aria-invalid="true"]');
  e = await fieldError(page, 'image');
  assert.ok(e.visible && e.text.length > 0, 'image error shown at the image field');
  assert.equal((await fieldError(page, 'patient_phone')).invalid, null);

  // 5. The CSRF cookie is gone (another cookie still sent): the server refuses with 403 and the
  //    page says to reload; nothing is stored.
  const context = page.context();
  await context.clearCookies();
  await context.addCookies([{ name: 'unrelated', value: '1', url: server.url }]);
  await page.setInputFiles('#image', samplePhoto(0));
  const [forbidden] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/screenings') && r.request().method() === 'POST'),
    page.click('#submit'),
  ]);
  assert.equal(forbidden.status(), 403);
  await page.waitForSelector('#page-message:not([hidden])');
  assert.match(await page.textContent('#page-message'), /security token/);

  // Nothing was stored by any of these attempts.
  const list = await getJson(server, '/api/v1/screenings');
  assert.equal(list.status, 200);
  assert.equal(list.body.total, 0, 'no screening stored');
  await eventually(async () => page.locator('#submit').isEnabled(), 'form enabled');

  // The console shows only the expected failed-request lines for the 422/415 answers.
  page.problems = page.problems.filter(
    (p) => !/Failed to load resource: the server responded with a status of (403|415|422)/.test(p),
  );
  assertNoProblems(page, 'form');
});
