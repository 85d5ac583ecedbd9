// The stage editor's "move to first / last position" buttons (django-admin-sortable2) are <i
// role="button"> elements that only a mouse can press: make them focusable and let Enter and
// Space press them, so stages can be reordered by keyboard too.
(function () {
  "use strict";
  function enable(root) {
    root.querySelectorAll("fieldset.sortable .sort i[role='button']").forEach(function (button) {
      button.tabIndex = 0;
      button.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          button.click();
          button.focus();
        }
      });
    });
  }
  window.addEventListener("load", function () { enable(document); });
})();
