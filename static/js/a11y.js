/* Persist: keyboard focus and screen-reader announcements around HTMX swaps.
 * One small file, no build step, loaded with `defer` from base.html (the CSP allows only
 * same-origin scripts, so nothing here is inline). */
(function () {
  "use strict";

  // A failed submit must not leave the focus on <body>: the error summary takes it, so a
  // screen reader reads what went wrong and a keyboard user is next to the links to the fields.
  function focusTarget(el) {
    if (!el) return false;
    if (!el.matches("a[href], button, input, select, textarea, [tabindex]")) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus();
    return document.activeElement === el;
  }

  // A region that scrolls sideways (a wide table on a phone) must be reachable by keyboard to
  // be scrolled; only regions that do overflow become tab stops, so desktops get no dead stops.
  function scrollRegions(root) {
    (root || document).querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        var table = wrap.querySelector("table");
        var name = table && (table.getAttribute("aria-label") ||
          (table.caption && table.caption.textContent));
        if (!name) {
          var section = wrap.closest("section, article");
          var heading = section && section.querySelector("h1, h2, h3");
          name = heading ? heading.textContent : "Table";
        }
        wrap.setAttribute("aria-label", name.trim() + " (scrolls sideways)");
      } else if (!scrolls && wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }

  // Live regions stay in the page and only their text changes: swapped content names the
  // region it speaks to with data-announce-to="id"; the text is copied only when it differs,
  // so a poll every second does not repeat the same sentence.
  function announce(root) {
    (root || document).querySelectorAll("[data-announce-to]").forEach(function (source) {
      var region = document.getElementById(source.getAttribute("data-announce-to"));
      var text = source.textContent.trim();
      if (region && region.textContent.trim() !== text) region.textContent = text;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Markers in the first page load are for swaps only; the page's own focus rule is the
    // error summary (or the field's autofocus when there is none).
    document.querySelectorAll("[data-focus-after-swap]").forEach(function (el) {
      el.removeAttribute("data-focus-after-swap");
    });
    focusTarget(document.querySelector("[data-error-summary]"));
    scrollRegions();
  });

  // A link of the error summary puts the focus in its field (a plain #id link only scrolls).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    }
  });

  // A phone turned sideways, a zoomed page: re-measured at once (a handful of tables, cheap).
  window.addEventListener("resize", function () { scrollRegions(); });

  // What had the focus inside content that a swap is about to replace (a poll refreshing a
  // status card, a panel re-rendered with its form): found again after the swap.
  var lostFocus = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    lostFocus = null;
    if (active && active !== document.body && target && target.contains(active)) {
      lostFocus = active.id ? "#" + CSS.escape(active.id)
        : active.getAttribute("href") ? '[href="' + CSS.escape(active.getAttribute("href")) + '"]'
        : active.name ? '[name="' + CSS.escape(active.name) + '"]' : null;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.detail.target || document;
    announce(document);
    scrollRegions(document);
    // Swapped content says where the focus goes (the message of a stage move, the error
    // summary of a refused one) with data-focus-after-swap; the first one wins.
    var marked = document.querySelectorAll("[data-focus-after-swap]");
    if (marked.length) {
      marked.forEach(function (el) { el.removeAttribute("data-focus-after-swap"); });
      focusTarget(marked[0]);
      lostFocus = null;
      return;
    }
    if (lostFocus && (document.activeElement === document.body || !document.activeElement)) {
      // An outerHTML swap detaches the old target: look its replacement up by id.
      var region = (root.id && document.getElementById(root.id)) || root;
      // Only inside the new content: the same href may also be in the menu.
      var again = region.querySelector && region.querySelector(lostFocus);
      if (!(again && focusTarget(again))) {
        // The element is gone: the swapped region's heading keeps the reader in place.
        focusTarget(region.querySelector && region.querySelector("h1, h2, h3"));
      }
    }
    lostFocus = null;
  });
})();
