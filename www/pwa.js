// Registers the service worker and runs the update flow: when a new version has installed and
// waits, a bar says so and offers Reload; Reload asks the new worker to take over, and the page
// reloads once it controls it (the old cache is removed as it activates).
(() => {
  if (!('serviceWorker' in navigator)) return;
  let reloading = false;
  const offer = (worker) => {
    if (document.getElementById('update-bar')) return;
    const bar = document.createElement('div');
    bar.id = 'update-bar';
    bar.className = 'update-bar';
    bar.setAttribute('role', 'status');
    const text = document.createElement('span');
    text.textContent = 'A new version of this app is ready.';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Reload';
    button.addEventListener('click', () => {
      reloading = true;
      worker.postMessage({ type: 'SKIP_WAITING' });
    });
    bar.append(text, button);
    document.body.append(bar);
  };
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloading) window.location.reload();
  });
  window.addEventListener('load', async () => {
    try {
      const registration = await navigator.serviceWorker.register('./sw.js', { scope: './' });
      const watch = (worker) => worker.addEventListener('statechange', () => {
        if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
      });
      if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
      if (registration.installing) watch(registration.installing);
      registration.addEventListener('updatefound', () => watch(registration.installing));
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') registration.update().catch(() => {});
      });
      window.personaServiceWorker = registration;
    } catch (error) {
      console.warn('the service worker could not be registered', error);
    }
  });
})();
