// The first vertical slice: the demo persona answers from the demo articles with the offline
// backend; the user's message shows as pending before the reply arrives, then becomes sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serveStatic, launchBrowser, openPage, screenshot, dumpDatabase } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await serveStatic();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Records, for every DOM mutation batch, whether the user's message and its reply exist. */
async function recordTranscript(page, question) {
  await page.evaluate((question) => {
    window.__snapshots = [];
    const list = document.querySelector('.transcript');
    const snap = () => {
      const user = [...list.querySelectorAll('.message.user')].find((el) => el.textContent.includes(question));
      const reply = user ? list.querySelector(`[data-id="${user.dataset.id}/reply"]`) : null;
      window.__snapshots.push({ user: !!user, status: user?.dataset.status ?? null, reply: !!reply, t: performance.now() });
    };
    new MutationObserver(snap).observe(list, { childList: true, subtree: true, attributes: true, characterData: true });
  }, question);
}

async function ask(page, question) {
  await recordTranscript(page, question);
  await page.fill('#message', question);
  const t0 = Date.now();
  await page.press('#message', 'Enter');
  const user = page.locator('.message.user', { hasText: question }).last();
  const id = await user.getAttribute('data-id');
  const reply = page.locator(`[data-id="${id}/reply"]`);
  await reply.waitFor({ timeout: 15_000 });
  return { user, reply, id, ms: Date.now() - t0 };
}

test('the demo chat answers from the articles, showing the message as pending first', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const { page, errors } = await openPage(context, server.url);
  await page.locator('.message.assistant[data-id="greeting"]').waitFor();
  await page.locator('.transcript[data-loaded="true"]').waitFor();
  assert.match(await page.locator('.chat-header h1').innerText(), /Jane/);

  const question = 'How much faster did businesses with a formal written plan grow?';
  const { user, reply, ms } = await ask(page, question);

  const snapshots = await page.evaluate(() => window.__snapshots);
  const pendingBeforeReply = snapshots.find((s) => s.user && s.status === 'pending' && !s.reply);
  assert.ok(pendingBeforeReply, `user message was in the DOM as pending before the reply: ${JSON.stringify(snapshots)}`);
  const firstReply = snapshots.findIndex((s) => s.reply);
  assert.ok(snapshots.indexOf(pendingBeforeReply) < firstReply, 'pending state came before the reply');

  assert.equal(await user.getAttribute('data-status'), 'sent');
  const text = await reply.innerText();
  assert.match(text, /30%/, 'the reply quotes the right figure from the article');
  assert.match(text, /\[\d+\]/, 'the reply cites its facts');
  assert.match(text, /Five Things to Do Before You Write a Business Plan/, 'the reply names its article');
  assert.equal(await page.locator('[data-progress-for]').count(), 0, 'no progress area is left behind');
  console.log(`e2e: question answered by the offline backend in ${ms} ms (send → reply in DOM)`);

  await screenshot(page, 'chat.png');
  assert.deepEqual(errors, []);
  await context.close();
});

test('personal questions are answered from the persona, and the conversation survives a reload', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const { page, errors } = await openPage(context, server.url);
  await page.locator('.transcript[data-loaded="true"]').waitFor();

  const question = 'Did you ever nearly have to close your café?';
  const { reply } = await ask(page, question);
  const text = await reply.innerText();
  assert.match(text, /Speaking for myself/);
  assert.doesNotMatch(text, /\[\d+\]/, 'a personal answer cites no article facts');

  await page.reload();
  await page.locator('.transcript[data-loaded="true"]').waitFor();
  const restored = page.locator('.message.user', { hasText: question });
  await restored.waitFor();
  assert.equal(await restored.getAttribute('data-status'), 'sent');
  assert.equal(await page.locator('.message.assistant', { hasText: 'Speaking for myself' }).count(), 1);
  await screenshot(page, 'chat-mobile.png');
  assert.deepEqual(errors, []);
  await context.close();
});

test('Shift+Enter makes a new line and an empty message cannot be sent', async () => {
  const context = await browser.newContext();
  const { page } = await openPage(context, server.url);
  await page.locator('.transcript[data-loaded="true"]').waitFor();
  const before = await page.locator('.message').count();
  await page.press('#message', 'Enter');
  assert.equal(await page.locator('.message').count(), before, 'Enter on an empty box sends nothing');
  assert.ok(await page.locator('.composer button[type="submit"]').isDisabled());
  await page.type('#message', 'first line');
  await page.keyboard.down('Shift');
  await page.press('#message', 'Enter');
  await page.keyboard.up('Shift');
  await page.type('#message', 'second line');
  assert.equal(await page.inputValue('#message'), 'first line\nsecond line');
  assert.equal(await page.locator('.message').count(), before);
  await context.close();
});

test('a full storage quota fails the turn in plain words and loses nothing already saved', async () => {
  const context = await browser.newContext();
  const { page, errors } = await openPage(context, server.url);
  await page.locator('.transcript[data-loaded="true"]').waitFor();
  await page.fill('#message', 'What is cash flow?');
  await page.press('#message', 'Enter');
  const first = page.locator('.message.user', { hasText: 'What is cash flow?' });
  await page.locator(`[data-id="${await first.getAttribute('data-id')}/reply"]`).waitFor();
  const before = await dumpDatabase(page);

  // Every write now fails the way a full origin does in Chromium.
  await page.evaluate(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    window.__restorePut = () => { IDBObjectStore.prototype.put = put; };
  });
  await page.fill('#message', 'How should I price my bread?');
  await page.press('#message', 'Enter');
  const failed = page.locator('.message.user', { hasText: 'How should I price my bread?' });
  await page.locator('.message.user.failed').waitFor({ timeout: 15_000 });
  assert.equal(await failed.getAttribute('data-status'), 'failed');
  assert.match(await failed.innerText(), /storage for this site is full/);
  const failedId = await failed.getAttribute('data-id');
  assert.equal(await page.locator(`[data-id="${failedId}/reply"]`).count(), 0, 'the reply is not shown as committed');
  assert.deepEqual(await dumpDatabase(page), before, 'nothing was half-written, nothing lost');

  // Space is back: Retry commits the same question.
  await page.evaluate(() => window.__restorePut());
  await failed.getByRole('button', { name: 'Retry' }).click();
  await page.locator(`[data-id="${failedId}/reply"]`).waitFor({ timeout: 15_000 });
  assert.equal(await failed.getAttribute('data-status'), 'sent');
  const after = await dumpDatabase(page);
  assert.equal(Object.keys(after.messages).length, Object.keys(before.messages).length + 2);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a backup exported from one browser restores the conversation in another', async () => {
  const source = await browser.newContext({ acceptDownloads: true });
  const { page, errors } = await openPage(source, server.url);
  await page.locator('.transcript[data-loaded="true"]').waitFor();
  await page.fill('#message', 'How far ahead should I forecast cash?');
  await page.press('#message', 'Enter');
  const asked = page.locator('.message.user', { hasText: 'How far ahead should I forecast cash?' });
  const askedId = await asked.getAttribute('data-id');
  await page.locator(`[data-id="${askedId}/reply"]`).waitFor();
  const reply = await page.locator(`[data-id="${askedId}/reply"]`).innerText();

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export backup' }).click(),
  ]);
  const file = await download.path();
  const backup = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(backup.format, 'persona-engine-backup');
  assert.equal(backup.version, 1);
  assert.ok(backup.tables.messages.some((m) => m.json.text === 'How far ahead should I forecast cash?'));
  assert.ok(backup.tables.index_segments.some((s) => s.key === 'vector/base' && s.base64.length > 1000));

  // A fresh browser profile: empty until the backup is imported, then the same conversation.
  const target = await browser.newContext();
  const fresh = await openPage(target, server.url);
  await fresh.page.locator('.transcript[data-loaded="true"]').waitFor();
  assert.equal(await fresh.page.locator('.message.user').count(), 0);
  await fresh.page.setInputFiles('#import-backup', file);
  await fresh.page.locator(`[data-id="${askedId}/reply"]`).waitFor({ timeout: 15_000 });
  assert.equal(await fresh.page.locator(`[data-id="${askedId}/reply"]`).innerText(), reply);
  assert.deepEqual(await dumpDatabase(fresh.page), await dumpDatabase(page));

  // A file that is not a backup changes nothing and says why.
  const before = await dumpDatabase(fresh.page);
  await fresh.page.setInputFiles('#import-backup', { name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
  await fresh.page.locator('.notice', { hasText: 'Nothing was imported' }).waitFor();
  assert.deepEqual(await dumpDatabase(fresh.page), before);
  assert.deepEqual(errors, []);
  assert.deepEqual(fresh.errors, []);
  await source.close();
  await target.close();
});
