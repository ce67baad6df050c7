/* sparkcodes pages: the few behaviours HTMX does not cover. No inline scripts (CSP). */
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http on a LAN address: fall back to a selection copy.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      ok ? resolve() : reject(new Error("copy failed"));
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var status = button.parentElement.querySelector(".copy-status");
    copyText(source.textContent.trim()).then(function () {
      button.textContent = "Copied ✓";
      button.classList.add("copied");
      if (status) status.textContent = button.getAttribute("data-copy-done") || "Copied: it is on your clipboard.";
    }, function () {
      var range = document.createRange();
      range.selectNodeContents(source);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      if (status) status.textContent = "Copying was blocked: the text is selected, press Ctrl+C (⌘C).";
    });
  });

  // Plain (non-HTMX) forms that destroy something ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // A field with a stated limit (maxlength and a "Up to N characters." hint): near the limit the
  // hint counts, and at the limit it says so, since the browser cuts a longer paste silently.
  function number(n) { return n.toLocaleString("en-US"); }

  function countTowardsLimit(field) {
    var max = parseInt(field.getAttribute("maxlength"), 10);
    if (!max) return;
    var hint = null;
    (field.getAttribute("aria-describedby") || "").split(/\s+/).forEach(function (id) {
      var el = id && document.getElementById(id);
      if (el && el.hasAttribute("data-count")) hint = el;
    });
    if (!hint) return;
    if (!hint.hasAttribute("data-text")) hint.setAttribute("data-text", hint.textContent);
    var n = field.value.length;
    if (n >= max) {
      hint.textContent = "Limit reached: " + number(max) + " characters. Anything longer was cut off.";
    } else if (n >= max * 0.8) {
      hint.textContent = number(n) + " of " + number(max) + " characters.";
    } else {
      hint.textContent = hint.getAttribute("data-text");
    }
    hint.classList.toggle("text-warn", n >= max);
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.matches && field.matches("input[maxlength], textarea[maxlength]")) {
      countTowardsLimit(field);
    }
  });

  // After an HTMX swap, move focus to a fresh code or error so keyboard and screen-reader users
  // land on what changed.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt || event.target;
    var code = target.querySelector && target.querySelector("#new-code");
    if (code) { code.focus(); return; }
  });
})();
