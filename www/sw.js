// The service worker: precaches the app shell under a versioned cache, serves it offline, and
// updates cleanly. `scripts/stamp-sw.sh` (a trunk post-build hook) fills in the version (a hash
// of the built files) and the list of files; a new deployment therefore means a new sw.js, which
// the browser installs next to the old one and keeps waiting until the page asks it to take
// over (the user is told and chooses to reload). Only the precached files are ever served from
// the cache: nothing fetched at run time is stored, so model calls (POST, usually another
// origin) and anything else always go to the network.
const VERSION = '__PERSONA_VERSION__';
const FILES = __PERSONA_FILES__;
const PREFIX = 'persona-engine-';
const CACHE = `${PREFIX}${VERSION}`;
const scoped = (path) => new URL(path, self.registration.scope).href;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map(scoped))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
  if (event.data && event.data.type === 'VERSION') event.source?.postMessage({ type: 'VERSION', version: VERSION });
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  if (!request.url.startsWith(self.registration.scope)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // A page load (with any query, such as ?endpoint=…) is the app shell.
    if (request.mode === 'navigate') {
      const shell = await cache.match(scoped('./')) || await cache.match(scoped('index.html'));
      if (shell) {
        try {
          return await fetch(request);
        } catch {
          return shell;
        }
      }
      return fetch(request);
    }
    return (await cache.match(request)) || fetch(request);
  })());
});
