// Shared helpers for the end-to-end tests: a static server for dist/ on 127.0.0.1 and a
// headless Chromium driven by playwright-core. No network beyond loopback.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = join(ROOT, 'dist');
export const SCREENSHOTS = join(ROOT, 'tests/e2e/screenshots');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
};

/** Serves `dir` on 127.0.0.1 at a free port. Unknown paths get 404 (no SPA fallback needed). */
export async function serveStatic(dir = DIST) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
    if (path.endsWith('/')) path += 'index.html';
    try {
      const body = await readFile(join(dir, path));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Headless Chromium from Debian, with the flags this closed network needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page that fails the test on any uncaught page error. */
export async function openPage(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(url);
  return { page, errors };
}

export async function screenshot(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Starts the project's fake OpenAI-compatible server (target/debug/fake-openai, built by
 * scripts/test.sh) on a free 127.0.0.1 port with `script`, and returns its base URL.
 */
export async function startFakeOpenAI(script) {
  const { spawn } = await import('node:child_process');
  const binary = join(ROOT, 'target/debug/fake-openai');
  const child = spawn(binary, ['--script', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`fake-openai did not start: ${out}`)), 10_000);
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`fake-openai exited with ${code}: ${out}`)));
    child.stdout.on('data', (data) => {
      out += data;
      const match = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) {
        clearTimeout(timer);
        ok(match[1]);
      }
    });
  });
  return {
    baseUrl: `${url}/v1`,
    close: () =>
      new Promise((ok) => {
        child.removeAllListeners('exit');
        child.on('exit', ok);
        child.kill('SIGINT');
      }),
  };
}

/**
 * Everything in the app's IndexedDB database, read from inside the page: store → key → value
 * (JSON text parsed; byte arrays as their length and a checksum).
 */
export async function dumpDatabase(page, name = 'persona-engine') {
  return page.evaluate(async (name) => {
    const request = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    const db = await request(indexedDB.open(name));
    const out = {};
    for (const store of Array.from(db.objectStoreNames)) {
      const tx = db.transaction(store, 'readonly');
      const keys = await request(tx.objectStore(store).getAllKeys());
      const values = await request(tx.objectStore(store).getAll());
      out[store] = {};
      keys.forEach((key, i) => {
        const value = values[i];
        if (value instanceof Uint8Array) {
          let sum = 0;
          for (const byte of value) sum = (sum * 31 + byte) >>> 0;
          out[store][key] = { bytes: value.length, checksum: sum };
        } else {
          // JSON text is compared as data: the same record written twice may order keys differently.
          try { out[store][key] = JSON.parse(value); } catch { out[store][key] = value; }
        }
      });
    }
    db.close();
    return out;
  }, name);
}

/** Waits until a record of `store` in the app's database holds `text` (JSON text records). */
export async function waitForStored(page, store, text, name = 'persona-engine') {
  await page.waitForFunction(async ([store, text, name]) => {
    const request = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    const db = await request(indexedDB.open(name));
    const values = await request(db.transaction(store, 'readonly').objectStore(store).getAll());
    db.close();
    return values.some((v) => typeof v === 'string' && v.includes(text));
  }, [store, text, name], { timeout: 10_000 });
}

/** A database dump without the visitor's unsent text (draft and failed messages are kept
 * apart from the conversation, in `settings` under `draft/…`). */
export function withoutUnsent(dump) {
  const settings = Object.fromEntries(Object.entries(dump.settings ?? {}).filter(([key]) => !key.startsWith('draft/')));
  return { ...dump, settings };
}

/** Waits until the app has loaded its saved state (the transcript says so). */
export async function appReady(page, timeout = 20_000) {
  await page.locator('.transcript[data-loaded="true"]').waitFor({ timeout });
}

/** Types `question`, presses Enter and waits for the committed reply: `{ user, reply, id }`. */
export async function askApp(page, question, timeout = 15_000) {
  await page.fill('#message', question);
  await page.press('#message', 'Enter');
  const user = page.locator('.message.user', { hasText: question }).last();
  const id = await user.getAttribute('data-id');
  const reply = page.locator(`[data-id="${id}/reply"]`);
  await reply.waitFor({ timeout });
  return { user, reply, id };
}
