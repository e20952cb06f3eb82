// The app's one script (no other script, no inline script). What it does:
// - quick exit: the "Exit this page" button, or Shift pressed three times on its
//   own within a second, replaces the page with /exit (which locks);
// - every form[method=post] is sent with fetch and the X-MyCase-Request header;
//   a redirect is followed, a download is saved, any other answer replaces the
//   page; a form[data-upload] sends its file with a progress bar;
// - drafts: a form[data-draft="name"]'s fields are saved while typing (POST
//   /draft, kept encrypted by MyCase) and offered back after unlocking;
// - idle lock: after data-idle-minutes without a request the draft is saved
//   and the page locks; some activity keeps it open;
// - live events: the sync status, `mycase:changed` on the document when a
//   list is out of date, notices as banners, and a lock elsewhere.
// Nothing is ever kept in localStorage or sessionStorage.
'use strict';

(function () {
  var HEADERS = { 'X-MyCase-Request': '1' };
  var SHIFT_WINDOW_MS = 1000;
  var DRAFT_DELAY_MS = 1000;
  var ACTIVITY_PING_MS = 30000;
  // The page locks itself this long before the server would.
  var IDLE_MARGIN_MS = 10000;

  var lastRequest = Date.now();
  var idleTimer = null;
  var draftTimer = null;
  var events = null;
  var endingSession = false;

  function request(path, options) {
    options = options || {};
    var headers = Object.assign({}, HEADERS, options.headers || {});
    lastRequest = Date.now();
    scheduleIdleLock();
    return fetch(path, {
      method: options.method || 'POST',
      body: options.body,
      headers: headers,
      credentials: 'same-origin',
      redirect: 'follow',
      cache: 'no-store'
    });
  }

  // ---- Quick exit -------------------------------------------------------

  var leaving = false;

  function quickExit() {
    // Nothing else may navigate now (the lock that /exit causes would otherwise
    // send this page to /unlock over the live events, in place of the neutral page).
    leaving = true;
    clearTimeout(idleTimer);
    if (events) events.close();
    // replace, not assign: the tab's history entry for this page goes too.
    window.location.replace('/exit');
  }

  document.addEventListener('click', function (event) {
    var target = event.target.closest && event.target.closest('[data-quick-exit]');
    if (target) {
      event.preventDefault();
      quickExit();
    }
  });

  var shiftPresses = [];
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Shift') {
      shiftPresses = [];
      return;
    }
    if (event.repeat) return;
    var now = Date.now();
    shiftPresses.push(now);
    shiftPresses = shiftPresses.filter(function (t) { return now - t <= SHIFT_WINDOW_MS; });
    if (shiftPresses.length >= 3) {
      shiftPresses = [];
      quickExit();
    }
  }, true);

  // A page restored from the back/forward cache may show what was there
  // before a lock: ask the server again.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) window.location.reload();
  });

  // ---- Forms ------------------------------------------------------------

  function formBody(form, submitter) {
    var data = new FormData(form, submitter || undefined);
    if ((form.getAttribute('enctype') || '').toLowerCase() === 'multipart/form-data') return data;
    return new URLSearchParams(data);
  }

  function replacePage(html) {
    var next = new DOMParser().parseFromString(html, 'text/html');
    document.title = next.title;
    document.body.replaceWith(document.adoptNode(next.body));
    startPage();
  }

  function showProblem(words) {
    var notices = document.getElementById('notices');
    if (!notices) return;
    notices.replaceChildren(banner('There is a problem', words));
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if ((form.getAttribute('method') || '').toLowerCase() !== 'post') return;
    event.preventDefault();
    if (form.dataset.busy) return;
    if (form.hasAttribute('data-upload')) {
      upload(form);
      return;
    }
    form.dataset.busy = '1';
    // A form that erases the journal (data-ends-session) locks the app on its
    // way: its answer, not the lock, says what happened.
    if (form.hasAttribute('data-ends-session')) endingSession = true;
    var buttons = form.querySelectorAll('button, input[type=submit]');
    buttons.forEach(function (b) { b.setAttribute('aria-disabled', 'true'); });
    var done = function () {
      delete form.dataset.busy;
      buttons.forEach(function (b) { b.removeAttribute('aria-disabled'); });
    };
    request(form.getAttribute('action') || window.location.pathname, {
      body: formBody(form, event.submitter),
      headers: { Accept: 'text/html' }
    }).then(function (response) {
      if (response.ok && response.redirected) {
        var next = response.url;
        var finish = function () { window.location.assign(next); };
        if (form.dataset.draft) {
          clearTimeout(draftTimer);
          request('/draft/discard', { headers: { Accept: 'application/json' } }).then(finish, finish);
        } else {
          finish();
        }
        return;
      }
      if (/^attachment/i.test(response.headers.get('Content-Disposition') || '')) {
        return response.blob().then(function (blob) {
          done();
          saveDownload(blob, response.headers.get('Content-Disposition'));
        });
      }
      return response.text().then(function (html) {
        done();
        replacePage(html);
        endingSession = false;
      });
    }).catch(function () {
      done();
      endingSession = false;
      showProblem('MyCase is not answering. If you closed it, start it again with mycase app. Nothing was sent.');
    });
  });

  // ---- Uploads and downloads --------------------------------------------
  // A form[data-upload] sends its one file as the request body (XHR, for the
  // progress bar in its [data-upload-progress]), its name in X-MyCase-File-Name
  // and its other fields in X-MyCase-Fields; a [data-drop-zone] in it takes a
  // dropped file. A POST answered as a download is saved, not shown.

  function saveDownload(blob, disposition) {
    var name = /filename="([^"]*)"/.exec(disposition || '');
    var link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = name ? name[1] : 'download';
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  function upload(form) {
    var input = form.querySelector('input[type=file]');
    var file = input && input.files && input.files[0];
    var fields = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      var type = (el.type || '').toLowerCase();
      if (!el.name || el.disabled || ['file', 'submit', 'button', 'reset'].indexOf(type) >= 0) return;
      if ((type === 'checkbox' || type === 'radio') && !el.checked) return;
      fields.append(el.name, el.value);
    });
    var bar = form.querySelector('[data-upload-progress]');
    var words = form.querySelector('[data-upload-status]');
    var say = function (text) { if (words) words.textContent = text; };
    form.dataset.busy = '1';
    var xhr = new XMLHttpRequest();
    var action = form.getAttribute('action') || window.location.pathname;
    xhr.open('POST', action);
    xhr.setRequestHeader('X-MyCase-Request', '1');
    xhr.setRequestHeader('Accept', 'text/html');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('X-MyCase-File-Name', encodeURIComponent(file ? file.name : ''));
    xhr.setRequestHeader('X-MyCase-Fields', fields.toString());
    xhr.upload.addEventListener('progress', function (event) {
      if (!event.lengthComputable) return;
      if (bar) { bar.max = event.total; bar.value = event.loaded; bar.hidden = false; }
      var percent = Math.floor(100 * event.loaded / event.total);
      say(percent < 100 ? 'Sending: ' + percent + '%' : 'Storing it safely…');
    });
    xhr.addEventListener('load', function () {
      delete form.dataset.busy;
      var redirected = xhr.responseURL && new URL(xhr.responseURL).pathname !== action;
      if (xhr.status < 400 && redirected) {
        window.location.assign(xhr.responseURL);
        return;
      }
      replacePage(xhr.responseText);
    });
    xhr.addEventListener('error', function () {
      delete form.dataset.busy;
      say('');
      showProblem('MyCase is not answering. If you closed it, start it again with mycase app. Nothing was sent.');
    });
    lastRequest = Date.now();
    scheduleIdleLock();
    xhr.send(file || '');
  }

  document.addEventListener('dragover', function (event) {
    if (event.target.closest && event.target.closest('[data-drop-zone]')) event.preventDefault();
  });
  document.addEventListener('drop', function (event) {
    var zone = event.target.closest && event.target.closest('[data-drop-zone]');
    if (!zone) return;
    event.preventDefault();
    var form = zone.closest('form');
    var input = form && form.querySelector('input[type=file]');
    if (!input || !event.dataTransfer || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    if (form.requestSubmit) form.requestSubmit(); else upload(form);
  });

  // ---- Drafts -----------------------------------------------------------

  function draftFields(form) {
    var fields = new URLSearchParams();
    fields.append('_draft', form.dataset.draft);
    fields.append('_page', window.location.pathname);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name.charAt(0) === '_') return;
      var type = (el.type || '').toLowerCase();
      // Never a passphrase, a file, a handle or a button.
      if (['password', 'file', 'hidden', 'submit', 'button', 'reset'].indexOf(type) >= 0) return;
      if ((type === 'checkbox' || type === 'radio') && !el.checked) return;
      if (el.tagName === 'SELECT' && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { fields.append(el.name, o.value); });
        return;
      }
      fields.append(el.name, el.value);
    });
    return fields;
  }

  function saveDraft(form) {
    clearTimeout(draftTimer);
    draftTimer = null;
    return request('/draft', { body: draftFields(form), headers: { Accept: 'application/json' } })
      .catch(function () {});
  }

  document.addEventListener('input', function (event) {
    var form = event.target.form;
    if (!form || !form.dataset.draft) return;
    form.dataset.dirty = '1';
    clearTimeout(draftTimer);
    draftTimer = setTimeout(function () { saveDraft(form); }, DRAFT_DELAY_MS);
  });

  function fillForm(form, fields) {
    var values = {};
    fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in values)) return;
      var type = (el.type || '').toLowerCase();
      var given = values[el.name];
      if (type === 'checkbox' || type === 'radio') {
        el.checked = given.indexOf(el.value) >= 0;
      } else if (el.tagName === 'SELECT' && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = given.indexOf(o.value) >= 0; });
      } else if (['password', 'file', 'hidden'].indexOf(type) < 0) {
        el.value = given[0];
      }
    });
  }

  function offerDraft() {
    var form = document.querySelector('form[data-draft]');
    var offer = document.getElementById('draft-offer');
    if (!form || !offer) return;
    fetch('/draft', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        var draft = body && body.draft;
        if (!draft || draft.form !== form.dataset.draft) return;
        offer.hidden = false;
        offer.querySelector('[data-draft-restore]').onclick = function () {
          fillForm(form, draft.fields);
          offer.hidden = true;
          var first = form.querySelector('input, textarea, select');
          if (first) first.focus();
        };
        offer.querySelector('[data-draft-discard]').onclick = function () {
          request('/draft/discard', { headers: { Accept: 'application/json' } });
          offer.hidden = true;
        };
      })
      .catch(function () {});
  }

  // ---- Idle lock --------------------------------------------------------

  function unlocked() {
    return document.body && document.body.dataset.unlocked === 'true';
  }

  function idleLimitMs() {
    var minutes = Number(document.body.dataset.idleMinutes) || 0;
    return Math.max(minutes, 1) * 60000;
  }

  function lockForIdle() {
    if (leaving) return;
    var form = document.querySelector('form[data-draft][data-dirty]');
    var save = form ? saveDraft(form) : Promise.resolve();
    save.then(function () { return request('/lock'); })
      .catch(function () {})
      .then(function () { if (!leaving) window.location.replace('/unlock'); });
  }

  function scheduleIdleLock() {
    clearTimeout(idleTimer);
    if (!unlocked()) return;
    var wait = Math.max(lastRequest + idleLimitMs() - IDLE_MARGIN_MS - Date.now(), 1000);
    idleTimer = setTimeout(lockForIdle, wait);
  }

  ['keydown', 'pointerdown', 'scroll'].forEach(function (name) {
    window.addEventListener(name, function () {
      if (unlocked() && Date.now() - lastRequest > ACTIVITY_PING_MS) {
        request('/keepalive').catch(function () {});
      }
    }, { passive: true, capture: true });
  });

  // ---- Live events ------------------------------------------------------

  function banner(title, words) {
    var box = document.createElement('div');
    box.className = 'notification-banner';
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', title);
    var header = document.createElement('div');
    header.className = 'notification-banner__header';
    var heading = document.createElement('h2');
    heading.className = 'notification-banner__title';
    heading.textContent = title;
    header.appendChild(heading);
    var content = document.createElement('div');
    content.className = 'notification-banner__content';
    var text = document.createElement('p');
    text.className = 'body';
    text.textContent = words;
    content.appendChild(text);
    box.appendChild(header);
    box.appendChild(content);
    return box;
  }

  function data(event) {
    try { return JSON.parse(event.data); } catch (e) { return {}; }
  }

  function listen() {
    if (events || !unlocked() || !window.EventSource) return;
    events = new EventSource('/events');
    events.addEventListener('sync', function (event) {
      var status = document.getElementById('sync-status');
      var d = data(event);
      if (!status) return;
      status.dataset.state = d.state || 'unknown';
      status.textContent = d.words || '';
    });
    events.addEventListener('changed', function () {
      document.dispatchEvent(new CustomEvent('mycase:changed'));
    });
    events.addEventListener('notice', function (event) {
      var notices = document.getElementById('notices');
      if (!notices) return;
      // Hidden the way the page's own banner is (base.html): for good, on every page.
      var box = banner('Important', data(event).words || '');
      var form = document.createElement('form');
      form.method = 'post';
      form.action = '/notices/dismiss';
      var hide = document.createElement('button');
      hide.type = 'submit';
      hide.className = 'button button--secondary';
      hide.textContent = 'Hide this message';
      form.appendChild(hide);
      box.querySelector('.notification-banner__content').appendChild(form);
      notices.appendChild(box);
    });
    events.addEventListener('locked', function () {
      events.close();
      if (endingSession) return;
      if (!leaving) window.location.replace('/unlock');
    });
    events.onerror = function () {
      var status = document.getElementById('sync-status');
      if (status && events.readyState !== EventSource.OPEN) {
        status.dataset.state = 'offline';
        status.textContent = 'MyCase is not answering';
      }
    };
  }

  // ---- Lists that follow other devices ----------------------------------

  // A list marked data-live-list="/path" is fetched again from that path when
  // something changes, and swapped in; what is being typed on the page stays.
  // Not through request(): a change from elsewhere is not this person's activity.
  document.addEventListener('mycase:changed', function () {
    var list = document.querySelector('[data-live-list]');
    if (!list || leaving) return;
    fetch(list.dataset.liveList, { headers: { Accept: 'text/html' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
      .then(function (html) {
        if (html === null || leaving) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html').body;
        list.replaceChildren.apply(list, Array.prototype.map.call(fresh.childNodes, function (n) {
          return document.adoptNode(n);
        }));
      })
      .catch(function () {});
  });

  // ---- Each page --------------------------------------------------------

  function startPage() {
    var summary = document.querySelector('[data-error-summary]');
    if (summary) summary.focus();
    offerDraft();
    scheduleIdleLock();
    if (!unlocked() && events) {
      events.close();
      events = null;
    }
    listen();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', startPage);
  } else {
    startPage();
  }
})();

// ---- Copy and print buttons (sharing, the recovery kit) ------------------
// [data-copy="id"] copies that field's text (the share link; nothing is kept);
// [data-print] opens the browser's print dialog (the print stylesheet shows
// only the page's content).
(function () {
  document.addEventListener('click', function (event) {
    var copy = event.target.closest && event.target.closest('[data-copy]');
    if (copy) {
      var field = document.getElementById(copy.getAttribute('data-copy'));
      var status = document.getElementById('copy-status');
      if (!field) return;
      var say = function (words) { if (status) status.textContent = words; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value || field.textContent).then(
          function () { say('The link is copied.'); },
          function () { field.select(); say('Select the link and copy it.'); });
      } else {
        field.select();
        say('Select the link and copy it.');
      }
    }
    var print = event.target.closest && event.target.closest('[data-print]');
    if (print) window.print();
  });
})();
