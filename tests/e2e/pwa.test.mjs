// The offline-capable app: the build served from a sub-path of a plain static server (no server
// code), the service worker installed on the first visit, a second visit with the network off
// (the app starts, restores everything from IndexedDB and answers with the offline backend), the
// update flow when a new version is deployed, and the offer to answer offline when a configured
// endpoint cannot be reached.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, serveStatic, launchBrowser, openPage, screenshot, appReady, askApp } from './harness.mjs';

let browser;
const cleanups = [];

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const cleanup of cleanups) await cleanup();
});

/** The build copied under `<tmp>/personas/`, served by a static server: the app at `/personas/`. */
async function hostUnderSubPath() {
  const root = await mkdtemp(join(tmpdir(), 'persona-host-'));
  await cp(DIST, join(root, 'personas'), { recursive: true });
  const server = await serveStatic(root);
  cleanups.push(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });
  return { root, url: `${server.url}personas/`, app: join(root, 'personas') };
}

const ready = (page) => appReady(page);
const ask = async (page, question) => (await askApp(page, question)).reply;

/** Waits until the service worker controls the page and has its cache filled. */
async function controlled(page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null, { timeout: 20_000 });
  return page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('persona-engine-')));
}

test('served from /personas/ by a static server, installed, then used with the network off', async () => {
  const host = await hostUnderSubPath();
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const { page, errors } = await openPage(context, host.url);
  await ready(page);
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(scope, host.url, 'the service worker is scoped to the sub-path');
  const manifest = await page.evaluate(() => document.querySelector('link[rel=manifest]').href);
  assert.equal(manifest, `${host.url}manifest.webmanifest`);
  assert.equal((await page.request.get(manifest)).status(), 200);
  const first = await ask(page, 'How much faster did businesses with a formal written plan grow?');
  assert.match(await first.innerText(), /30%/);
  const cachesBefore = await controlled(page);
  assert.equal(cachesBefore.length, 1, `one versioned cache: ${cachesBefore}`);
  // The cache holds exactly the build's files: nothing fetched at run time was stored.
  const listed = JSON.parse((await readFile(join(host.app, 'sw.js'), 'utf8')).match(/const FILES = (\[.*\]);/)[1]);
  const cached = await page.evaluate(async ([name, scope]) => {
    const requests = await (await caches.open(name)).keys();
    return requests.map((r) => r.url.slice(scope.length) || './').sort();
  }, [cachesBefore[0], host.url]);
  assert.deepEqual(cached, [...listed].sort());

  // Second visit, network off: the shell comes from the cache, everything else from IndexedDB.
  await context.setOffline(true);
  const started = Date.now();
  await page.reload();
  await ready(page);
  const interactive = Date.now() - started;
  await page.locator('.message.user', { hasText: 'formal written plan' }).waitFor();
  const reply = await ask(page, 'What should go into a cash flow forecast?');
  const answered = Date.now() - started;
  assert.match(await reply.innerText(), /\[\d+\]/, 'answered offline, citing the articles');
  console.log(`e2e: second visit offline: interactive ${interactive} ms after reload, question answered at ${answered} ms`);
  await screenshot(page, 'offline.png');
  await context.setOffline(false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a new deployment is offered as an update; Reload switches to it and removes the old cache', async () => {
  const host = await hostUnderSubPath();
  const context = await browser.newContext();
  const { page, errors } = await openPage(context, host.url);
  await ready(page);
  const [oldCache] = await controlled(page);

  // Deploy a new version: a changed file gives a new service worker (its version is a hash of
  // the files; here the stamped version is changed as a new build would).
  const swPath = join(host.app, 'sw.js');
  const sw = await readFile(swPath, 'utf8');
  const oldVersion = oldCache.replace('persona-engine-', '');
  await writeFile(swPath, sw.replace(oldVersion, 'feedfacefeedface'));
  await page.evaluate(() => window.personaServiceWorker.update());
  const bar = page.locator('#update-bar');
  await bar.waitFor({ timeout: 20_000 });
  assert.match(await bar.innerText(), /new version/);
  await Promise.all([page.waitForEvent('load'), bar.getByRole('button', { name: 'Reload' }).click()]);
  await ready(page);
  await page.waitForFunction(async () => {
    const names = (await caches.keys()).filter((k) => k.startsWith('persona-engine-'));
    return names.length === 1 && names[0] === 'persona-engine-feedfacefeedface';
  }, null, { timeout: 20_000 });
  assert.equal(await page.locator('#update-bar').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an unreachable endpoint is named, and the offline backend is offered instead', async () => {
  const host = await hostUnderSubPath();
  const context = await browser.newContext();
  // Port 9 on 127.0.0.1: nothing listens there, the connection is refused at once.
  const url = `${host.url}?endpoint=${encodeURIComponent('http://127.0.0.1:9/v1')}&model=absent`;
  const { page, errors } = await openPage(context, url);
  await ready(page);
  await page.fill('#message', 'How much faster did businesses with a formal written plan grow?');
  await page.press('#message', 'Enter');
  const offer = page.locator('.notice.unreachable');
  await offer.waitFor({ timeout: 30_000 });
  assert.match(await offer.innerText(), /can't be reached/);
  await offer.getByRole('button', { name: 'Answer offline instead' }).click();
  await page.locator('.badge', { hasText: 'Offline backend' }).waitFor();
  const failed = page.locator('.message.user.failed').last();
  const id = await failed.getAttribute('data-id');
  await failed.getByRole('button', { name: 'Retry' }).click();
  await page.locator(`[data-id="${id}/reply"]`).waitFor({ timeout: 15_000 });
  assert.match(await page.locator(`[data-id="${id}/reply"]`).innerText(), /30%/);
  assert.equal(await page.locator('.notice.unreachable').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});
