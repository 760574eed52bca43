// The host page's own script: a like counter, and a log of what the chat widget reports
// through its DOM events (they bubble out of the shadow root to the document).
(() => {
  let likes = 0;
  document.addEventListener('DOMContentLoaded', () => {
    const status = document.getElementById('host-status');
    document.getElementById('host-button').addEventListener('click', () => {
      likes += 1;
      status.textContent = `${likes} ${likes === 1 ? 'like' : 'likes'}`;
    });
  });
  const log = (line) => {
    const out = document.getElementById('host-log');
    if (out) out.textContent = `${out.textContent} ${line}`.trim();
  };
  document.addEventListener('persona-chat:ready', (event) => log(`${event.detail.personaName} is ready.`));
  document.addEventListener('persona-chat:reply', (event) => log(`Reply (${event.detail.reply.kind}).`));
  document.addEventListener('persona-chat:error', (event) => log(`Chat error: ${event.detail.message}`));
})();
