// Progressive enhancement of the feedback widget: a live character counter, and sending the
// form as JSON without a page reload. Without JavaScript the form posts and redirects back.
(function () {
  "use strict";
  var LIMIT = 2000;

  function counter(form) {
    var textarea = form.querySelector("textarea[name=comment]");
    var out = form.querySelector("[data-char-counter]");
    if (!textarea || !out) return;
    function update() {
      var used = Array.from(textarea.value).length;
      out.textContent = used + " / 2,000 characters";
      out.classList.toggle("is-over", used > LIMIT);
    }
    textarea.addEventListener("input", update);
    update();
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-js-error]").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function showErrors(form, errors) {
    errors.forEach(function (error) {
      var target = form.querySelector("#fb-" + error.field);
      if (!target) return;
      var message = document.createElement("p");
      message.className = "field-error";
      message.setAttribute("data-js-error", "");
      message.id = "fb-" + error.field + "-js-error";
      message.textContent = error.message;
      if (target.tagName === "FIELDSET") {
        target.appendChild(message);
      } else {
        target.setAttribute("aria-invalid", "true");
        target.insertAdjacentElement("afterend", message);
      }
    });
  }

  function payload(form) {
    var data = new FormData(form);
    var body = {};
    var helpful = data.get("helpful");
    if (helpful === "yes") body.helpful = true;
    if (helpful === "no") body.helpful = false;
    ["comment", "email", "website", "token"].forEach(function (name) {
      var value = data.get(name);
      if (value) body[name] = value;
    });
    var revision = parseInt(data.get("revision"), 10);
    if (!isNaN(revision)) body.revision = revision;
    return body;
  }

  function enhance(form) {
    counter(form);
    var status = form.querySelector("[data-feedback-status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      status.className = "feedback-status";
      status.textContent = "Sending…";
      fetch(form.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(payload(form)),
        credentials: "omit"
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (response.status === 201) {
            form.reset();
            counter(form);
            status.className = "feedback-status is-success";
            status.textContent = "Thank you. Your feedback reached our editors.";
          } else if (response.status === 422) {
            status.className = "feedback-status is-error";
            status.textContent = "Please check your feedback.";
            showErrors(form, json.errors || []);
          } else if (response.status === 429) {
            status.className = "feedback-status is-error";
            status.textContent = "You have sent a lot of feedback just now. Please try again later.";
          } else {
            status.className = "feedback-status is-error";
            status.textContent = json.detail || "Something went wrong. Please try again later.";
          }
        });
      }).catch(function () {
        status.className = "feedback-status is-error";
        status.textContent = "We could not send your feedback. Check your connection and try again.";
      }).finally(function () {
        button.disabled = false;
      });
    });
  }

  document.querySelectorAll("[data-feedback-form]").forEach(enhance);
})();
