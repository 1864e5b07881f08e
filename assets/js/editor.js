// The story editor, enhanced: a live preview rendered by the server, a slug suggestion as the
// headline is typed, autosave kept apart from revisions, and who else has the story open.
// Without JavaScript the form works as it is: every save re-renders the preview.
(function () {
  'use strict';
  var form = document.getElementById('editor-form');
  if (!form || !window.fetch || !window.URLSearchParams) return;
  var body = document.getElementById('body_markdown');
  var title = document.getElementById('title');
  var slug = document.getElementById('slug');
  var preview = document.getElementById('editor-preview');
  var status = document.getElementById('autosave-status');
  var csrf = form.querySelector('input[name="csrf"]').value;
  var autosaveUrl = form.getAttribute('data-autosave-url');
  var previewUrl = form.getAttribute('data-preview-url');
  var dirty = false;
  var saveTimer = null;
  var previewTimer = null;
  var previewRequest = 0;

  function post(url, params) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: params.toString()
    });
  }

  function formParams() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { params.append(key, value); });
    return params;
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  function autosave() {
    if (!autosaveUrl || !dirty) return;
    dirty = false;
    post(autosaveUrl, formParams()).then(function (response) {
      if (response.ok) {
        var now = new Date();
        var time = now.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
        form.setAttribute('data-autosaved', now.toISOString());
        say('Autosaved at ' + time + ' (not yet a revision; Save to keep it).');
      } else {
        dirty = true;
        say('Autosave failed (' + response.status + '); your text is still in the form. Save to keep it.');
      }
    }).catch(function () {
      dirty = true;
      say('Autosave failed (no connection); your text is still in the form.');
    });
  }

  function refreshPreview() {
    if (!preview || !previewUrl) return;
    var params = new URLSearchParams();
    params.set('csrf', csrf);
    params.set('body_markdown', body.value);
    var mine = ++previewRequest;
    post(previewUrl, params).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      // The server sanitises the rendering exactly as the public page does.
      if (html !== null && mine === previewRequest) preview.innerHTML = html;
    }).catch(function () { /* the preview stays as it was */ });
  }

  function slugify(text) {
    return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
      .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80).replace(/-+$/, '');
  }

  form.addEventListener('input', function (event) {
    dirty = true;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(autosave, 1500);
    if (event.target === body) {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(refreshPreview, 250);
    }
    if (event.target === title && slug) {
      slug.setAttribute('placeholder', slugify(title.value));
      var shown = document.getElementById('slug-suggestion');
      if (shown) shown.textContent = slugify(title.value);
    }
  });
  form.addEventListener('change', function () {
    dirty = true;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(autosave, 1500);
  });
  form.addEventListener('submit', function () {
    clearTimeout(saveTimer);
    dirty = false;
  });

  // Images of the library into the body, at the cursor; the lead image's preview follows the
  // picker.
  var buttons = form.querySelectorAll('[data-insert-markdown]');
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var text = button.getAttribute('data-insert-markdown');
      var start = body.selectionStart || 0;
      var end = body.selectionEnd || start;
      var before = body.value.slice(0, start);
      var lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? '\n' : '\n\n') : '';
      body.value = before + lead + text + '\n\n' + body.value.slice(end);
      var at = (before + lead + text).length;
      body.focus();
      body.setSelectionRange(at, at);
      body.dispatchEvent(new Event('input', { bubbles: true }));
    });
  });
  // Who else is here: a heartbeat every 15 s says this story is open here, and answers who
  // else has it open (an entry silent for 45 s has left). Paused while the tab is hidden.
  var presence = document.getElementById('presence');
  var presenceUrl = presence && presence.getAttribute('data-presence-url');
  if (presenceUrl) {
    var beat = function () {
      if (document.visibilityState === 'hidden') return;
      var params = new URLSearchParams();
      params.set('csrf', csrf);
      post(presenceUrl, params).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (answer) {
        if (!answer) return;
        presence.textContent = answer.message || '';
        presence.hidden = !answer.message;
      }).catch(function () { /* the notice stays as it was */ });
    };
    setInterval(beat, 15000);
    document.addEventListener('visibilitychange', beat);
  }

  var picker = document.getElementById('lead_image');
  if (picker) {
    picker.addEventListener('change', function () {
      var preview = document.getElementById('lead-preview');
      var option = picker.options[picker.selectedIndex];
      var src = option && option.getAttribute('data-thumbnail');
      if (!src) {
        if (preview) preview.hidden = true;
        return;
      }
      if (!preview) {
        preview = document.createElement('img');
        preview.id = 'lead-preview';
        preview.className = 'editor-lead-preview';
        picker.parentNode.appendChild(preview);
      }
      preview.hidden = false;
      preview.src = src;
      preview.alt = option.textContent;
    });
  }
})();
