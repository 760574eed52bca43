// The first vertical slice: the demo persona answers from the demo articles with the offline
// backend; the user's message shows as pending before the reply arrives, then becomes sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launchBrowser, openPage, screenshot } from './harness.mjs';

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
