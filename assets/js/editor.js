// The story editor, enhanced: a live preview rendered by the server, a slug suggestion as the
// headline is typed, autosave kept apart from revisions, who else has the story open, live
// counters, the body's length, the search result and social card as the form stands, and the
// first field with an error focused. Without JavaScript the form works as it is: every save
// re-renders all of these.
(function () {
  'use strict';
  var form = document.getElementById('editor-form');
  if (!form) return;

  // The error summary's links focus their field (opening its section), and the first bad
  // field has the focus when the page comes back with errors.
  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    var details = field.closest('details');
    if (details) details.open = true;
    field.focus({ preventScroll: true });
    field.scrollIntoView({ block: 'center' });
    return true;
  }
  var summary = document.getElementById('error-summary');
  if (summary) {
    var links = summary.querySelectorAll('a[href^="#"]');
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener('click', function (event) {
        if (focusField(link.getAttribute('href').slice(1))) event.preventDefault();
      });
    });
    // Once the page is laid out and loaded (the browser puts a fresh page at its top then).
    var focusFirst = function () {
      if (!links.length || !focusField(links[0].getAttribute('href').slice(1))) summary.focus();
    };
    if (document.readyState === 'complete') focusFirst();
    else window.addEventListener('load', function () { setTimeout(focusFirst, 0); });
  }

  // Counters against the limits the server checks: characters as sent.
  function chars(text) { return Array.from(text).length; }
  function countText(count, limit) {
    if (count <= limit) return count + ' / ' + limit + ' characters';
    var over = count - limit;
    return over + (over === 1 ? ' character' : ' characters') + ' too many (' + count + ' / ' + limit + ')';
  }
  function updateCounter(field) {
    var counter = document.getElementById(field.id + '-count');
    if (!counter) return;
    var limit = parseInt(field.getAttribute('data-limit'), 10);
    var count = chars(field.value);
    counter.textContent = countText(count, limit);
    counter.classList.toggle('is-over', count > limit);
  }
  // Headline and summary lines grow with their text where the browser cannot size them.
  var sizes = window.CSS && CSS.supports && CSS.supports('field-sizing', 'content');
  function grow(field) {
    if (sizes) return;
    field.style.height = 'auto';
    field.style.height = (field.scrollHeight + field.offsetHeight - field.clientHeight) + 'px';
  }
  var counted = form.querySelectorAll('[data-limit]');
  Array.prototype.forEach.call(counted, function (field) {
    updateCounter(field);
    grow(field);
    field.addEventListener('input', function () { updateCounter(field); grow(field); });
    if (field.hasAttribute('data-single-line')) {
      // One line of text: Enter does not break it (the server would make it a space).
      field.addEventListener('keydown', function (event) {
        if (event.key === 'Enter') event.preventDefault();
      });
    }
  });
  window.addEventListener('resize', function () { Array.prototype.forEach.call(counted, grow); });

  // The body's length and reading time (`domain::seo`).
  var stats = document.getElementById('body-stats');
  function thousands(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function updateStats(text) {
    if (!stats) return;
    var words = text.split(/\s+/).filter(function (w) { return /[\p{L}\p{N}]/u.test(w); }).length;
    var minutes = Math.ceil(words / 230);
    stats.textContent = thousands(words) + (words === 1 ? ' word' : ' words') + ' · about ' +
      minutes + (minutes === 1 ? ' minute' : ' minutes') + ' to read';
  }

  // The search result and social card (`web::admin::editor::preview::SeoPreview`).
  var seoBox = document.getElementById('seo-preview');
  function shorten(text, max) {
    var folded = text.trim().split(/\s+/).filter(Boolean).join(' ');
    var all = Array.from(folded);
    if (all.length <= max) return folded;
    var keep = all.slice(0, max - 1).join('');
    var cut = all[max - 1] === ' ' ? keep : (keep.lastIndexOf(' ') >= 0 ? keep.slice(0, keep.lastIndexOf(' ')) : keep);
    return cut.replace(/[ ,;:.\-]+$/, '') + '…';
  }
  function value(id) {
    var el = document.getElementById(id);
    return el ? el.value : '';
  }
  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }
  function updateSeo() {
    if (!seoBox) return;
    var title = value('seo_title').trim() || value('title').trim();
    var description = value('meta_description').trim() || value('dek').trim();
    var slugValue = value('slug').trim() || (slug ? slug.getAttribute('placeholder') : '') || '';
    var host = seoBox.getAttribute('data-host');
    setText('serp-title', shorten(title + ' · Dateline', parseInt(seoBox.getAttribute('data-title-max'), 10)));
    setText('serp-url', host + ' › research-news › ' + slugValue);
    setText('serp-description', shorten(description, parseInt(seoBox.getAttribute('data-description-max'), 10)));
    setText('card-title', title);
    setText('card-description', description);
    var seoTitle = document.getElementById('seo_title');
    if (seoTitle) seoTitle.setAttribute('placeholder', value('title'));
    var meta = document.getElementById('meta_description');
    if (meta) meta.setAttribute('placeholder', value('dek'));
  }
  function updateCardImage(src) {
    var box = document.getElementById('card-image-box');
    if (!box) return;
    box.textContent = '';
    if (src) {
      var img = document.createElement('img');
      img.id = 'card-image';
      img.alt = '';
      img.src = src;
      box.appendChild(img);
    } else {
      var none = document.createElement('span');
      none.className = 'social-card-noimage';
      none.id = 'card-image-none';
      none.textContent = 'No lead image';
      box.appendChild(none);
    }
  }

  if (!window.fetch || !window.URLSearchParams) return;
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
    // The whole form: the preview shows headline, byline, lead image and study box too.
    var params = formParams();
    params.delete('action');
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

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 300);
  }

  form.addEventListener('input', function (event) {
    dirty = true;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(autosave, 1500);
    if (event.target === body) updateStats(body.value);
    if (event.target === title && slug) {
      slug.setAttribute('placeholder', slugify(title.value));
      var shown = document.getElementById('slug-suggestion');
      if (shown) shown.textContent = slugify(title.value);
    }
    updateSeo();
    // The publishing panel's fields are not the story's.
    if (!event.target.closest('#publishing')) schedulePreview();
  });
  form.addEventListener('change', function (event) {
    dirty = true;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(autosave, 1500);
    if (!event.target.closest('#publishing')) schedulePreview();
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
      updateCardImage(src);
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
