// The app as a persona author uses it: the send latency, conversations, personas and Character
// Cards, knowledge management with the retrieval search panel, settings with Test connection
// (the project's fake OpenAI server on 127.0.0.1), the turn inspector, a reload that keeps
// everything, and a 360 px wide screen. Screenshots of each screen go to tests/e2e/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, serveStatic, launchBrowser, openPage, screenshot, startFakeOpenAI, dumpDatabase, waitForStored, appReady, askApp } from './harness.mjs';

const FIXTURES = join(ROOT, 'tests/e2e/fixtures');
let server;
let fake;
let keyed;
let browser;

before(async () => {
  server = await serveStatic();
  fake = await startFakeOpenAI(join(FIXTURES, 'fake-openai.json'));
  keyed = await startFakeOpenAI(join(FIXTURES, 'fake-openai-keyed.json'));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await fake?.close();
  await keyed?.close();
  await server?.close();
});

const ready = (page) => appReady(page);
const ask = (page, question) => askApp(page, question);

async function tab(page, name) {
  await page.getByRole('tab', { name }).click();
}

test('the message is in the DOM within one animation frame of Enter, then pending → sent', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const { page, errors } = await openPage(context, server.url);
  await ready(page);
  const question = 'How should a bakery price its bread when flour costs go up?';
  await page.fill('#message', question);
  // Measured in the page: the key event's time stamp, the time the message node appeared, and
  // whether it was there when the next animation frame's callbacks ran (before that paint).
  await page.evaluate((question) => {
    window.__latency = {};
    const list = document.querySelector('.transcript');
    new MutationObserver(() => {
      if (window.__latency.node === undefined && [...list.querySelectorAll('.message.user')].some((el) => el.textContent.includes(question))) {
        window.__latency.node = performance.now();
      }
    }).observe(list, { childList: true, subtree: true });
    document.querySelector('#message').addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      window.__latency.key = event.timeStamp;
      requestAnimationFrame(() => {
        window.__latency.frame = performance.now();
        window.__latency.inFrame = [...list.querySelectorAll('.message.user')].some((el) => el.textContent.includes(question));
      });
    }, { capture: true });
  }, question);
  await page.press('#message', 'Enter');
  const user = page.locator('.message.user', { hasText: question }).last();
  await page.waitForFunction(() => window.__latency.frame !== undefined);
  const latency = await page.evaluate(() => window.__latency);
  assert.ok(latency.inFrame, `the message was in the DOM by the next animation frame: ${JSON.stringify(latency)}`);
  console.log(`e2e: Enter → message node ${(latency.node - latency.key).toFixed(1)} ms; next animation frame at ${(latency.frame - latency.key).toFixed(1)} ms`);
  const id = await user.getAttribute('data-id');
  await page.locator(`[data-id="${id}/reply"]`).waitFor({ timeout: 15_000 });
  assert.equal(await user.getAttribute('data-status'), 'sent');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a failed turn shows as failed in plain words, and Retry succeeds', async () => {
  const context = await browser.newContext();
  const url = `${server.url}?endpoint=${encodeURIComponent(fake.baseUrl)}&model=fake-model`;
  const { page, errors } = await openPage(context, url);
  await ready(page);
  // The fake model refuses this question once (HTTP 400, not retried by the client).
  await page.fill('#message', 'flaky please: how fast do planned businesses grow?');
  await page.press('#message', 'Enter');
  const user = page.locator('.message.user', { hasText: 'flaky please' }).last();
  await page.locator('.message.user.failed', { hasText: 'flaky please' }).waitFor({ timeout: 15_000 });
  assert.match(await user.innerText(), /400/);
  const id = await user.getAttribute('data-id');
  await user.getByRole('button', { name: 'Retry' }).click();
  await page.locator(`[data-id="${id}/reply"]`).waitFor({ timeout: 15_000 });
  assert.equal(await user.getAttribute('data-status'), 'sent');
  assert.deepEqual(errors, []);
  await context.close();
});

test('replies render as sanitized Markdown and a citation shows its source passage', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const { page, errors } = await openPage(context, server.url);
  await ready(page);
  const { reply } = await ask(page, 'How much faster did businesses with a formal written plan grow?');
  const cite = reply.locator('button.cite').first();
  await cite.click();
  const source = reply.locator('.source-passage');
  await source.waitFor();
  assert.match(await source.innerText(), /Five Things to Do Before You Write a Business Plan/, 'the article is named');
  assert.match(await source.innerText(), /30%/, 'the passage with the figure is shown');
  // Nothing from a model or an article is ever markup: no script or img came from the reply.
  assert.equal(await reply.locator('script, img, iframe').count(), 0);
  await screenshot(page, 'citation.png');
  assert.deepEqual(errors, []);
  await context.close();
});

test('conversations can be started, renamed, exported and deleted, each with its own transcript', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, acceptDownloads: true });
  const { page, errors } = await openPage(context, server.url);
  await ready(page);
  await ask(page, 'What should go into a cash flow forecast?');
  const first = await page.locator('.transcript').getAttribute('data-conversation');

  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.waitForFunction((first) => document.querySelector('.transcript')?.dataset.conversation !== first, first);
  assert.equal(await page.locator('.message.user').count(), 0, 'a new conversation starts with the greeting only');
  await ask(page, 'When should I hire my first employee?');
  assert.equal(await page.locator('.conversation').count(), 2);

  // Rename the first one.
  const item = page.locator(`.conversation[data-conversation="${first}"]`);
  await item.getByRole('button', { name: /^Rename/ }).click();
  await page.fill(`#rename-${first}`, 'Cash questions');
  await page.locator('.rename button[type=submit]').click();
  await page.locator('.conversation-title', { hasText: 'Cash questions' }).waitFor();

  // Open it again: its own transcript comes back.
  await page.locator('.conversation-title', { hasText: 'Cash questions' }).click();
  await page.locator(`.transcript[data-conversation="${first}"]`).waitFor();
  await page.locator('.message.user', { hasText: 'cash flow forecast' }).waitFor();
  assert.equal(await page.locator('.message.user', { hasText: 'first employee' }).count(), 0);

  // Export it.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    item.getByRole('button', { name: /^Export/ }).click(),
  ]);
  const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(exported.title, 'Cash questions');
  assert.ok(exported.messages.some((m) => m.text.includes('cash flow forecast')));

  // Delete asks first; keeping it changes nothing, deleting removes it from the store.
  await item.getByRole('button', { name: /^Delete/ }).click();
  await item.getByRole('button', { name: 'Keep' }).click();
  assert.equal(await page.locator('.conversation').count(), 2);
  await item.getByRole('button', { name: /^Delete/ }).click();
  await item.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('.conversation').length === 1);
  const db = await dumpDatabase(page);
  assert.ok(!(first in db.conversations), 'the conversation record is gone');
  assert.ok(!Object.keys(db.messages).some((k) => k.startsWith(`${first}/`)), 'and its messages');
  assert.deepEqual(errors, []);
  await context.close();
});

test('Character Cards: V2 JSON and V3 PNG import, export round trip, and a malformed card is refused', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  const { page, errors } = await openPage(context, server.url);
  await ready(page);
  await tab(page, 'Personas');

  // V2 JSON.
  await page.setInputFiles('#import-card', join(FIXTURES, 'cards/mara-v2.json'));
  await page.locator('.persona[data-persona="mara-lindqvist"]').waitFor();
  const original = JSON.parse(await readFile(join(FIXTURES, 'cards/mara-v2.json'), 'utf8'));
  const mara = page.locator('.persona[data-persona="mara-lindqvist"]');
  const [v2] = await Promise.all([page.waitForEvent('download'), mara.getByRole('button', { name: /as V2 JSON/ }).click()]);
  const card = JSON.parse(await readFile(await v2.path(), 'utf8'));
  assert.equal(card.spec, 'chara_card_v2');
  assert.equal(card.data.name, original.data.name);
  assert.deepEqual(card.data.extensions, original.data.extensions, 'extensions survive the round trip');
  for (const key of Object.keys(original).filter((k) => !['spec', 'spec_version', 'data'].includes(k))) {
    assert.deepEqual(card[key], original[key], `unknown top-level field ${key} survives`);
  }
  for (const key of Object.keys(original.data)) {
    if (!(key in card.data)) assert.fail(`data.${key} was dropped`);
  }

  // V3 PNG: imported with its image as the avatar; exported as a PNG carrying the card.
  await page.setInputFiles('#import-card', join(FIXTURES, 'cards/tomas-v3.png'));
  const tomas = page.locator('.persona', { hasText: 'Tomás' });
  await tomas.waitFor();
  assert.equal(await tomas.locator('img.avatar').count(), 1, 'the PNG became the avatar');
  const [png] = await Promise.all([page.waitForEvent('download'), tomas.getByRole('button', { name: /as PNG card/ }).click()]);
  const bytes = await readFile(await png.path());
  assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
  assert.ok(bytes.includes(Buffer.from('ccv3')), 'with a ccv3 chunk');
  // Importing the exported PNG gives the same persona again (a second copy).
  await page.setInputFiles('#import-card', await png.path());
  await page.waitForFunction(() => [...document.querySelectorAll('.persona-name')].filter((n) => n.textContent.includes('Tomás')).length === 2);
  await screenshot(page, 'personas.png');

  // A malformed card: a clear error naming the problem, and nothing changes.
  const before = await dumpDatabase(page);
  await page.setInputFiles('#import-card', join(FIXTURES, 'cards/broken.json'));
  const error = page.locator('.card-error');
  await error.waitFor();
  assert.match(await error.innerText(), /broken\.json.*line \d+, column \d+/);
  assert.deepEqual((await dumpDatabase(page)).personas, before.personas, 'no persona was added or changed');

  // Each persona has its own conversations: chatting with Mara leaves Jane's alone.
  await mara.getByRole('button', { name: 'Chat' }).click();
  await page.locator('.chat-header h1', { hasText: 'Mara' }).waitFor();
  await ready(page);
  assert.equal(await page.locator('.message.user').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('personas can be created, edited, duplicated and deleted, each keeping its own memory', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const { page, errors } = await openPage(context, server.url);
  await ready(page);
  await tab(page, 'Personas');
  await page.getByRole('button', { name: 'New persona' }).click();
  await page.fill('#persona-name', 'Ines Duarte');
  await page.fill('#persona-occupation', 'runs a bicycle repair shop');
  await page.fill('#persona-greeting', 'Olá! Ask me about the articles.');
  await page.fill('#persona-memories', 'I rebuilt my first wheel at twelve.\nI opened the shop in 2015.');
  await page.getByRole('button', { name: 'Save persona' }).click();
  const ines = page.locator('.persona[data-persona="ines-duarte"]');
  await ines.waitFor();
  assert.match(await ines.innerText(), /bicycle repair/);

  await ines.getByRole('button', { name: /^Edit/ }).click();
  assert.equal(await page.inputValue('#persona-memories'), 'I rebuilt my first wheel at twelve.\nI opened the shop in 2015.');
  await page.fill('#persona-occupation', 'runs a bicycle repair shop in Porto');
  await page.getByRole('button', { name: 'Save persona' }).click();
  await ines.filter({ hasText: 'in Porto' }).waitFor();

  await ines.getByRole('button', { name: /^Duplicate/ }).click();
  const copy = page.locator('.persona', { hasText: 'Ines Duarte (copy)' });
  await copy.waitFor();
  await copy.getByRole('button', { name: /^Delete/ }).click();
  await copy.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.waitForFunction(() => ![...document.querySelectorAll('.persona')].some((p) => p.textContent.includes('(copy)')));
  const stored = Object.keys((await dumpDatabase(page)).personas).sort();
  assert.deepEqual(stored, ['ines-duarte', 'jane']);

  // Her own greeting and memory: a personal question is answered from what she remembers.
  await ines.getByRole('button', { name: 'Chat' }).click();
  await page.locator('.chat-header h1', { hasText: 'Ines' }).waitFor();
  await page.locator('.message.assistant', { hasText: 'Olá!' }).waitFor();
  const { reply } = await ask(page, 'When did you open your shop?');
  assert.match(await reply.innerText(), /2015/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('articles added from files show a progress bar, and the search panel shows what retrieval returns', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const { page, errors } = await openPage(context, server.url);
  await ready(page);
  await tab(page, 'Knowledge');
  const before = await page.locator('.article').count();
  // Record every state of the progress bar while the files are indexed.
  await page.evaluate(() => {
    window.__progress = [];
    new MutationObserver(() => {
      const bar = document.querySelector('#indexing-progress');
      if (bar) window.__progress.push(`${bar.value}/${bar.max}`);
    }).observe(document.body, { childList: true, subtree: true, attributes: true });
  });
  await page.setInputFiles('#article-files', [
    join(FIXTURES, 'articles/bakery-insurance.md'),
    join(FIXTURES, 'articles/seasonal-staff.txt'),
    join(FIXTURES, 'articles/supplier-terms.md'),
    join(FIXTURES, 'articles/photo.png'),
  ]);
  await page.locator('.knowledge-status', { hasText: 'Added 3 articles' }).waitFor({ timeout: 15_000 });
  assert.match(await page.locator('.knowledge-status').innerText(), /photo\.png/, 'the image is named as skipped');
  const progress = await page.evaluate(() => window.__progress);
  assert.ok(progress.includes('0/3') || progress.includes('1/3'), `the progress bar showed: ${progress}`);
  assert.equal(await page.locator('.article').count(), before + 3);
  const chunks = Number(await page.locator('.article[data-article="bakery-insurance"] .chunk-count').getAttribute('data-chunks'));
  assert.ok(chunks >= 2, 'per-article chunk counts are shown');

  // The search panel: passages with scores and article, and which memory they come from.
  await page.fill('#retrieval-query', 'equipment breakdown cover for an oven');
  await page.locator('.retrieval-search button[type=submit]').click();
  const hit = page.locator('.hit[data-memory="articles"]').first();
  await hit.waitFor();
  assert.match(await hit.innerText(), /Insuring a Small Bakery/);
  assert.ok(Number(await hit.getAttribute('data-score')) > 0);
  assert.ok(await page.locator('.hit[data-memory="persona"]').count() > 0, 'persona memory results are listed too');
  await screenshot(page, 'knowledge.png');

  // Paste, edit and delete.
  await page.fill('#article-title', 'Opening Hours');
  await page.fill('#article-text', 'Open at seven so commuters can buy breakfast on the way to work.');
  await page.getByRole('button', { name: 'Add article' }).click();
  const pasted = page.locator('.article', { hasText: 'Opening Hours' });
  await pasted.waitFor();
  await pasted.getByRole('button', { name: /^Delete/ }).click();
  await pasted.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.waitForFunction(() => ![...document.querySelectorAll('.article')].some((a) => a.textContent.includes('Opening Hours')));

  // The chat answers from an added article.
  await tab(page, 'Chat');
  const { reply } = await ask(page, 'What does equipment breakdown cover pay for?');
  assert.match(await reply.innerText(), /Insuring a Small Bakery/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('settings: Test connection reports success, a refused key, CORS and an unreachable server in plain words', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const { page, errors } = await openPage(context, server.url);
  await ready(page);
  await tab(page, 'Settings');
  await page.fill('#settings-endpoint', fake.baseUrl);
  await page.fill('#settings-model', 'fake-model');
  await page.getByRole('button', { name: 'Test connection' }).click();
  const result = page.locator('.connection-result[data-ok]');
  await result.waitFor({ timeout: 15_000 });
  assert.equal(await result.getAttribute('data-ok'), 'true', await result.innerText());
  assert.match(await result.innerText(), /fake-model/);
  await result.scrollIntoViewIfNeeded();
  await screenshot(page, 'settings.png');

  await page.fill('#settings-endpoint', keyed.baseUrl);
  await page.fill('#settings-api-key', 'sk-test-wrong-key');
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.locator('.connection-result[data-ok="false"]').waitFor({ timeout: 15_000 });
  const refused = await page.locator('.connection-result').innerText();
  assert.match(refused, /401/);
  assert.match(refused, /key/i);
  assert.doesNotMatch(refused, /sk-test-wrong-key/, 'the key is never shown');

  // A server on another origin that does not allow this page (no CORS headers): named as CORS.
  const other = await serveStatic(FIXTURES);
  try {
    await page.fill('#settings-api-key', '');
    await page.fill('#settings-endpoint', `${other.url}v1`);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const cors = page.locator('.connection-result[data-ok="false"]');
    await cors.waitFor({ timeout: 15_000 });
    assert.equal(await cors.getAttribute('data-problem'), 'cors', await cors.innerText());
    assert.match(await cors.innerText(), /origin/);
  } finally {
    await other.close();
  }
  // Nothing listens on port 9: unreachable, in plain words.
  await page.fill('#settings-endpoint', 'http://127.0.0.1:9/v1');
  await page.getByRole('button', { name: 'Test connection' }).click();
  const down = page.locator('.connection-result[data-ok="false"]');
  await down.waitFor({ timeout: 20_000 });
  assert.equal(await down.getAttribute('data-problem'), 'unreachable', await down.innerText());

  // Saved settings switch the backend and survive a reload.
  await page.fill('#settings-endpoint', fake.baseUrl);
  await page.fill('#settings-api-key', '');
  await page.uncheck('#settings-offline');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.locator('.badge', { hasText: 'Model: fake-model' }).waitFor();
  await page.reload();
  await ready(page);
  await page.locator('.badge', { hasText: 'Model: fake-model' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('the inspector shows the turn timeline, retrieval counts, vet verdict and facts, and exports JSON', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  const { page, errors } = await openPage(context, server.url);
  await ready(page);
  const { reply, id } = await ask(page, 'How much faster did businesses with a formal written plan grow?');
  await reply.getByRole('button', { name: 'Inspect' }).click();
  const inspector = page.locator(`.inspector[data-inspects="${id}"]`);
  await inspector.waitFor();
  assert.ok(await inspector.locator('.bar').count() >= 7, 'one bar per stage run');
  const width = await inspector.locator('.bar').first().evaluate((el) => el.style.width);
  assert.match(width, /%$/, 'bars are sized by duration');
  const counts = inspector.locator('[data-knowledge]');
  assert.ok(Number(await counts.getAttribute('data-knowledge')) > 0, 'knowledge passages were retrieved');
  assert.ok(await counts.getAttribute('data-memory') !== null);
  assert.ok((await inspector.locator('.vet-verdict').innerText()).length > 0);
  assert.match(await inspector.locator('.decision').innerText(), /factual/i);
  assert.ok(await inspector.locator('.facts li').count() > 0, 'the numbered facts used are listed');
  await screenshot(page, 'inspector.png');
  const [download] = await Promise.all([page.waitForEvent('download'), inspector.getByRole('button', { name: 'Export JSON' }).click()]);
  const trace = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.ok(trace.stages.length >= 7 && trace.knowledge_retrieved > 0);
  await page.getByRole('button', { name: 'Close inspector' }).click();
  assert.equal(await page.locator('.inspector').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a reload keeps everything: personas, conversations, articles, settings, the draft and a failed message', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const url = `${server.url}?endpoint=${encodeURIComponent(fake.baseUrl)}&model=fake-model`;
  const { page, errors } = await openPage(context, url);
  await ready(page);
  await tab(page, 'Personas');
  await page.setInputFiles('#import-card', join(FIXTURES, 'cards/mara-v2.json'));
  await page.locator('.persona[data-persona="mara-lindqvist"]').waitFor();
  await tab(page, 'Knowledge');
  await page.setInputFiles('#article-files', join(FIXTURES, 'articles/supplier-terms.md'));
  await page.locator('.knowledge-status', { hasText: 'Added 1 article' }).waitFor({ timeout: 15_000 });
  await tab(page, 'Chat');
  await ask(page, 'How much faster did businesses with a formal written plan grow?');
  await page.fill('#message', 'fail please, keep my words');
  await page.press('#message', 'Enter');
  await page.locator('.message.user.failed', { hasText: 'keep my words' }).waitFor({ timeout: 15_000 });
  await page.fill('#message', 'a half-written thought');
  // The draft is written as it is typed; wait until it is in the store, then reload.
  await waitForStored(page, 'settings', 'a half-written thought');

  await page.reload();
  await ready(page);
  await page.locator('.message.user', { hasText: 'formal written plan' }).waitFor();
  const failed = page.locator('.message.user', { hasText: 'keep my words' });
  assert.equal(await failed.getAttribute('data-status'), 'failed', 'the failed message came back, ready to retry');
  assert.equal(await page.inputValue('#message'), 'a half-written thought', 'the draft came back');
  await tab(page, 'Personas');
  await page.locator('.persona[data-persona="mara-lindqvist"]').waitFor();
  await tab(page, 'Knowledge');
  await page.locator('.article[data-article="supplier-terms"]').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('works 360 px wide: no horizontal overflow, every screen reachable', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 });
  const { page, errors } = await openPage(context, server.url);
  await ready(page);
  await ask(page, 'How much faster did businesses with a formal written plan grow?');
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok((await overflow()) <= 0, `chat fits: ${await overflow()} px too wide`);
  await screenshot(page, 'mobile-360.png');
  for (const name of ['Knowledge', 'Personas', 'Settings']) {
    await tab(page, name);
    assert.ok((await overflow()) <= 0, `${name} fits at 360 px`);
  }
  // Keyboard: arrow keys move between the screens' tabs, focus follows and stays visible.
  await tab(page, 'Chat');
  await page.focus('#tab-chat');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-knowledge');
  assert.equal(await page.getAttribute('#tab-knowledge', 'aria-selected'), 'true');
  await page.keyboard.press('Home');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-chat');
  // The composer shows a focus ring.
  await page.focus('#message');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  assert.deepEqual(errors, []);
  await context.close();
});
