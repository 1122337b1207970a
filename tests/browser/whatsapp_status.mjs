// Browser.WhatsAppStatusLive: with Twilio configured against a fake Twilio on 127.0.0.1, the
// result page shows each recipient's delivery status and follows it without a reload:
// queued (Twilio's 201), then signed status callbacks move the patient's report to sent and
// delivered and the doctor's to failed with Twilio's code and reason; overall goes from
// "Success" to "Failed".
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import {
  assertNoProblems,
  eventually,
  launchBrowser,
  newPage,
  onCleanup,
  run,
  samplePhoto,
  screenshot,
  startServer,
} from './harness.mjs';

const SID = 'AC' + crypto.randomBytes(16).toString('hex');
const TOKEN = crypto.randomBytes(16).toString('hex');
const FROM = 'whatsapp:+14155238886';
const PUBLIC_URL = 'https://skinscan.invalid';

// A Twilio-compatible fake: checks Basic auth and the form fields, answers 201 queued.
function startFakeTwilio() {
  const messages = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const expected = 'Basic ' + Buffer.from(`${SID}:${TOKEN}`).toString('base64');
      const path = `/2010-04-01/Accounts/${SID}/Messages.json`;
      const reply = (status, json) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.method !== 'POST' || req.url !== path)
        return reply(404, { code: 20404, message: 'not found', status: 404 });
      if (req.headers.authorization !== expected)
        return reply(401, { code: 20003, message: 'Authenticate', status: 401 });
      const form = Object.fromEntries(new URLSearchParams(body));
      if (!/^whatsapp:\+\d{8,15}$/.test(form.To || '') || form.From !== FROM || !(form.Body || form.ContentSid)) {
        return reply(400, { code: 21211, message: `bad fields ${JSON.stringify(form)}`, status: 400 });
      }
      const sid = 'SM' + crypto.randomBytes(16).toString('hex');
      messages.push({ sid, form });
      reply(201, { sid, status: 'queued', to: form.To, from: form.From, account_sid: SID });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      onCleanup(() => new Promise((r) => server.close(r)));
      resolve({ base: `http://127.0.0.1:${server.address().port}`, messages });
    });
  });
}

function signature(url, params) {
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join('');
  return crypto.createHmac('sha1', TOKEN).update(data, 'utf8').digest('base64');
}

// Posts a status callback the way Twilio does (signed over the StatusCallback URL).
async function callback(server, message, params) {
  const url = message.form.StatusCallback || server.url + '/twilio/status';
  const all = { AccountSid: SID, MessageSid: message.sid, ...params };
  const r = await fetch(server.url + '/twilio/status', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature(url, all) },
    body: new URLSearchParams(all).toString(),
  });
  assert.ok(r.status >= 200 && r.status < 300, `status callback answered ${r.status}`);
}

async function statusOf(page, who) {
  return page.getAttribute(`#deliveries li[data-recipient="${who}"]`, 'data-status');
}

await run('Browser.WhatsAppStatusLive', async () => {
  const twilio = await startFakeTwilio();
  const server = await startServer({
    env: {
      TWILIO_ACCOUNT_SID: SID,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_WHATSAPP_FROM: FROM,
      TWILIO_API_BASE: twilio.base,
      SKINSCAN_PUBLIC_URL: PUBLIC_URL,
    },
  });
  assert.ok(!server.log().includes(TOKEN), 'the auth token is not printed');
  const browser = await launchBrowser();
  const page = await newPage(browser);
  await page.goto(server.url + '/');
  await page.setInputFiles('#image', samplePhoto(2));
  await page.fill('#patient_name', 'Mei Chen 陈美');
  await page.fill('#patient_phone', '+14155550123');
  await page.fill('#doctor_name', 'Dr. Omar Haddad');
  await page.fill('#doctor_phone', '+14155550124');
  await Promise.all([page.waitForURL(/\/screenings\/\d+$/), page.click('#submit')]);
  await page.waitForSelector('#screening[aria-busy="false"]');
  // A marker that a reload would wipe out.
  await page.evaluate(() => {
    window.__noReload = true;
  });

  // The background sender posts both messages; the page shows Twilio's "queued".
  await eventually(
    async () => (await statusOf(page, 'patient')) === 'queued' && (await statusOf(page, 'doctor')) === 'queued',
    'both queued on the page',
  );
  assert.equal(twilio.messages.length, 2, 'one message per recipient');
  const byTo = Object.fromEntries(twilio.messages.map((m) => [m.form.To, m]));
  const patientMsg = byTo['whatsapp:+14155550123'];
  const doctorMsg = byTo['whatsapp:+14155550124'];
  assert.ok(patientMsg && doctorMsg, 'messages to both numbers');
  assert.match(patientMsg.form.Body || '', /Mei Chen 陈美/, 'the report names the patient');
  assert.match(patientMsg.form.Body || '', /Screening aid, not a diagnosis/i);
  assert.match(await page.textContent('#overall'), /Success/);
  await screenshot(page, 'whatsapp-queued');

  // Twilio's callbacks advance the rows; the page follows by polling.
  await callback(server, patientMsg, { MessageStatus: 'sent' });
  await eventually(async () => (await statusOf(page, 'patient')) === 'sent', 'patient sent on the page');
  await callback(server, patientMsg, { MessageStatus: 'delivered' });
  await callback(server, doctorMsg, {
    MessageStatus: 'failed',
    ErrorCode: '63016',
    ErrorMessage: 'Outside the allowed window',
  });
  await eventually(async () => (await statusOf(page, 'patient')) === 'delivered', 'patient delivered on the page');
  await eventually(async () => (await statusOf(page, 'doctor')) === 'failed', 'doctor failed on the page');
  const doctorText = await page.textContent('#deliveries li[data-recipient="doctor"]');
  assert.match(doctorText, /63016/, 'the failure shows Twilio code');
  assert.match(await page.textContent('#overall'), /Failed/);
  assert.equal(
    await page.evaluate(() => window.__noReload === true && performance.getEntriesByType('navigation').length),
    1,
    'no reload happened',
  );
  await screenshot(page, 'whatsapp-final');
  assertNoProblems(page, 'result page');
});
