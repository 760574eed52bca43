// <persona-chat knowledge="/path/bundle.json"></persona-chat>: a persona chat for any page.
//
// The one script a page includes: <script type="module" src=".../persona-chat.js"></script>.
// It defines the `persona-chat` custom element and nothing else (no globals, no styles outside
// the element: its UI and its CSS live in its shadow root). The engine is Rust compiled to
// WebAssembly, loaded on first use from this script's own folder (persona_widget.js and
// persona_widget_bg.wasm next to it), so the three files work from any path.
//
// Attributes: knowledge (the bundle URL, required), endpoint + model (optional: every stage on
// an OpenAI-compatible endpoint instead of the offline backend), title (the header; default the
// persona's name). Property: element.engine (the PersonaEngine, once ready). Events (bubbling,
// composed): persona-chat:ready, persona-chat:reply, persona-chat:error. See README.md here.
//
// Replies and article text only ever become text nodes (textContent), never HTML.

const GLUE_URL = new URL('./persona_widget.js', import.meta.url);
const WASM_URL = new URL('./persona_widget_bg.wasm', import.meta.url);
const STAGES = ['establish', 'vet', 'objectives', 'enrich', 'generate', 'validate', 'ground'];

/** The wasm module, instantiated once per page. */
let glue = null;
/** One engine per bundle URL per page: absolute URL → Promise<PersonaEngine>. */
const engines = new Map();

function loadGlue() {
  glue ??= import(GLUE_URL.href)
    .then(async (module) => {
      await module.default({ module_or_path: WASM_URL });
      return module;
    })
    .catch((error) => {
      glue = null; // a later element may try again
      throw new Error(`The chat engine could not be loaded from ${WASM_URL.href}: ${error?.message ?? error}`);
    });
  return glue;
}

function loadEngine(url) {
  let engine = engines.get(url);
  if (!engine) {
    engine = loadGlue().then((module) => module.PersonaEngine.load(url));
    engines.set(url, engine);
    engine.catch(() => engines.delete(url)); // a fixed bundle loads on the next try
  }
  return engine;
}

const CSS = `
:host {
  all: initial;
  display: block;
  box-sizing: border-box;
  width: 100%;
  max-width: 480px;
  height: 520px;
  contain: content;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f1b16;
  text-align: start;
  --pc-bg: var(--persona-chat-background, #fffdf9);
  --pc-fg: var(--persona-chat-color, #1f1b16);
  --pc-muted: #6b6257;
  --pc-line: #e4dccf;
  --pc-accent: var(--persona-chat-accent, #b4541f);
  --pc-accent-fg: #ffffff;
  --pc-user: #f6e7da;
  --pc-bot: #f3f0ea;
  --pc-error-bg: #fdecea;
  --pc-error-fg: #8a1c12;
}
:host([hidden]) { display: none; }
@media (prefers-color-scheme: dark) {
  :host {
    color: #eee7dc;
    --pc-bg: var(--persona-chat-background, #1d1a17);
    --pc-fg: var(--persona-chat-color, #eee7dc);
    --pc-muted: #b3a797;
    --pc-line: #3a342d;
    --pc-accent: var(--persona-chat-accent, #e08a52);
    --pc-accent-fg: #1d1a17;
    --pc-user: #3b2c20;
    --pc-bot: #2a2622;
    --pc-error-bg: #3d1c18;
    --pc-error-fg: #ffb4a8;
  }
}
*, *::before, *::after { box-sizing: border-box; }
.chat {
  display: flex; flex-direction: column; height: 100%; min-height: 0;
  margin: 0; padding: 0; overflow: hidden;
  background: var(--pc-bg); color: var(--pc-fg);
  font: inherit; letter-spacing: normal; word-spacing: normal; text-transform: none;
  border: 1px solid var(--pc-line); border-radius: 12px;
}
.header { display: flex; align-items: center; gap: 10px; padding: 10px 14px; border-bottom: 1px solid var(--pc-line); }
.avatar {
  flex: none; width: 34px; height: 34px; border-radius: 50%;
  display: grid; place-items: center;
  background: var(--pc-accent); color: var(--pc-accent-fg); font-weight: 700;
}
.heading { min-width: 0; }
.title { margin: 0; font-size: 16px; font-weight: 700; line-height: 1.25; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.subtitle { margin: 0; font-size: 12px; color: var(--pc-muted); }
.error {
  margin: 10px 14px 0; padding: 8px 10px; border-radius: 8px;
  background: var(--pc-error-bg); color: var(--pc-error-fg); font-size: 14px;
}
.error[hidden] { display: none; }
.transcript {
  position: relative; flex: 1; min-height: 0; overflow-y: auto;
  list-style: none; margin: 0; padding: 12px 14px; display: flex; flex-direction: column; gap: 10px;
}
.msg { max-width: 88%; padding: 8px 11px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.assistant { align-self: flex-start; background: var(--pc-bot); border-bottom-left-radius: 4px; }
.msg.user { align-self: flex-end; background: var(--pc-user); border-bottom-right-radius: 4px; }
.msg.user[data-status="pending"] { opacity: 0.75; }
.msg.user[data-status="failed"] { outline: 1px solid var(--pc-error-fg); }
.status { display: block; margin-top: 4px; font-size: 12px; color: var(--pc-muted); white-space: normal; }
.msg[data-status="failed"] .status { color: var(--pc-error-fg); }
.status button, .cite {
  font: inherit; color: var(--pc-accent); background: none; border: 0; padding: 0; margin: 0 0 0 6px;
  cursor: pointer; text-decoration: underline;
}
.cite { margin: 0 1px; font-size: 0.75em; vertical-align: super; line-height: 1; text-decoration: none; font-weight: 600; }
.sources { margin: 8px 0 0; padding: 6px 0 0; border-top: 1px solid var(--pc-line); list-style: none; font-size: 13px; white-space: normal; }
.sources li { margin: 2px 0; padding: 2px 4px; border-radius: 4px; }
.sources li.highlight { background: color-mix(in srgb, var(--pc-accent) 18%, transparent); }
.sources .n { font-weight: 600; color: var(--pc-accent); }
.sources cite { font-style: italic; color: var(--pc-muted); }
.streaming::after { content: "▍"; color: var(--pc-muted); }
.progress { min-height: 1.5em; margin: 0; padding: 2px 14px; font-size: 12px; color: var(--pc-muted); }
.progress span { margin-right: 8px; }
.progress span[data-state="finished"]::after { content: " ✓"; }
.progress span[data-state="started"]::after { content: " …"; }
.composer { display: flex; gap: 8px; padding: 10px 14px 12px; border-top: 1px solid var(--pc-line); margin: 0; }
textarea {
  flex: 1; min-width: 0; resize: none; margin: 0; padding: 8px 10px;
  font: inherit; color: var(--pc-fg); background: var(--pc-bg);
  border: 1px solid var(--pc-line); border-radius: 8px;
}
.send {
  flex: none; margin: 0; padding: 0 16px; border: 0; border-radius: 8px;
  font: inherit; font-weight: 600; color: var(--pc-accent-fg); background: var(--pc-accent); cursor: pointer;
}
.send:disabled, textarea:disabled { opacity: 0.55; cursor: not-allowed; }
:focus-visible { outline: 2px solid var(--pc-accent); outline-offset: 2px; }
@media (prefers-reduced-motion: no-preference) {
  .msg.user[data-status="pending"] .status { animation: pc-pulse 1.2s ease-in-out infinite; }
  @keyframes pc-pulse { 50% { opacity: 0.4; } }
}
`;

/** Resolves after the browser has painted (or after 100 ms where frames are paused, e.g. a
 * background tab): the pending message is on screen before the engine starts working. */
function afterPaint() {
  return new Promise((resolve) => {
    const fallback = setTimeout(resolve, 100);
    requestAnimationFrame(() => setTimeout(() => { clearTimeout(fallback); resolve(); }, 0));
  });
}

/** An error message as a sentence (the engine's start in lower case). */
function sentence(message) {
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** `document.createElement(tag)` with a class and (text only) content. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class PersonaChat extends HTMLElement {
  static observedAttributes = ['knowledge', 'endpoint', 'model', 'title'];

  #ui;
  #engine = null;
  #loading = 0; // which load is current (an attribute change starts another)
  #started = false;
  #nextId = 1;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = el('style', '', CSS);
    const chat = el('section', 'chat');
    chat.setAttribute('part', 'chat');
    const header = el('header', 'header');
    header.setAttribute('part', 'header');
    const avatar = el('div', 'avatar', '…');
    avatar.setAttribute('aria-hidden', 'true');
    const heading = el('div', 'heading');
    const title = el('div', 'title', 'Loading…');
    title.setAttribute('part', 'title');
    title.setAttribute('role', 'heading');
    title.setAttribute('aria-level', '2');
    const subtitle = el('p', 'subtitle', '');
    heading.append(title, subtitle);
    header.append(avatar, heading);
    const error = el('p', 'error');
    error.setAttribute('part', 'error');
    error.setAttribute('role', 'alert');
    error.hidden = true;
    const transcript = el('ol', 'transcript');
    transcript.setAttribute('part', 'transcript');
    transcript.setAttribute('aria-label', 'Conversation');
    transcript.setAttribute('aria-live', 'polite');
    const progress = el('p', 'progress');
    progress.setAttribute('part', 'progress');
    const form = el('form', 'composer');
    form.setAttribute('part', 'composer');
    const input = el('textarea');
    input.setAttribute('part', 'input');
    input.rows = 2;
    input.setAttribute('aria-label', 'Your message');
    input.placeholder = 'Loading…';
    input.disabled = true;
    const send = el('button', 'send', 'Send');
    send.setAttribute('part', 'send');
    send.type = 'submit';
    send.disabled = true;
    form.append(input, send);
    chat.append(header, error, transcript, progress, form);
    root.append(style, chat);
    this.#ui = { chat, avatar, title, subtitle, error, transcript, progress, input, send };

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submit();
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.#submit();
      }
    });
  }

  /** The PersonaEngine once the bundle has loaded (`null` before, or after a failed load). */
  get engine() {
    return this.#engine;
  }

  connectedCallback() {
    if (!this.#started) {
      this.#started = true;
      this.#load();
    }
  }

  attributeChangedCallback(name, previous, value) {
    if (previous === value || !this.#started) return;
    if (name === 'knowledge') this.#load();
    if (name === 'title') this.#showTitle();
    if (name === 'endpoint' || name === 'model') this.#showSubtitle();
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(`persona-chat:${type}`, { detail, bubbles: true, composed: true }));
  }

  #showTitle() {
    const name = this.#engine?.personaName;
    this.#ui.title.textContent = this.getAttribute('title') || name || 'Chat';
    this.#ui.avatar.textContent = (name || this.#ui.title.textContent || '?').trim().charAt(0).toUpperCase();
  }

  #showSubtitle() {
    const endpoint = this.#options();
    this.#ui.subtitle.textContent = !this.#engine
      ? ''
      : endpoint
        ? `Answers from this site's articles · ${endpoint.model || 'model'} at ${new URL(endpoint.endpoint).host}`
        : "Answers from this site's articles";
  }

  #showError(message) {
    const { error } = this.#ui;
    error.hidden = false;
    error.textContent = sentence(message);
  }

  #setEnabled(enabled) {
    this.#ui.input.disabled = !enabled;
    this.#ui.send.disabled = !enabled;
  }

  /** `{ endpoint, model }` from the attributes, the endpoint made absolute; or null (offline). */
  #options() {
    const endpoint = this.getAttribute('endpoint')?.trim();
    if (!endpoint) return null;
    try {
      return { endpoint: new URL(endpoint, document.baseURI).href, model: this.getAttribute('model')?.trim() ?? '' };
    } catch {
      return { endpoint, model: this.getAttribute('model')?.trim() ?? '' };
    }
  }

  async #load() {
    const load = ++this.#loading;
    const ui = this.#ui;
    this.#engine = null;
    this.#setEnabled(false);
    ui.error.hidden = true;
    ui.error.textContent = '';
    ui.transcript.replaceChildren();
    ui.progress.replaceChildren();
    ui.title.textContent = 'Loading…';
    ui.input.placeholder = 'Loading…';
    const knowledge = this.getAttribute('knowledge')?.trim();
    let engine;
    try {
      if (!knowledge) throw new Error('This chat has no knowledge bundle: set its knowledge attribute to the bundle URL.');
      engine = await loadEngine(new URL(knowledge, document.baseURI).href);
    } catch (error) {
      if (load !== this.#loading) return;
      const message = error?.message || String(error);
      this.#showTitle();
      this.#showError(message);
      ui.input.placeholder = 'The chat is unavailable.';
      this.#emit('error', { message, during: 'load' });
      return;
    }
    if (load !== this.#loading) return;
    this.#engine = engine;
    this.#showTitle();
    this.#showSubtitle();
    if (engine.greeting) ui.transcript.append(this.#assistant(engine.greeting));
    ui.input.placeholder = `Ask ${engine.personaName}…`;
    this.#setEnabled(true);
    this.#emit('ready', { engine, personaName: engine.personaName, chunkCount: engine.chunkCount, prebuilt: engine.prebuilt });
  }

  #assistant(text) {
    const li = el('li', 'msg assistant', text);
    li.setAttribute('part', 'message assistant');
    return li;
  }

  #scrollToEnd() {
    const list = this.#ui.transcript;
    list.scrollTop = list.scrollHeight;
  }

  #submit() {
    const { input } = this.#ui;
    const question = input.value.trim();
    if (!question || !this.#engine) return;
    input.value = '';
    this.#ask(question);
  }

  /** Shows `question` at once as pending, runs the turn, then shows the reply or the failure. */
  async #ask(question, existing) {
    const engine = this.#engine;
    const load = this.#loading;
    const ui = this.#ui;
    const id = existing?.dataset.id ?? `q${this.#nextId++}`;
    const user = existing ?? el('li', 'msg user');
    user.replaceChildren(document.createTextNode(question), el('span', 'status', 'Sending…'));
    user.dataset.id = id;
    user.dataset.status = 'pending';
    user.setAttribute('part', 'message user');
    if (!existing) ui.transcript.append(user);
    this.#scrollToEnd();

    let live = null; // the reply as it streams
    const stages = new Map();
    const onProgress = (event) => {
      if (load !== this.#loading) return;
      if (event.token !== undefined) {
        if (!live) {
          live = this.#assistant('');
          live.classList.add('streaming');
          live.dataset.replyTo = id;
          user.after(live);
        }
        live.append(document.createTextNode(event.token));
        this.#scrollToEnd();
      } else if (event.discarded) {
        live?.remove();
        live = null;
      } else if (event.stage) {
        stages.set(event.stage, event.state);
        ui.progress.replaceChildren(
          ...STAGES.filter((s) => stages.has(s)).map((s) => {
            const span = el('span', '', s);
            span.dataset.stage = s;
            span.dataset.state = stages.get(s);
            return span;
          }),
        );
      }
    };
    try {
      await afterPaint();
      const reply = await engine.ask(question, onProgress, this.#options() ?? undefined);
      if (load !== this.#loading) return;
      live?.remove();
      user.dataset.status = 'sent';
      user.querySelector('.status')?.remove();
      user.after(this.#reply(id, reply));
      ui.progress.replaceChildren();
      this.#scrollToEnd();
      this.#emit('reply', { question, reply });
    } catch (error) {
      if (load !== this.#loading) return;
      live?.remove();
      ui.progress.replaceChildren();
      const message = error?.message || String(error);
      this.#failed(user, question, message);
      this.#emit('error', { message, during: 'ask', question });
    }
  }

  /** A failed message: the reason, and Retry / Edit (the text is never lost). */
  #failed(user, question, message) {
    user.dataset.status = 'failed';
    const status = el('span', 'status', sentence(message));
    const retry = el('button', '', 'Retry');
    retry.type = 'button';
    retry.addEventListener('click', () => this.#ask(question, user));
    const edit = el('button', '', 'Edit');
    edit.type = 'button';
    edit.addEventListener('click', () => {
      user.remove();
      const { input } = this.#ui;
      input.value = input.value ? `${question}\n${input.value}` : question;
      input.focus();
    });
    status.append(retry, edit);
    user.replaceChildren(document.createTextNode(question), status);
  }

  /** The reply as text nodes, `[n]` citations as buttons that point at the listed sources. */
  #reply(id, reply) {
    const li = this.#assistant('');
    li.dataset.replyTo = id;
    const facts = new Map((reply.facts ?? []).map((fact) => [fact.number, fact]));
    const sources = el('ol', 'sources');
    sources.setAttribute('aria-label', 'Sources');
    const items = new Map();
    for (const fact of facts.values()) {
      const item = el('li');
      item.dataset.n = String(fact.number);
      item.append(el('span', 'n', `[${fact.number}] `), document.createTextNode(fact.text), document.createTextNode(' — '), el('cite', '', fact.article));
      items.set(fact.number, item);
      sources.append(item);
    }
    for (const part of String(reply.text).split(/(\[\d+\])/)) {
      const number = /^\[(\d+)\]$/.exec(part)?.[1];
      const item = number && items.get(Number(number));
      if (!item) {
        if (part) li.append(document.createTextNode(part));
        continue;
      }
      const cite = el('button', 'cite', part);
      cite.type = 'button';
      cite.setAttribute('aria-label', `Source ${number}: ${facts.get(Number(number)).article}`);
      cite.addEventListener('click', () => {
        for (const other of sources.children) other.classList.remove('highlight');
        item.classList.add('highlight');
        // Scroll the transcript only, never the host page.
        const list = this.#ui.transcript;
        const top = item.offsetTop - list.clientHeight / 2;
        list.scrollTop = Math.max(0, top);
      });
      li.append(cite);
    }
    if (items.size) li.append(sources);
    return li;
  }
}

if (!customElements.get('persona-chat')) customElements.define('persona-chat', PersonaChat);
