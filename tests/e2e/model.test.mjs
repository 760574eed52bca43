// The app with a model endpoint (the project's fake OpenAI server on 127.0.0.1, scripted for every
// pipeline stage in fixtures/fake-openai.json): a reply comes
// from the model; a failing model rolls the turn back — the message shows as failed with
// Retry / Edit / Discard, nothing of the turn is saved, and the typed text is never lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, serveStatic, launchBrowser, openPage, screenshot, startFakeOpenAI, dumpDatabase, waitForStored, withoutUnsent } from './harness.mjs';

let server;
let fake;
let browser;

before(async () => {
  server = await serveStatic();
  fake = await startFakeOpenAI(join(ROOT, 'tests/e2e/fixtures/fake-openai.json'));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await fake?.close();
  await server?.close();
});

async function send(page, text) {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
  return page.locator('.message.user', { hasText: text }).last();
}

test('a model endpoint answers, and a failing one rolls the turn back', async () => {
  const context = await browser.newContext();
  const url = `${server.url}?endpoint=${encodeURIComponent(fake.baseUrl)}&model=fake-model`;
  const { page, errors } = await openPage(context, url);
  await page.locator('.transcript[data-loaded="true"]').waitFor();
  assert.equal(await page.locator('.badge').innerText(), 'Model: fake-model');

  // Success: the model's reply is committed with its citation resolved.
  const ok = await send(page, 'How much faster did businesses with a formal written plan grow?');
  const okId = await ok.getAttribute('data-id');
  const reply = page.locator(`[data-id="${okId}/reply"]`);
  await reply.waitFor({ timeout: 15_000 });
  assert.match(await reply.innerText(), /From behind my counter/);
  assert.equal(await reply.locator('.sources li').count(), 1, 'the cited fact is listed as a source');

  // Failure: rollback, with the error in plain words and the three ways out.
  const failed = await send(page, 'fail please, first time');
  await page.locator('.message.user.failed').waitFor({ timeout: 15_000 });
  assert.equal(await failed.getAttribute('data-status'), 'failed');
  assert.match(await failed.innerText(), /503/);
  assert.match(await failed.innerText(), /the model is overloaded/);
  const failedId = await failed.getAttribute('data-id');
  assert.equal(await page.locator(`[data-id="${failedId}/reply"]`).count(), 0, 'no reply was kept');
  await screenshot(page, 'rollback.png');

  // Retry runs the turn again (it fails again: the fake model is scripted to).
  await failed.getByRole('button', { name: 'Retry' }).click();
  await page.locator(`[data-id="${failedId}"][data-status="failed"]`).waitFor({ timeout: 15_000 });

  // Edit gives the text back to the composer.
  await failed.getByRole('button', { name: 'Edit' }).click();
  assert.equal(await page.locator(`[data-id="${failedId}"]`).count(), 0);
  assert.equal(await page.inputValue('#message'), 'fail please, first time');

  // Discard removes a failed message for good.
  await page.fill('#message', '');
  const second = await send(page, 'fail please, second time');
  await page.locator('.message.user.failed', { hasText: 'second time' }).waitFor({ timeout: 15_000 });
  await second.getByRole('button', { name: 'Discard' }).click();
  assert.equal(await page.locator('.message.user', { hasText: 'second time' }).count(), 0);

  // A failed turn is never committed; its text is kept apart, so after a reload it comes back
  // as failed (ready to retry), and only committed messages are in the conversation's store.
  await send(page, 'fail please, third time');
  await page.locator('.message.user.failed', { hasText: 'third time' }).waitFor({ timeout: 15_000 });
  await waitForStored(page, 'settings', 'third time');
  await page.reload();
  await page.locator('.transcript[data-loaded="true"]').waitFor();
  await page.locator(`[data-id="${okId}/reply"]`).waitFor();
  assert.equal(await page.locator('.message.user', { hasText: 'fail please' }).count(), 1);
  assert.equal(await page.locator('.message.user', { hasText: 'third time' }).getAttribute('data-status'), 'failed');
  const stored = Object.values((await dumpDatabase(page)).messages).map((m) => m.text);
  assert.ok(!stored.some((text) => text.includes('fail please')), 'no failed message was committed');
  assert.deepEqual(errors, []);
  await context.close();
});

test('closing the page in the middle of a turn leaves the store exactly as it was before the turn', async () => {
  const context = await browser.newContext();
  const url = `${server.url}?endpoint=${encodeURIComponent(fake.baseUrl)}&model=fake-model`;
  let { page, errors } = await openPage(context, url);
  await page.locator('.transcript[data-loaded="true"]').waitFor();
  const ok = await send(page, 'Tell me about a formal written plan and growth.');
  const okId = await ok.getAttribute('data-id');
  await page.locator(`[data-id="${okId}/reply"]`).waitFor({ timeout: 15_000 });
  const before = await dumpDatabase(page);
  assert.ok(Object.keys(before.messages).length >= 3, 'greeting, question and reply are stored');
  assert.ok(before.index_segments['vector/base'].bytes > 0, 'the knowledge index is stored as bytes');

  // The fake model takes 20 s to answer this one: the page is closed while the turn runs.
  const slow = await send(page, 'slow please, I will not wait');
  assert.equal(await slow.getAttribute('data-status'), 'pending');
  await waitForStored(page, 'settings', 'slow please');
  assert.deepEqual(errors, []);
  await page.close();

  ({ page, errors } = await openPage(context, url));
  await page.locator('.transcript[data-loaded="true"]').waitFor();
  await page.locator(`[data-id="${okId}/reply"]`).waitFor();
  // The typed text is kept (as failed, ready to retry); nothing of the turn itself was written.
  const slowAgain = page.locator('.message.user', { hasText: 'slow please' });
  assert.equal(await slowAgain.getAttribute('data-status'), 'failed');
  assert.match(await slowAgain.innerText(), /closed before the reply arrived/);
  assert.deepEqual(withoutUnsent(await dumpDatabase(page)), withoutUnsent(before), 'nothing of the interrupted turn was written');
  assert.deepEqual(errors, []);
  await context.close();
});

test('stage progress is shown, the reply streams in, and Stop rolls the turn back', async () => {
  const context = await browser.newContext();
  const url = `${server.url}?endpoint=${encodeURIComponent(fake.baseUrl)}&model=fake-model`;
  const { page, errors } = await openPage(context, url);
  await page.locator('.transcript[data-loaded="true"]').waitFor();
  const ok = await send(page, 'How much faster did businesses with a formal written plan grow?');
  const okId = await ok.getAttribute('data-id');
  await page.locator(`[data-id="${okId}/reply"]`).waitFor({ timeout: 15_000 });
  const before = await dumpDatabase(page);
  const traces = Object.keys(before.traces);
  assert.equal(traces.length, 1, 'the committed turn stored its trace');

  // The fake model streams this reply slowly: the stages before Generate are done, the text
  // arrives piece by piece, and Stop cancels the turn.
  const stopped = await send(page, 'stop please, this is long');
  const stoppedId = await stopped.getAttribute('data-id');
  const progress = page.locator(`[data-progress-for="${stoppedId}"]`);
  await progress.locator('[data-stage="Generate"][data-state="running"]').waitFor({ timeout: 15_000 });
  const stages = await progress.locator('[data-stage]').evaluateAll((nodes) =>
    nodes.map((n) => [n.dataset.stage, n.dataset.state]),
  );
  assert.deepEqual(stages.map(([name]) => name), ['Establish', 'Vet', 'Objectives', 'Enrich', 'Generate', 'Validate', 'Ground']);
  for (const [name, state] of stages.slice(0, 4)) assert.equal(state, 'done', `${name} finished before Generate`);
  const streaming = page.locator(`[data-streaming-for="${stoppedId}"]`);
  await streaming.filter({ hasText: 'let me' }).waitFor({ timeout: 10_000 });
  assert.doesNotMatch(await streaming.innerText(), /properly\./, 'the reply is still streaming');
  await screenshot(page, 'streaming.png');
  await progress.getByRole('button', { name: 'Stop' }).click();
  await page.locator(`[data-id="${stoppedId}"][data-status="failed"]`).waitFor({ timeout: 5_000 });
  assert.match(await stopped.innerText(), /You stopped this reply/);
  assert.equal(await page.locator(`[data-id="${stoppedId}/reply"]`).count(), 0, 'no partial reply is kept');
  assert.equal(await page.locator(`[data-progress-for="${stoppedId}"]`).count(), 0);
  assert.deepEqual(withoutUnsent(await dumpDatabase(page)), withoutUnsent(before), 'a stopped turn writes nothing');
  assert.deepEqual(errors, []);
  await context.close();
});
