// Live updates (live/): what htmx's SSE extension does not do by itself.
// - While the page's stream is open, polls marked data-live-poll pause (the push replaces them); when the
//   stream fails, or a re-fetch fails, they run again: polling stays the fallback.
// - A stream that opens again after a break fires `live-resync` on <body>: elements listening to it
//   re-fetch what they show, since events sent during the break are lost.
// - The admin's staff feed ([data-live-staff]): a toast and a counter per new order or failed payment.
(function () {
  "use strict";
  var opened = false;

  document.addEventListener("htmx:sseOpen", function () {
    var again = opened;
    opened = true;
    document.documentElement.setAttribute("data-live-open", "");
    if (again) {
      document.body.dispatchEvent(new CustomEvent("live-resync", { bubbles: true }));
    }
  });
  document.addEventListener("htmx:sseError", function () {
    document.documentElement.removeAttribute("data-live-open");
  });
  document.addEventListener("htmx:configRequest", function (evt) {
    var polled = !evt.detail.triggeringEvent && evt.detail.elt.closest("[data-live-poll]");
    if (polled && !polled.hasAttribute("data-live-retry") && document.documentElement.hasAttribute("data-live-open")) {
      evt.preventDefault();
    }
  });
  // A re-fetch that failed is not retried by any push: the poll takes over until the element is swapped.
  function retryByPolling(evt) {
    var polled = evt.detail.elt && evt.detail.elt.closest("[data-live-poll]");
    if (polled) {
      polled.setAttribute("data-live-retry", "");
    }
  }
  document.addEventListener("htmx:responseError", retryByPolling);
  document.addEventListener("htmx:sendError", retryByPolling);

  function staffFeed(feed) {
    var counter = feed.querySelector("[data-live-count]");
    var toasts = feed.querySelector("[data-live-toasts]");
    var seen = 0;
    var source = new EventSource(feed.getAttribute("data-live-staff"), { withCredentials: true });
    function show(evt) {
      var item;
      try {
        item = JSON.parse(evt.data);
      } catch (e) {
        return;
      }
      seen += 1;
      counter.textContent = String(seen);
      counter.parentNode.hidden = false;
      var toast = document.createElement("p");
      toast.className = "live-toast live-toast-" + item.kind;
      toast.textContent = item.text + " (" + item.total + ")";
      toasts.prepend(toast);
      window.setTimeout(function () { toast.remove(); }, 15000);
    }
    source.addEventListener("staff-order", show);
    source.addEventListener("staff-payment", show);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-staff]").forEach(staffFeed);
  });
})();
