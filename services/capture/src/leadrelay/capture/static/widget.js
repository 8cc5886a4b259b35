/* Leadrelay capture widget: progressive enhancement for a plain HTML form, plus a small chat box.
 * Include with: <script src="https://capture.example/v1/widget.js" data-form="FORM_ID" data-key="PUBLIC_KEY"
 *               data-chat="true" data-abandon="true" defer></script>
 * The form keeps working without JavaScript: it posts to its action and gets a 303 to the thank-you page. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var base = new URL(script.src, document.baseURI).origin;
  var formId = script.getAttribute("data-form");
  var publicKey = script.getAttribute("data-key");
  var form = document.querySelector('form[data-leadrelay="' + formId + '"]');

  function showErrors(target, errors) {
    var box = target.querySelector(".leadrelay-errors");
    if (!box) {
      box = document.createElement("ul");
      box.className = "leadrelay-errors";
      box.setAttribute("role", "alert");
      target.insertBefore(box, target.firstChild);
    }
    box.textContent = "";
    errors.forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = e.field + ": " + e.reason;
      box.appendChild(li);
    });
  }

  function thank(target, text) {
    var done = document.createElement("p");
    done.className = "leadrelay-thanks";
    done.setAttribute("role", "status");
    done.textContent = text;
    target.replaceWith(done);
  }

  if (form) {
    var submitted = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) { return { status: response.status, body: body }; });
        })
        .then(function (result) {
          if (result.status === 202) {
            submitted = true;
            thank(form, form.getAttribute("data-thanks") || "Thank you, we will be in touch.");
          } else {
            showErrors(form, result.body.errors || [{ field: "form", reason: "please try again later" }]);
          }
        })
        .catch(function () { form.submit(); });  // network trouble: fall back to the plain post
    });
    if (script.getAttribute("data-abandon") === "true") {
      // A partly filled form is a marketing signal: send what the person typed when they leave.
      window.addEventListener("pagehide", function () {
        var email = form.querySelector('[name="email"]');
        if (!submitted && email && email.value && navigator.sendBeacon) {
          navigator.sendBeacon(form.action, new FormData(form));
        }
      });
    }
  }

  if (script.getAttribute("data-chat") === "true") {
    var panel = document.createElement("div");
    panel.className = "leadrelay-chat";
    panel.innerHTML =
      '<button type="button" class="leadrelay-chat-open">Chat with us</button>' +
      '<form class="leadrelay-chat-form" hidden>' +
      '<label>Your email <input type="email" name="email" required></label>' +
      '<label>Message <textarea name="message" required maxlength="2000"></textarea></label>' +
      '<button type="submit">Send</button></form>';
    document.body.appendChild(panel);
    var chatForm = panel.querySelector("form");
    panel.querySelector(".leadrelay-chat-open").addEventListener("click", function () {
      chatForm.hidden = !chatForm.hidden;
    });
    chatForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {
        visitor: { email: chatForm.email.value },
        transcript: [{ from: "visitor", text: chatForm.message.value }]
      };
      fetch(base + "/v1/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-Form-Key": publicKey },
        body: JSON.stringify(body)
      })
        .then(function (response) {
          return response.json().then(function (b) { return { status: response.status, body: b }; });
        })
        .then(function (result) {
          if (result.status === 202) {
            thank(chatForm, "Thanks! We will reply to " + chatForm.email.value + ".");
          } else {
            showErrors(chatForm, result.body.errors || [{ field: "chat", reason: "please try again later" }]);
          }
        });
    });
  }
})();
