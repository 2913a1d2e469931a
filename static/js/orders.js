// Orders: the reservation countdown, a pay form that submits once, the invoice's print button.
// Without JavaScript the page shows the deadline's time, the server refuses a second charge and the
// browser prints from its menu.
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function startCountdown(el) {
    var until = Date.parse(el.getAttribute("data-countdown-until"));
    if (isNaN(until)) return;
    var form = document.querySelector("form[data-submit-once]");
    function tick() {
      var left = Math.max(0, Math.round((until - Date.now()) / 1000));
      if (left === 0) {
        el.textContent = "Your reservation has expired; the items are no longer held for you.";
        el.classList.add("countdown-expired");
        if (form) form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        return;
      }
      el.textContent = Math.floor(left / 60) + ":" + pad(left % 60) + " left to pay.";
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  function submitOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "1";
      // Disable after the browser has collected the form data (a disabled button is not sent).
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  }

  function init() {
    document.querySelectorAll("[data-countdown-until]").forEach(startCountdown);
    document.querySelectorAll("form[data-submit-once]").forEach(submitOnce);
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
