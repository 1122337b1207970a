// Browser.LoginFlow: with SKINSCAN_API_TOKEN set, a page asks for sign-in (302 to
// /login?next=...), a wrong token is refused at the field, the right one sets the session and
// goes back to the page asked for.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { assertNoProblems, launchBrowser, newPage, run, screenshot, startServer } from './harness.mjs';

await run('Browser.LoginFlow', async () => {
  const token = crypto.randomBytes(16).toString('hex');
  const server = await startServer({ env: { SKINSCAN_API_TOKEN: token } });
  const browser = await launchBrowser();
  const page = await newPage(browser);

  await page.goto(server.url + '/history');
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(new URL(page.url()).searchParams.get('next'), '/history');

  await page.fill('#token', 'wrong-' + token);
  await page.click('#login-submit');
  await page.waitForSelector('#token[aria-invalid="true"]');
  assert.match(await page.textContent('#token-error'), /not valid/);
  await screenshot(page, 'login-refused');

  await page.fill('#token', token);
  await Promise.all([page.waitForURL(/\/history$/), page.click('#login-submit')]);
  await page.waitForSelector('#result-count:not(:empty)');
  assert.match(await page.textContent('#result-count'), /0 screenings/);
  const session = (await page.context().cookies()).find((c) => c.name === 'skinscan_session');
  assert.ok(session && session.httpOnly, 'HttpOnly session cookie');

  // The expected 401 of the refused token is the only console line allowed.
  page.problems = page.problems.filter((p) => !/status of 401/.test(p));
  assertNoProblems(page, 'login');
});
