// Shared harness of the browser tests: starts a real `skinscan serve` on 127.0.0.1 (port 0,
// fresh SQLite file and data dir), drives Debian's Chromium through playwright-core, collects
// console errors (CSP violations included) and page errors, saves screenshots, and stops the
// server by its PID at the end.
//
// Command line of every test script (passed by tests/browser/CMakeLists.txt):
//   node <test>.mjs <skinscan binary> <source dir> <shared data dir> <artifacts dir>
// Exit status: 0 passed, 1 failed, 77 skipped (CTest SKIP_RETURN_CODE).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SKIP = 77;
const [binary, sourceDir, sharedDir, artifactsDir] = process.argv.slice(2);
if (!binary || !sourceDir || !sharedDir || !artifactsDir) {
  console.error('usage: node test.mjs <skinscan> <source dir> <shared data dir> <artifacts dir>');
  process.exit(2);
}
export const paths = { binary, sourceDir, sharedDir, artifactsDir };
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Safety nets against hangs only (never a performance assertion).
const READY_TIMEOUT_MS = 180_000;
export const UI_TIMEOUT_MS = 60_000;

// A full-size sample photo from the shared data (sorted, so the choice is stable).
export function samplePhoto(index = 0) {
  const dir = path.join(sharedDir, 'full-size-samples');
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort();
  if (!files.length) throw new Error(`no JPEG in ${dir}`);
  return path.join(dir, files[index % files.length]);
}

function loadPlaywright() {
  const require = createRequire(path.resolve(sourceDir, 'web', 'package.json'));
  try {
    return require('playwright-core');
  } catch (err) {
    throw new Error(`playwright-core is not installed in ${sourceDir}/web (run scripts/setup): ${err.message}`);
  }
}

export function tempDir(prefix = 'skinscan-browser-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const cleanups = [];
// Registers `fn` to run (last registered first) when the test ends, however it ends.
export function onCleanup(fn) {
  cleanups.push(fn);
}

async function cleanupAll() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      console.error('cleanup:', err.message);
    }
  }
}

// Starts `skinscan serve --port 0` with its own DB and data dir; resolves once /readyz is 200.
// `env` is added to the environment (the SKINSCAN_* / TWILIO_* variables of the caller are
// removed first so the test sees only what it sets).
export async function startServer({ env = {}, args = [] } = {}) {
  // Development only: SKINSCAN_BROWSER_TEST_URL points the pages at a server already running.
  if (process.env.SKINSCAN_BROWSER_TEST_URL) {
    return { url: process.env.SKINSCAN_BROWSER_TEST_URL, pid: 0, dir: '', log: () => '', stop: async () => null };
  }
  const dir = tempDir();
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SKINSCAN_|TWILIO_)/.test(k)));
  const child = spawn(
    binary,
    [
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--db',
      path.join(dir, 's.db'),
      '--data-dir',
      path.join(dir, 'data'),
      ...args,
    ],
    { env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let exitInfo = null;
  exited.then((info) => {
    exitInfo = info;
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`server printed no URL in ${READY_TIMEOUT_MS} ms:\n${log}`)),
      READY_TIMEOUT_MS,
    );
    child.stdout.on('data', (chunk) => {
      out += chunk;
      log += chunk;
      const m = /SkinScan listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr.on('data', (chunk) => {
      log += chunk;
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (code ${code}, signal ${signal}) before listening:\n${log}`));
    });
  });
  const server = {
    url,
    pid: child.pid,
    dir,
    log: () => log,
    async stop() {
      if (exitInfo) return exitInfo;
      process.kill(child.pid, 'SIGTERM');
      const killer = setTimeout(() => {
        if (!exitInfo) process.kill(child.pid, 'SIGKILL');
      }, 20_000);
      const info = await exited;
      clearTimeout(killer);
      return info;
    },
  };
  onCleanup(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      const r = await fetch(url + '/readyz');
      if (r.status === 200) break;
    } catch {
      // not yet accepting
    }
    if (exitInfo) throw new Error(`server exited before ready:\n${log}`);
    if (Date.now() > deadline) throw new Error(`server not ready in ${READY_TIMEOUT_MS} ms:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return server;
}

// Launches Debian's Chromium headless (fresh profile) and registers its closing.
export async function launchBrowser() {
  const { chromium } = loadPlaywright();
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (Debian package chromium)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  onCleanup(() => browser.close());
  return browser;
}

// A page with console-error, page-error and CSP collectors: `page.problems` lists each one.
export async function newPage(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  page.problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console error on ${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.problems.push(`page error on ${page.url()}: ${err.message}`));
  // CSP violations also reach the console, but listen for the event itself too.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  return page;
}

export function assertNoProblems(page, what = '') {
  if (page.problems.length) {
    throw new Error(`console/page errors${what ? ' on ' + what : ''}:\n  ${page.problems.join('\n  ')}`);
  }
}

export async function screenshot(page, name) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `browser-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}

// GET <url><api> as JSON from node (not through the page).
export async function getJson(server, api) {
  const r = await fetch(server.url + api, { headers: { Accept: 'application/json' } });
  const body = await r.json();
  return { status: r.status, body };
}

// Polls `fn` until it returns a truthy value (safety timeout only).
export async function eventually(fn, what, timeoutMs = UI_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what} (last: ${last && last.message ? last.message : JSON.stringify(last)})`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Runs the test body; reports and exits with 0 / 1 / 77.
export async function run(name, body) {
  const started = Date.now();
  let code = 0;
  try {
    const result = await body();
    if (result === SKIP) code = SKIP;
  } catch (err) {
    code = 1;
    console.error(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
  }
  await cleanupAll();
  if (code === 0) console.log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  else if (code === SKIP) console.log(`SKIP ${name}`);
  process.exit(code);
}

// Marks the test skipped with a reason (exit 77 after cleanup).
export function skip(reason) {
  console.log(`skipped: ${reason}`);
  return SKIP;
}
