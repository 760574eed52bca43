// The embeddable widget on a host page we did not write for it: www/examples/host.html (a small
// bakery blog with aggressive CSS and its own script) embeds <persona-chat> with one script tag.
// The widget answers from the demo bundle, adds only its script, the wasm-bindgen glue and one
// .wasm to the page, keeps its styles in its shadow root (and the host's out of it), and shows a
// bad bundle's error in plain words.
//
// Needs `scripts/build-widget.sh` (writes dist/widget/) and www/demo/bundle.json; the site is
// assembled in a temporary folder laid out as dist/ is served:
//   examples/ (www/examples)  widget/ (dist/widget)  demo/bundle.json  demo/corrupt-bundle.json (fixture)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, DIST, serveStatic, launchBrowser, screenshot, startFakeOpenAI } from './harness.mjs';

const QUESTION = 'How much faster did businesses with a formal written plan grow?';
const WIDGET_FILES = ['persona-chat.js', 'persona_widget_bg.wasm'];

const exists = (path) => access(path).then(() => true, () => false);

/** Builds the static site the tests serve; fails with what to run when a build is missing. */
async function assembleSite() {
  const widget = join(DIST, 'widget');
  const missing = [];
  for (const file of WIDGET_FILES) if (!(await exists(join(widget, file)))) missing.push(`dist/widget/${file}`);
  if (missing.length) {
    throw new Error(`the widget build is missing (${missing.join(', ')}): run scripts/build-widget.sh first`);
  }
  const built = await readFile(join(widget, 'persona-chat.js'), 'utf8');
  const source = await readFile(join(ROOT, 'www/widget/persona-chat.js'), 'utf8');
  if (!built.endsWith(source.replace('import(GLUE_URL.href)', 'Promise.resolve(bundledGlue)'))) {
    throw new Error('dist/widget/persona-chat.js is older than www/widget/persona-chat.js: run scripts/build-widget.sh again');
  }
  // The bundle as shipped (dist/demo/bundle.json, copied by the app build) or its source.
  let bundle = join(DIST, 'demo/bundle.json');
  if (!(await exists(bundle))) bundle = join(ROOT, 'www/demo/bundle.json');
  if (!(await exists(bundle))) {
    throw new Error('www/demo/bundle.json is missing: build it with `persona bundle build` (see www/widget/README.md)');
  }
  const corrupt = join(ROOT, 'tests/e2e/fixtures/corrupt-bundle.json');
  if (!(await exists(corrupt))) throw new Error('tests/e2e/fixtures/corrupt-bundle.json is missing');

  const dir = await mkdtemp(join(tmpdir(), 'persona-embed-'));
  await cp(join(ROOT, 'www/examples'), join(dir, 'examples'), { recursive: true });
  await cp(widget, join(dir, 'widget'), { recursive: true });
  await mkdir(join(dir, 'demo'));
  await cp(bundle, join(dir, 'demo/bundle.json'));
  await cp(corrupt, join(dir, 'demo/corrupt-bundle.json'));
  return dir;
}

let site;
let server;
let browser;

before(async () => {
  site = await assembleSite();
  server = await serveStatic(site);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (site) await rm(site, { recursive: true, force: true });
});

/** Opens the host page, recording every request (path and resource type). */
async function openHost(context) {
  const requests = [];
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  page.on('request', (request) => {
    const url = new URL(request.url());
    requests.push({ path: url.protocol === 'data:' ? 'data:' : url.pathname, type: request.resourceType() });
  });
  // The window's own properties before any script runs: the widget must add no globals.
  await page.addInitScript(() => {
    Object.defineProperty(window, '__hostGlobals', { value: Object.getOwnPropertyNames(window), enumerable: false });
  });
  await page.goto(`${server.url}examples/host.html`);
  await page.locator('persona-chat .title', { hasText: 'Jane' }).waitFor({ timeout: 20_000 });
  return { page, errors, requests };
}

/** Sends `question` with Enter; returns the user's message and its reply once committed. */
async function ask(page, question, chat = page.locator('persona-chat').first()) {
  // Records the user's message status on every mutation of the (shadow) transcript.
  await chat.evaluate((element, question) => {
    const list = element.shadowRoot.querySelector('.transcript');
    element.__snapshots = [];
    new MutationObserver(() => {
      const user = [...list.querySelectorAll('.msg.user')].find((li) => li.firstChild?.textContent === question);
      const reply = user ? list.querySelector(`[data-reply-to="${user.dataset.id}"]:not(.streaming)`) : null;
      element.__snapshots.push({ status: user?.dataset.status ?? null, reply: !!reply });
    }).observe(list, { childList: true, subtree: true, attributes: true, characterData: true });
  }, question);
  const input = chat.locator('textarea');
  await input.fill(question);
  const t0 = Date.now();
  await input.press('Enter');
  const user = chat.locator('.msg.user', { hasText: question }).last();
  const id = await user.getAttribute('data-id');
  const reply = chat.locator(`.msg.assistant[data-reply-to="${id}"]:not(.streaming)`);
  await reply.waitFor({ timeout: 20_000 });
  const snapshots = await chat.evaluate((element) => element.__snapshots);
  return { user, reply, snapshots, ms: Date.now() - t0 };
}

test('the host page embeds Jane with one script, and she answers with the figure and a citation', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const { page, errors, requests } = await openHost(context);
  const chat = page.locator('persona-chat');

  assert.match(await chat.locator('.title').innerText(), /^Jane$/);
  assert.match(await chat.locator('.msg.assistant').first().innerText(), /I'm Jane/, 'the greeting opens the chat');
  assert.equal(await chat.evaluate((element) => element.engine?.personaName), 'Jane', 'element.engine is the PersonaEngine');
  assert.equal(await chat.evaluate((element) => element.engine.prebuilt), true, 'the demo bundle carries its index');

  const { user, reply, snapshots, ms } = await ask(page, QUESTION);
  const pendingFirst = snapshots.findIndex((s) => s.status === 'pending' && !s.reply);
  const firstReply = snapshots.findIndex((s) => s.reply);
  assert.ok(pendingFirst >= 0 && pendingFirst < firstReply, `the message showed as pending before the reply: ${JSON.stringify(snapshots)}`);
  assert.equal(await user.getAttribute('data-status'), 'sent');
  const text = await reply.innerText();
  assert.match(text, /30%/, 'the reply quotes the figure from the article');
  assert.match(text, /\[\d+\]/, 'the reply cites its facts as [n]');
  const cite = reply.locator('button.cite').first();
  const number = (await cite.innerText()).replace(/\D/g, '');
  const source = reply.locator(`.sources li[data-n="${number}"]`);
  assert.match(await source.innerText(), /Business Plan/i, 'the citation is listed with its article');
  await cite.click();
  assert.match(await source.getAttribute('class'), /highlight/, 'a citation points at its source');
  assert.equal(await chat.locator('.progress span').count(), 0, 'no stage progress is left behind');
  console.log(`e2e: embedded widget answered in ${ms} ms (Enter → reply in DOM)`);

  // A follow-up: the engine keeps the committed exchanges as history.
  await ask(page, 'Have you ever been paid late?');
  assert.equal(await chat.evaluate((element) => element.engine.exchangeCount), 2);
  await page.locator('#host-log', { hasText: 'Jane is ready.' }).waitFor();

  // The JS API directly: stage events for all seven stages, then the reply object.
  const api = await chat.evaluate(async (element) => {
    const events = [];
    const reply = await element.engine.ask('What should a cash flow forecast cover?', (event) => events.push(event));
    const empty = await element.engine.ask('   ').then(() => 'answered', (error) => `${error.constructor.name}: ${error.message}`);
    return { events, reply, empty };
  });
  for (const stage of ['establish', 'vet', 'objectives', 'enrich', 'generate', 'validate', 'ground']) {
    assert.ok(api.events.some((e) => e.stage === stage && e.state === 'started'), `${stage} started: ${JSON.stringify(api.events)}`);
    assert.ok(api.events.some((e) => e.stage === stage && e.state === 'finished' && typeof e.outcome === 'string'), `${stage} finished`);
  }
  assert.equal(typeof api.reply.text, 'string');
  assert.ok(Array.isArray(api.reply.facts) && api.reply.facts.every((f) => f.number > 0 && f.text && f.article), JSON.stringify(api.reply));
  assert.ok(['social', 'personal', 'factual', 'mixed'].includes(api.reply.kind));
  assert.equal(api.empty, 'Error: Type a question first.');
  assert.equal(await chat.evaluate((element) => element.engine.exchangeCount), 3, 'an API turn joins the same conversation');
  assert.match(await page.locator('#host-log').innerText(), /Reply \(factual\)/, 'the host heard persona-chat:reply');

  // What the embed added to the page: its one script (element and glue), one wasm, the bundle.
  const own = new Set(['/examples/host.html', '/examples/host.js', 'data:']);
  const added = requests.filter((r) => !own.has(r.path));
  const scripts = added.filter((r) => r.type === 'script').map((r) => r.path);
  assert.deepEqual(scripts.sort(), ['/widget/persona-chat.js'], JSON.stringify(requests));
  const wasm = added.filter((r) => r.path.endsWith('.wasm')).map((r) => r.path);
  assert.deepEqual(wasm, ['/widget/persona_widget_bg.wasm'], JSON.stringify(requests));
  assert.deepEqual(
    added.map((r) => r.path).sort(),
    ['/demo/bundle.json', '/widget/persona-chat.js', '/widget/persona_widget_bg.wasm'],
    `nothing else was fetched (no stylesheet, font or image): ${JSON.stringify(requests)}`,
  );
  const globals = await page.evaluate(() =>
    Object.getOwnPropertyNames(window).filter((name) => name !== '__hostGlobals' && !window.__hostGlobals.includes(name)),
  );
  assert.deepEqual(globals, [], 'the widget defines no globals');
  assert.equal(await page.evaluate(() => typeof customElements.get('persona-chat')), 'function');

  await screenshot(page, 'embed.png');
  assert.deepEqual(errors, []);
  await context.close();
});

test("the host page's styles and script keep working, and neither side's CSS crosses the shadow root", async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const { page, errors } = await openHost(context);
  const chat = page.locator('persona-chat');

  // The host's own script.
  await page.click('#host-button');
  await page.click('#host-button');
  assert.equal(await page.locator('#host-status').innerText(), '2 likes');

  // Host CSS did not leak in.
  const inside = await chat.evaluate((element) => {
    const style = (selector) => getComputedStyle(element.shadowRoot.querySelector(selector));
    const send = style('button.send');
    return {
      sendBackground: send.backgroundColor,
      sendBorder: send.borderTopStyle,
      sendFontSize: send.fontSize,
      textareaBackground: style('textarea').backgroundColor,
      textareaFont: style('textarea').fontFamily,
      listStyle: style('.msg').listStyleType,
      chatBorder: style('.chat').borderTopWidth,
      titleSize: style('.title').fontSize,
      bodyFont: style('.msg').fontFamily,
      boxSizing: style('textarea').boxSizing,
    };
  });
  assert.notEqual(inside.sendBackground, 'rgb(255, 105, 180)', 'the send button is not hotpink');
  assert.notEqual(inside.sendBorder, 'dashed');
  assert.equal(inside.sendFontSize, '15px');
  assert.notEqual(inside.textareaBackground, 'rgb(255, 255, 0)', 'the textarea is not yellow');
  assert.doesNotMatch(inside.textareaFont, /monospace/);
  assert.equal(inside.listStyle, 'none');
  assert.equal(inside.chatBorder, '1px');
  assert.equal(inside.titleSize, '16px');
  assert.doesNotMatch(inside.bodyFont, /Georgia|^serif$/);
  assert.equal(inside.boxSizing, 'border-box');

  // Widget CSS did not leak out.
  const outside = await page.evaluate(() => {
    const p = getComputedStyle(document.getElementById('host-paragraph'));
    const button = getComputedStyle(document.getElementById('host-button'));
    return {
      pFont: p.fontFamily,
      pColor: p.color,
      buttonBackground: button.backgroundColor,
      boxSizing: getComputedStyle(document.getElementById('post')).boxSizing,
      styleSheets: document.styleSheets.length,
      adopted: document.adoptedStyleSheets.length,
      headStyles: document.head.querySelectorAll('style, link[rel="stylesheet"]').length,
      bodyStyle: document.body.getAttribute('style'),
    };
  });
  assert.equal(outside.pFont, 'serif');
  assert.equal(outside.pColor, 'rgb(51, 51, 51)');
  assert.equal(outside.buttonBackground, 'rgb(255, 105, 180)', 'the host button stays hotpink');
  assert.equal(outside.boxSizing, 'content-box');
  assert.deepEqual([outside.styleSheets, outside.adopted, outside.headStyles, outside.bodyStyle], [1, 0, 1, null]);

  // Dark mode comes from the widget's own stylesheet.
  const light = inside.sendBackground;
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await chat.evaluate((element) => getComputedStyle(element.shadowRoot.querySelector('.chat')).backgroundColor);
  assert.notEqual(dark, 'rgb(255, 253, 249)', 'the dark scheme changes the background');
  assert.notEqual(await chat.evaluate((element) => getComputedStyle(element.shadowRoot.querySelector('button.send')).backgroundColor), light);
  await screenshot(page, 'embed-dark.png');

  assert.deepEqual(errors, []);
  await context.close();
});

test('a bad bundle shows its error in the widget with role=alert; a second chat on the same bundle shares the engine', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const { page, errors, requests } = await openHost(context);

  const added = await page.evaluate(() => {
    const section = document.getElementById('ask-jane');
    const broken = document.createElement('persona-chat');
    broken.id = 'broken';
    const heard = new Promise((resolve) => broken.addEventListener('persona-chat:error', (event) => resolve(event.detail)));
    broken.setAttribute('knowledge', '../demo/corrupt-bundle.json');
    section.append(broken);
    const twin = document.createElement('persona-chat');
    twin.id = 'twin';
    twin.setAttribute('knowledge', '../demo/bundle.json');
    twin.setAttribute('title', 'Ask Jane again');
    section.append(twin);
    return heard;
  });
  assert.equal(added.during, 'load');

  const broken = page.locator('#broken');
  const alert = broken.locator('[part="error"]');
  await alert.waitFor({ state: 'visible' });
  assert.equal(await alert.getAttribute('role'), 'alert');
  const shown = await alert.innerText();
  // The engine's own words for this file (BundleError's text), as a sentence.
  const expected = await page.evaluate(async () => {
    const { PersonaEngine } = await import(new URL('../widget/persona-chat.js', document.baseURI).href);
    const json = await (await fetch('../demo/corrupt-bundle.json')).text();
    try {
      PersonaEngine.fromJson(json);
      return 'loaded';
    } catch (error) {
      return error.message;
    }
  });
  assert.notEqual(expected, 'loaded', 'the fixture is refused');
  assert.equal(added.message, expected, 'persona-chat:error carries the BundleError text');
  assert.equal(shown.toLowerCase(), expected.toLowerCase());
  assert.match(shown, /version|bundle/i);
  assert.equal(await broken.locator('textarea').isDisabled(), true, 'a broken chat takes no input');
  const missing = await page.evaluate(async () => {
    const { PersonaEngine } = await import(new URL('../widget/persona-chat.js', document.baseURI).href);
    return PersonaEngine.load(new URL('../demo/missing.json', document.baseURI).href).then(() => 'loaded', (error) => error.message);
  });
  assert.match(missing, /could not be loaded from .*missing\.json: the server answered 404/);
  assert.match(await page.locator('#host-log').innerText(), /Chat error: /);

  // The twin shares the first chat's engine: one bundle fetch, one engine per bundle URL.
  const twin = page.locator('#twin');
  await twin.locator('.title', { hasText: 'Ask Jane again' }).waitFor();
  assert.equal(await page.evaluate(() => document.getElementById('twin').engine === document.querySelector('persona-chat').engine), true);
  assert.equal(requests.filter((r) => r.path === '/demo/bundle.json').length, 1);
  assert.equal(requests.filter((r) => r.path.endsWith('.wasm')).length, 1, 'one wasm for every chat on the page');

  // The first chat still works beside the broken one.
  const { reply } = await ask(page, QUESTION);
  assert.match(await reply.innerText(), /30%/);

  await screenshot(page, 'embed-error.png');
  assert.deepEqual(errors, []);
  await context.close();
});

test('with endpoint and model attributes every stage runs on the model; a failed turn keeps the text for Retry and Edit', async (t) => {
  const binary = join(ROOT, 'target/debug/fake-openai');
  if (!(await exists(binary))) {
    throw new Error('target/debug/fake-openai is missing: cargo build -p persona-fake-server --bin fake-openai');
  }
  const fake = await startFakeOpenAI(join(ROOT, 'tests/e2e/fixtures/fake-openai.json'));
  t.after(() => fake.close());
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const { page, errors } = await openHost(context);
  await page.evaluate(({ endpoint }) => {
    const chat = document.createElement('persona-chat');
    chat.id = 'remote';
    chat.setAttribute('knowledge', '../demo/bundle.json');
    chat.setAttribute('endpoint', endpoint);
    chat.setAttribute('model', 'fake-model');
    document.getElementById('ask-jane').append(chat);
  }, { endpoint: fake.baseUrl });
  const chat = page.locator('#remote');
  await chat.locator('.subtitle', { hasText: 'fake-model' }).waitFor();

  const { reply } = await ask(page, QUESTION, chat);
  assert.match(await reply.innerText(), /From behind my counter/, 'the model wrote the reply');
  assert.equal(await reply.locator('.sources li').count(), 1, 'the cited fact is listed');

  const question = 'fail please, from the widget';
  await chat.locator('textarea').fill(question);
  await chat.locator('textarea').press('Enter');
  const failed = chat.locator('.msg.user[data-status="failed"]');
  await failed.waitFor({ timeout: 20_000 });
  assert.match(await failed.innerText(), /503/);
  assert.match(await failed.innerText(), /overloaded/);
  assert.equal(await chat.evaluate((element) => element.engine.exchangeCount), 1, 'nothing of the failed turn is kept');
  await failed.getByRole('button', { name: 'Edit' }).click();
  assert.equal(await chat.locator('textarea').inputValue(), question, 'Edit gives the text back');
  assert.equal(await chat.locator('.msg.user[data-status="failed"]').count(), 0);

  assert.deepEqual(errors, []);
  await context.close();
});
