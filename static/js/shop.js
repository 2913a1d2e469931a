// Site-wide behaviour. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  function showMessage(text, level) {
    var region = document.getElementById("messages");
    if (!region) return;
    var p = document.createElement("p");
    p.className = "message message-" + (level || "error");
    p.textContent = text;
    region.appendChild(p);
  }

  // A failed htmx request must never fail silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var reason = xhr.status === 403 ? "Your session or form expired. Reload the page and try again."
      : xhr.status === 404 ? "That item could not be found. Reload the page and try again."
      : xhr.status === 429 ? "Too many requests. Wait a moment and try again."
      : xhr.status >= 500 ? "Something went wrong on our side. Please try again."
      : "That request could not be completed (" + xhr.status + ").";
    showMessage(reason, "error");
  });

  document.addEventListener("htmx:sendError", function () {
    showMessage("The shop could not be reached. Check your connection and try again.", "error");
  });

  // A page from a shared cache carries no CSRF token: htmx sends the CSRF cookie's instead, once a POST set it.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb === "get" || event.detail.headers["X-CSRFToken"]) return;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
  });

  window.shop = { showMessage: showMessage };
})();
