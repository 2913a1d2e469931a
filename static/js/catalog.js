// The product list's search field. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  // Typing a search adds one history entry, however often the shopper pauses: the first results of the
  // field's typing push an entry, the later ones replace it. Without this, each pause longer than the
  // form's 300 ms debounce pushed an entry of its own ("la", then "lamp"), and Back stepped through them.
  var typingEntry = false; // the current history entry is the search being typed

  function typedInSearch(config) {
    var trigger = config && config.triggeringEvent;
    return !!(trigger && trigger.type === "input" && trigger.target && trigger.target.name === "q" &&
      config.elt && config.elt.id === "product-filters");
  }

  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var typing = typedInSearch(event.detail.requestConfig);
    if (typing && typingEntry && event.detail.history.type === "push") {
      event.detail.history.type = "replace";
    }
    typingEntry = typing;
  });

  // Leaving the field ends its typing; so does going back or forward to another entry.
  document.addEventListener("focusout", function (event) {
    if (event.target.name === "q") typingEntry = false;
  });
  window.addEventListener("popstate", function () {
    typingEntry = false;
  });
})();
