// MyCase share viewer. Decrypts a share bundle in this browser with WebCrypto and
// shows it. The key is in the link's fragment (after #), which the browser never
// sends to the server. Format: client-core/src/share/format.rs and contents.rs;
// keep this file in step with them (frozen vectors test both).
//
// The page renders only after a complete, verified decryption. When done,
// <html data-state> is "ready" or "error" (data-error names the failure).
//
// This script comes from the server that holds the share: a compromised server
// could send one that leaks the key, and the page says so. `mycase share open`
// runs no server code. The key is dropped from the address bar and the history
// as soon as it is read. The fetch proves it holds the link by sending an access
// token derived from the key (client-core/src/share/access.rs), never the key.
'use strict';

(function () {
  const MAGIC = 'MYCASESH';
  const VERSION = 1;
  const HEADER_LEN = 74;
  const CORE_LEN = 42;
  const TAG_LEN = 16;
  const MIN_ITERATIONS = 600000;
  const MAX_ITERATIONS = 10000000;
  const FLAG_PASSWORD = 1;
  const LABEL_KEY_CHECK = 'mycase/v1/share/key-check';
  const LABEL_PASSWORD_CHECK = 'mycase/v1/share/password-check';
  const LABEL_BODY = 'mycase/v1/share/body';
  const LABEL_ACCESS_TOKEN = 'mycase/v1/share/access-token';
  // The only files shown in the page (a fixed list: no SVG, HTML or anything a
  // browser would run); anything else is offered only as a download.
  const INLINE_TYPES = new Set([
    'image/png', 'image/jpeg', 'image/gif', 'image/webp',
    'audio/mpeg', 'audio/mp4', 'audio/ogg', 'audio/wav', 'audio/webm',
    'video/mp4', 'video/webm',
    'application/pdf',
  ]);
  // Bidirectional overrides and isolates, other format characters, and control
  // characters: a file name must read as what it is ("Statement\u202Efdp.exe"
  // would otherwise show as "Statementexe.pdf").
  const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

  const MESSAGES = {
    'not-a-link': 'This is not a complete share link. Ask the person who shared it to send the whole link again.',
    'link-incomplete': 'This link is incomplete: the part after # is missing or cut short. Copy the whole link, or ask the person who shared it to send it again. (The key is removed from the address bar once read: to open the share again, use the link itself, not a reload.)',
    'wrong-key': 'This link\'s key does not open this share. The link is incomplete or was changed: copy the whole link, including the part after #.',
    'too-many': 'Too many attempts to open shares from this network. Wait a minute and reload the page.',
    'altered': 'This share has been altered: its contents do not match what was shared, so it is not shown.',
    'not-a-share': 'This is not a MyCase share, or it was damaged on the way.',
    'unsupported': 'This share was made by a newer version of MyCase that this page cannot read.',
    'weak-password-protection': 'This share\'s password protection is weaker than MyCase allows, so it was not made by MyCase or was altered. It is not shown.',
    'expired': 'This share has ended: it has expired. Ask the person who shared it for a new link if you still need it.',
    'revoked': 'This share has ended: the person who shared it has withdrawn it.',
    'view-limit': 'This share has ended: it has been opened as many times as allowed.',
    'unknown': 'This share does not exist or has ended.',
    'network': 'The shared record could not be fetched. Check your connection and reload the page.',
    'server': 'The server could not send the shared record. Try again later.',
    'no-webcrypto': 'This browser cannot decrypt the shared record (it lacks WebCrypto over HTTPS). Try a current browser.',
  };
  const ENDED = { 'expired': 'expired', 'revoked': 'revoked', 'view limit reached': 'view-limit', 'unknown': 'unknown' };

  const FIELDS = [
    ['occurred', 'When it happened'],
    ['categories', 'Categories'],
    ['tags', 'Tags'],
    ['severity', 'Severity'],
    ['location', 'Location'],
    ['people', 'People'],
    ['injuries', 'Injuries'],
    ['police_references', 'Police references'],
    ['actions_taken', 'Actions taken'],
    ['impact', 'Impact'],
  ];

  class ShareFailure extends Error {
    constructor(code) { super(code); this.code = code; }
  }

  const $ = (id) => document.getElementById(id);
  const enc = (s) => new TextEncoder().encode(s);
  const subtle = () => {
    if (!window.crypto || !window.crypto.subtle) { throw new ShareFailure('no-webcrypto'); }
    return window.crypto.subtle;
  };

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function hexToBytes(hex) {
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) { out[i] = parseInt(hex.substr(i * 2, 2), 16); }
    return out;
  }

  function bytesToHex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // base64url without padding; null unless exactly canonical.
  function base64urlDecode(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) { return null; }
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
    let bin;
    try { bin = atob(b64); } catch (e) { return null; }
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }

  async function hkdfBits(ikm, label) {
    const base = await subtle().importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
    return new Uint8Array(await subtle().deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc(label) }, base, 256));
  }

  async function hkdf(ikm, label) {
    return subtle().importKey('raw', await hkdfBits(ikm, label), 'AES-GCM', false, ['decrypt']);
  }

  // What the server checks before it counts a view or sends a byte.
  async function accessToken(key) {
    return bytesToHex(await hkdfBits(key, LABEL_ACCESS_TOKEN));
  }

  function safeName(name, fallback) {
    const cleaned = String(name || '').replace(UNSAFE_NAME_CHARS, '').trim();
    return cleaned || fallback;
  }

  async function gcmOpen(key, nonce, sealed, ad) {
    try {
      return new Uint8Array(await subtle().decrypt(
        { name: 'AES-GCM', iv: nonce, additionalData: ad, tagLength: 128 }, key, sealed));
    } catch (e) {
      return null;
    }
  }

  async function pbkdf2(password, salt, iterations) {
    const base = await subtle().importKey('raw', enc(password), 'PBKDF2', false, ['deriveBits']);
    return new Uint8Array(await subtle().deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, 256));
  }

  function parseHeader(bundle) {
    const magic = new TextDecoder().decode(bundle.subarray(0, 8));
    if (bundle.length < 9 || magic !== MAGIC) { throw new ShareFailure('not-a-share'); }
    if (bundle[8] !== VERSION) { throw new ShareFailure('unsupported'); }
    if (bundle.length < HEADER_LEN + TAG_LEN) { throw new ShareFailure('not-a-share'); }
    const view = new DataView(bundle.buffer, bundle.byteOffset, bundle.byteLength);
    return {
      header: bundle.subarray(0, HEADER_LEN),
      hasPassword: (bundle[9] & FLAG_PASSWORD) !== 0,
      iterations: view.getUint32(10, false),
      salt: bundle.subarray(14, 30),
      nonce: bundle.subarray(30, 42),
      keyCheck: bundle.subarray(42, 58),
      passwordCheck: bundle.subarray(58, 74),
      body: bundle.subarray(HEADER_LEN),
    };
  }

  const ZERO_NONCE = new Uint8Array(12);

  async function checkKey(shareId, key, h) {
    const checkAd = concat(shareId, h.header.subarray(0, CORE_LEN));
    const ok = await gcmOpen(await hkdf(key, LABEL_KEY_CHECK), ZERO_NONCE, h.keyCheck, checkAd);
    if (!ok) { throw new ShareFailure('wrong-key'); }
    if (h.hasPassword && (h.iterations < MIN_ITERATIONS || h.iterations > MAX_ITERATIONS)) {
      throw new ShareFailure('weak-password-protection');
    }
  }

  // The secret for the body: K, or K || PBKDF2(password). null for a wrong password.
  async function secretFor(shareId, key, h, password) {
    if (!h.hasPassword) { return key; }
    const secret = concat(key, await pbkdf2(password, h.salt, h.iterations));
    const checkAd = concat(shareId, h.header.subarray(0, CORE_LEN));
    const ok = await gcmOpen(await hkdf(secret, LABEL_PASSWORD_CHECK), ZERO_NONCE, h.passwordCheck, checkAd);
    return ok ? secret : null;
  }

  async function openBody(shareId, secret, h) {
    const padded = await gcmOpen(await hkdf(secret, LABEL_BODY), h.nonce, h.body, concat(shareId, h.header));
    if (!padded) { throw new ShareFailure('altered'); }
    return padded;
  }

  // Padmé framing, then manifest length, manifest JSON, attachments.
  async function decodeContents(padded) {
    const view = new DataView(padded.buffer, padded.byteOffset, padded.byteLength);
    if (padded.length < 4) { throw new ShareFailure('altered'); }
    const len = view.getUint32(0, false);
    if (4 + len > padded.length) { throw new ShareFailure('altered'); }
    for (let i = 4 + len; i < padded.length; i++) {
      if (padded[i] !== 0) { throw new ShareFailure('altered'); }
    }
    const contents = padded.subarray(4, 4 + len);
    if (contents.length < 4) { throw new ShareFailure('altered'); }
    const jsonLen = new DataView(contents.buffer, contents.byteOffset, contents.byteLength).getUint32(0, false);
    if (4 + jsonLen > contents.length) { throw new ShareFailure('altered'); }
    let manifest;
    try {
      manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(contents.subarray(4, 4 + jsonLen)));
    } catch (e) {
      throw new ShareFailure('altered');
    }
    if (!manifest || manifest.format !== 1 || !Array.isArray(manifest.entries)) { throw new ShareFailure('altered'); }
    let at = 4 + jsonLen;
    const files = [];
    for (const entry of manifest.entries) {
      for (const att of (entry.attachments || [])) {
        const size = Number(att.size);
        if (!Number.isSafeInteger(size) || size < 0 || at + size > contents.length) { throw new ShareFailure('altered'); }
        const bytes = contents.slice(at, at + size);
        const digest = bytesToHex(new Uint8Array(await subtle().digest('SHA-256', bytes)));
        if (digest !== String(att.sha256).toLowerCase()) { throw new ShareFailure('altered'); }
        files.push(bytes);
        at += size;
      }
    }
    if (at !== contents.length) { throw new ShareFailure('altered'); }
    return { manifest, files };
  }

  function when(ms) {
    const d = new Date(Number(ms));
    if (isNaN(d.getTime())) { return 'unknown time'; }
    return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { node.setAttribute(k, v); }
    for (const c of children) {
      if (c !== null && c !== undefined) { node.append(c instanceof Node ? c : String(c)); }
    }
    return node;
  }

  function fieldText(entry, name) {
    const v = entry[name];
    if (v === undefined || v === null) { return null; }
    if (Array.isArray(v)) { return v.length ? v.join(', ') : null; }
    if (name === 'severity') { return `${v} of 5`; }
    return String(v) === '' ? null : String(v);
  }

  function humanSize(n) {
    if (n < 1024) { return `${n} bytes`; }
    if (n < 1024 * 1024) { return `${(n / 1024).toFixed(1)} KiB`; }
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  function renderAttachment(att, bytes) {
    const type = String(att.media_type || '').toLowerCase().trim();
    const inline = INLINE_TYPES.has(type);
    const name = safeName(att.name, 'attachment');
    const shownType = safeName(type, 'file');
    const item = el('li', {}, el('strong', { class: 'file-name' }, name), ` (${shownType}, ${humanSize(bytes.length)}) `);
    // A copy without location metadata says so, with both checksums; its
    // download name never passes for the original's.
    const copy = att.location_removed && typeof att.location_removed === 'object' ? att.location_removed : null;
    const downloadName = copy ? name.replace(/(\.[^.]*)?$/, (ext) => `.no-location${ext}`) : name;
    const downloadUrl = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    item.append(el('a', { href: downloadUrl, download: downloadName, class: 'download' }, 'Download'));
    if (copy) {
      const removed = (Array.isArray(copy.removed) ? copy.removed : []).map((r) => safeName(r, '')).filter(Boolean).join(', ');
      item.append(el('p', { class: 'copy-note' },
        `This is a copy without location data (removed: ${removed || 'location data'}), SHA-256 ${safeName(att.sha256, '?')}. ` +
        `It is not the recorded original, which has SHA-256 ${safeName(copy.original_sha256, '?')} (${humanSize(Number(copy.original_size) || 0)}).`));
    }
    if (inline) {
      const url = URL.createObjectURL(new Blob([bytes], { type }));
      if (type.startsWith('image/')) { item.append(el('img', { src: url, alt: name })); }
      else if (type.startsWith('audio/')) { item.append(el('audio', { src: url, controls: '' })); }
      else if (type.startsWith('video/')) { item.append(el('video', { src: url, controls: '' })); }
      else {
        // A sandboxed frame: a crafted document gets no script, no forms, no
        // navigation of this page. Some browsers then show no PDF at all: the
        // download link above is always there.
        item.append(el('iframe', { src: url, title: name, sandbox: '' }));
      }
    }
    return item;
  }

  function renderEntry(entry, files, fileIndex) {
    const article = el('article', { class: 'entry' });
    article.append(el('h2', {}, entry.title || 'Untitled entry'));
    const dl = el('dl');
    for (const [name, label] of FIELDS) {
      const text = fieldText(entry, name);
      if (text !== null) { dl.append(el('dt', {}, label), el('dd', {}, text)); }
    }
    dl.append(el('dt', {}, 'First recorded'), el('dd', {}, when(entry.recorded_at_ms)));
    article.append(dl);
    article.append(el('div', { class: 'text' }, entry.text || ''));
    const atts = entry.attachments || [];
    if (atts.length) {
      const list = el('ul', { class: 'attachments' });
      for (const att of atts) { list.append(renderAttachment(att, files[fileIndex.next++])); }
      article.append(el('h3', {}, 'Evidence'), list);
    }
    const history = entry.history || [];
    if (history.length) {
      const section = el('section', { class: 'history' }, el('h3', {}, 'History'));
      const list = el('ol');
      for (const rev of history) {
        const li = el('li', {}, `${String(rev.kind || 'changed').replace(/^./, (c) => c.toUpperCase())} ${when(rev.recorded_at_ms)}`);
        const changes = rev.changes || [];
        if (changes.length) {
          const ul = el('ul');
          for (const c of changes) { ul.append(el('li', {}, `${c.field}: `, el('span', { class: 'value' }, c.value))); }
          li.append(ul);
        }
        list.append(li);
      }
      section.append(list);
      article.append(section);
    }
    return article;
  }

  function render(manifest, files) {
    const entries = $('entries');
    const fileIndex = { next: 0 };
    const fragment = document.createDocumentFragment();
    for (const entry of manifest.entries) { fragment.append(renderEntry(entry, files, fileIndex)); }
    entries.replaceChildren(fragment);
    const n = manifest.entries.length;
    $('summary').textContent = `${n} ${n === 1 ? 'entry' : 'entries'}, in the order they happened. Shared ${when(manifest.created_at_ms)}.`;
    $('record').hidden = false;
  }

  function showError(code) {
    $('password-form').hidden = true;
    $('record').hidden = true;
    $('entries').replaceChildren();
    $('status-text').textContent = MESSAGES[code] || MESSAGES.altered;
    document.documentElement.dataset.error = code;
    document.documentElement.dataset.state = 'error';
  }

  // Resolves with the body's secret once the right password is entered.
  function askPassword(shareId, key, h) {
    const form = $('password-form');
    const input = $('password');
    const error = $('password-error');
    $('status-text').textContent = 'This share is protected by a password.';
    form.hidden = false;
    document.documentElement.dataset.state = 'password';
    input.focus();
    return new Promise((resolve, reject) => {
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        $('password-submit').disabled = true;
        error.textContent = 'Checking…';
        try {
          const secret = await secretFor(shareId, key, h, input.value);
          if (secret) {
            form.hidden = true;
            resolve(secret);
          } else {
            error.textContent = 'The password is not right. Check it and try again.';
            document.documentElement.dataset.passwordAttempts = String(Number(document.documentElement.dataset.passwordAttempts || 0) + 1);
          }
        } catch (e) {
          reject(e);
        } finally {
          $('password-submit').disabled = false;
        }
      });
    });
  }

  async function fetchBundle(idHex, token) {
    let response;
    try {
      response = await fetch(`/s/${idHex}/bundle`, {
        cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
        headers: { 'Authorization': `Bearer ${token}` },
      });
    } catch (e) {
      throw new ShareFailure('network');
    }
    if (response.status === 403) { throw new ShareFailure('wrong-key'); }
    if (response.status === 429) { throw new ShareFailure('too-many'); }
    if (response.status === 410) {
      let reason = 'unknown';
      try { reason = (await response.json()).ended; } catch (e) { /* the status says enough */ }
      throw new ShareFailure(ENDED[reason] || 'unknown');
    }
    if (!response.ok) { throw new ShareFailure('server'); }
    return new Uint8Array(await response.arrayBuffer());
  }

  async function main() {
    const match = /^\/s\/([0-9a-f]{32})\/?$/.exec(location.pathname);
    if (!match) { throw new ShareFailure('not-a-link'); }
    const shareId = hexToBytes(match[1]);
    const key = base64urlDecode(location.hash.replace(/^#/, ''));
    // Read once, then gone from the address bar and this history entry, so it
    // is not left on screen, in the history list or in a copied address.
    history.replaceState(null, '', location.pathname);
    if (!key || key.length !== 32) { throw new ShareFailure('link-incomplete'); }
    subtle();
    const bundle = await fetchBundle(match[1], await accessToken(key));
    const h = parseHeader(bundle);
    await checkKey(shareId, key, h);
    const secret = h.hasPassword ? await askPassword(shareId, key, h) : key;
    $('status-text').textContent = 'Decrypting…';
    const { manifest, files } = await decodeContents(await openBody(shareId, secret, h));
    render(manifest, files);
    document.documentElement.dataset.state = 'ready';
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('print').addEventListener('click', () => window.print());
    main().catch((e) => showError(e instanceof ShareFailure ? e.code : 'altered'));
  });
})();
