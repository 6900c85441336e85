// The service worker: after the first visit the site works with the network off.
// On install it caches every built file but the large data assets (the list and the build id
// are written by www/post-build.mjs after each build); a data asset (MNIST, 7.9 MB, fetched
// only by the labs that use it) is cached the first time a page fetches it; a new build has a new id, so a new cache, and the old
// caches are deleted when it activates. Requests go to the network first, so an online visitor
// always gets what the server has; the cache answers only when the network fails.
const BUILD = 'dev';
const FILES = [];
const LAZY = ['assets/mnist10k.bin'];
const PREFIX = 'hopfield-playground-';
const CACHE = `${PREFIX}${BUILD}`;
const scope = () => new URL(self.registration.scope);

self.addEventListener('install', (e) => {
  e.waitUntil((async () => {
    if (FILES.length) {
      const cache = await caches.open(CACHE);
      // `no-cache`: revalidate with the server, so the cache holds this build's files.
      await cache.addAll(FILES.filter((f) => !LAZY.includes(f)).map((f) => new Request(new URL(f, scope()), { cache: 'no-cache' })));
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (e) => {
  e.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET' || !FILES.length) return;
  const url = new URL(req.url);
  const base = scope();
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return;
  const rel = url.pathname.slice(base.pathname.length);
  // A page of the site (any query) is index.html; other requests only for the files built.
  const key = req.mode === 'navigate' ? (rel === '' || rel === 'index.html' ? 'index.html' : null) : (FILES.includes(rel) ? rel : null);
  if (key === null) return;
  e.respondWith(fetch(req).then(async (res) => {
    // A data asset fetched for the first time is kept for offline use.
    if (LAZY.includes(key) && res.ok && res.status === 200) {
      const cache = await caches.open(CACHE);
      if (!(await cache.match(new URL(key, base).href))) await cache.put(new URL(key, base).href, res.clone());
    }
    return res;
  }, async (err) => {
    const hit = await (await caches.open(CACHE)).match(new URL(key, base).href);
    if (hit) return hit;
    throw err;
  }));
});
