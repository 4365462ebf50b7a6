// bucketpress: decrypts a private post in the browser with WebCrypto.
// Key: PBKDF2-HMAC-SHA256(passphrase, salt, iterations) -> HKDF-SHA256 -> AES-256-GCM key.
// "Remember for this tab" keeps the derived key (never the passphrase) in sessionStorage.
(() => {
  'use strict';
  const root = document.querySelector('[data-bp-private]');
  if (!root) return;
  const form = root.querySelector('[data-bp-form]');
  const status = root.querySelector('[data-bp-status]');
  const body = root.querySelector('[data-bp-body]');
  const input = form.querySelector('input[type=password]');
  const remember = form.querySelector('[data-bp-remember]');
  const button = form.querySelector('button');
  const p = JSON.parse(root.querySelector('[data-bp-payload]').textContent);
  const utf8 = new TextEncoder();
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const toB64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
  const storeKey = 'bucketpress-key:' + p.salt + ':' + p.iterations;

  const say = (text, isError) => {
    status.textContent = text;
    status.classList.toggle('private-error', !!isError);
  };

  if (!window.crypto || !crypto.subtle) {
    say('This page can only be unlocked over https (the browser offers its decryption only to secure pages).', true);
    button.disabled = true;
    return;
  }

  async function deriveKey(passphrase) {
    const base = await crypto.subtle.importKey('raw', utf8.encode(passphrase), 'PBKDF2', false, ['deriveBits']);
    const master = await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: bytes(p.salt), iterations: p.iterations }, base, 256);
    const hkdf = await crypto.subtle.importKey('raw', master, 'HKDF', false, ['deriveBits']);
    return crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode('bucketpress v1 aes-256-gcm key') },
      hkdf, 256);
  }

  async function open(rawKey) {
    const key = await crypto.subtle.importKey('raw', rawKey, 'AES-GCM', false, ['decrypt']);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes(p.nonce), additionalData: utf8.encode(p.aad) }, key, bytes(p.ciphertext));
    return JSON.parse(new TextDecoder().decode(plain));
  }

  function show(doc) {
    const heading = document.querySelector('.post-title');
    if (heading && doc.title) {
      const shown = heading.textContent;
      heading.textContent = doc.title;
      if (shown && document.title.includes(shown)) document.title = document.title.replace(shown, doc.title);
    }
    body.innerHTML = doc.html;
    body.hidden = false;
    form.hidden = true;
    root.classList.add('private-unlocked');
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    say('Unlocking\u2026', false);
    try {
      const raw = await deriveKey(input.value);
      let doc;
      try {
        doc = await open(raw);
      } catch (_) {
        say('Wrong passphrase. Please try again.', true);
        input.select();
        return;
      }
      if (remember && remember.checked) sessionStorage.setItem(storeKey, toB64(raw));
      input.value = '';
      say('', false);
      show(doc);
    } catch (err) {
      say('Cannot decrypt this page: ' + err, true);
    } finally {
      button.disabled = false;
    }
  });

  const saved = sessionStorage.getItem(storeKey);
  if (saved) {
    open(bytes(saved)).then(show, () => sessionStorage.removeItem(storeKey));
  }
})();
