/* Persist: an HTMX request that fails (refused, gone, a server error) shows a small notice.
 * htmx never swaps an error response by default; the server's error notices name the #toasts
 * region with HX-Retarget (config/views.py), and only those are let through. */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget") === "#toasts") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-dismiss-toast]");
    var toast = button && button.closest(".toast");
    if (toast) toast.remove();
  });
})();
