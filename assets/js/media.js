// The media library's upload, enhanced: drop a file on the form, and see the upload's progress.
// Without JavaScript the form posts as it is.
(function () {
  'use strict';
  var form = document.getElementById('upload-form');
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var zone = document.getElementById('drop-zone');
  var input = document.getElementById('m-file');
  var progress = document.getElementById('upload-progress');
  var status = document.getElementById('upload-status');
  var submit = document.getElementById('upload-submit');

  ['dragenter', 'dragover'].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add('is-dragging');
    });
  });
  ['dragleave', 'drop'].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove('is-dragging'); });
  });
  zone.addEventListener('drop', function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      status.textContent = 'Ready to upload: ' + input.files[0].name;
    }
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open('POST', form.action);
    progress.hidden = false;
    progress.value = 0;
    submit.disabled = true;
    status.textContent = 'Uploading…';
    request.upload.addEventListener('progress', function (e) {
      if (e.lengthComputable) {
        var percent = Math.round((e.loaded / e.total) * 100);
        progress.value = percent;
        progress.textContent = percent + '%';
        status.textContent = percent < 100 ? 'Uploading… ' + percent + '%' : 'Making the renditions…';
      }
    });
    request.addEventListener('load', function () {
      // Done: the server's answer is the image's page (or the form with what to fix).
      if (request.status === 200 && request.responseURL && request.responseURL.indexOf('/admin/media/') !== -1) {
        window.location.assign(request.responseURL);
        return;
      }
      // What to fix: the page the server answered, in place of this one's content.
      var page = new DOMParser().parseFromString(request.responseText, 'text/html');
      var fresh = page.querySelector('main');
      var main = document.querySelector('main');
      if (fresh && main) {
        main.replaceWith(fresh);
        var problem = fresh.querySelector('[role="alert"]');
        if (problem) {
          problem.setAttribute('tabindex', '-1');
          problem.focus();
        }
      } else {
        submit.disabled = false;
        status.textContent = 'The upload failed (' + request.status + ').';
      }
    });
    request.addEventListener('error', function () {
      submit.disabled = false;
      progress.hidden = true;
      status.textContent = 'The upload did not reach the server. Check the connection and try again.';
    });
    request.send(new FormData(form));
  });
})();
