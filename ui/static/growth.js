// Growth web UI: small improvements over the plain HTML forms, which work
// without this script. Hand-written, no build step.
//  - choosing a code or record in a picker fills its input;
//  - money inputs show thousands separators and the amount in words (大写);
//  - code pickers follow the form's fiscal year;
//  - forms with data-confirm ask before they post.
(function () {
  "use strict";

  var digits = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"];
  var units = ["", "拾", "佰", "仟"];
  var groups = ["", "万", "亿", "万亿"];

  // normalize folds full-width digits and punctuation and drops spaces and
  // separators: "１，２３４．５" → "1234.5".
  function normalize(s) {
    return s.replace(/[\uFF01-\uFF5E]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    }).replace(/[\s,]/g, "");
  }

  // Amounts are handled as text, digit by digit, never as floats.
  var amountPattern = /^(-?)(\d+)(?:\.(\d{0,2}))?$/;

  function group(whole) {
    return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function words(sign, whole, frac) {
    whole = whole.replace(/^0+(?=\d)/, "");
    frac = (frac + "00").slice(0, 2);
    if (/^0+$/.test(whole) && frac === "00") return "零元整";
    var out = sign ? "负" : "";
    var start = out.length;
    if (!/^0+$/.test(whole)) {
      var parts = [];
      while (whole.length > 4) {
        parts.unshift(whole.slice(-4));
        whole = whole.slice(0, -4);
      }
      parts.unshift(whole);
      var zero = false;
      parts.forEach(function (g, gi) {
        var level = parts.length - 1 - gi;
        var any = false;
        for (var i = 0; i < g.length; i++) {
          var d = +g[i];
          if (d === 0) { zero = true; continue; }
          if (zero && out.length > start) out += "零";
          zero = false;
          out += digits[d] + units[g.length - 1 - i];
          any = true;
        }
        if (any) out += groups[level] || "";
      });
      out += "元";
    }
    var jiao = +frac[0], fen = +frac[1];
    if (jiao === 0 && fen === 0) out += "整";
    else if (fen === 0) out += digits[jiao] + "角整";
    else if (jiao === 0) out += (out.length > start ? "零" : "") + digits[fen] + "分";
    else out += digits[jiao] + "角" + digits[fen] + "分";
    return out;
  }

  function showWords(input) {
    var box = document.getElementById(input.id + "-words");
    if (!box) return;
    var m = amountPattern.exec(normalize(input.value));
    box.textContent = m ? (box.getAttribute("data-prefix") || "") + "：" + words(m[1], m[2], m[3] || "") : "";
  }

  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches("input[data-money]")) showWords(ev.target);
  });

  document.addEventListener("focusout", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[data-money]")) return;
    var m = amountPattern.exec(normalize(input.value));
    if (m) {
      var frac = ((m[3] || "") + "00").slice(0, 2);
      input.value = m[1] + group(m[2].replace(/^0+(?=\d)/, "")) + "." + frac;
    }
    showWords(input);
  });

  // Pickers: a result button names its target input and the value to set.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-pick-value]");
    if (!btn) return;
    var input = document.getElementById(btn.getAttribute("data-pick-target"));
    if (!input) return;
    input.value = btn.getAttribute("data-pick-value");
    var label = document.getElementById(input.getAttribute("data-label") || "");
    if (label) label.textContent = btn.getAttribute("data-pick-label") || "";
    input.dispatchEvent(new Event("change", { bubbles: true }));
    var details = btn.closest("details");
    if (details) details.open = false;
    input.focus();
  });

  // The print view's button prints the page.
  document.addEventListener("click", function (ev) {
    if (ev.target.closest && ev.target.closest("[data-print]")) window.print();
  });

  // A code typed by hand clears the label of the code chosen before.
  document.addEventListener("input", function (ev) {
    var input = ev.target;
    if (!input.getAttribute || !input.getAttribute("data-label") || input.matches("[data-money]")) return;
    var label = document.getElementById(input.getAttribute("data-label"));
    if (label) label.textContent = "";
  });

  // The pickers' search boxes need this script (htmx does the searching);
  // without it they stay hidden and the "browse" links open the code tree.
  function showSearch() {
    document.querySelectorAll(".pick-search[hidden]").forEach(function (el) { el.hidden = false; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showSearch);
  else showSearch();

  // Enter in a picker's search box searches; it must not post the record.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && ev.target.matches && ev.target.matches(".pick-search")) ev.preventDefault();
  });

  // In a form with a fiscal year, the pickers offer the codes valid in the
  // year typed there now, not in the one the page was drawn with: every
  // picker request takes the year input's value, and a code select its
  // current choice (it asks for its options again when the year changes).
  function yearOf(el) {
    var holder = el.closest && el.closest("[data-year-input]");
    var input = holder && document.getElementById(holder.getAttribute("data-year-input"));
    var year = input ? normalize(input.value) : "";
    return /^\d{4}$/.test(year) ? year : "";
  }

  function withYear(path, year, value) {
    var url = new URL(path, window.location.href);
    url.searchParams.set("year", year);
    if (value !== undefined) url.searchParams.set("value", value);
    return url.pathname + url.search;
  }

  document.addEventListener("htmx:configRequest", function (ev) {
    var el = ev.detail.elt;
    var year = yearOf(el);
    if (!year) return;
    ev.detail.path = withYear(ev.detail.path, year, el.tagName === "SELECT" ? el.value : undefined);
  });

  document.addEventListener("change", function (ev) {
    var id = ev.target.id;
    if (!id) return;
    document.querySelectorAll('[data-year-input="' + CSS.escape(id) + '"] a.pick-browse').forEach(function (a) {
      var year = yearOf(a);
      if (year) a.setAttribute("href", withYear(a.getAttribute("href"), year));
    });
  });

  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
  // Pickers by keyboard: opening a picker puts the cursor in its search
  // box; arrow keys move between the search box and the results, Enter on a
  // result chooses it (it is a button), Escape closes the picker and goes
  // back to the input.
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!d.matches || !d.matches("details.pick") || !d.open) return;
    var search = d.querySelector(".pick-search");
    if (search && !search.hidden) search.focus();
  }, true);

  function pickItems(panel) {
    return Array.prototype.slice.call(panel.querySelectorAll("[data-pick-value]"));
  }

  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    var details = el.closest && el.closest("details.pick");
    if (!details) return;
    var panel = details.querySelector(".pick-panel");
    if (ev.key === "Escape") {
      details.open = false;
      var input = details.parentElement.querySelector("input.code-input, input.ref-input, input[data-label]");
      (input || details.querySelector("summary")).focus();
      ev.preventDefault();
      return;
    }
    if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
    var items = pickItems(panel);
    if (!items.length) return;
    var i = items.indexOf(el);
    var next;
    if (ev.key === "ArrowDown") next = i < 0 ? items[0] : items[Math.min(i + 1, items.length - 1)];
    else next = i <= 0 ? panel.querySelector(".pick-search") : items[i - 1];
    if (next) { next.focus(); ev.preventDefault(); }
  });

  // After a refused post the cursor goes to the first input in error, else
  // to the first message, so that a keyboard or screen-reader user starts
  // where the problem is.
  function focusFirstError() {
    var bad = document.querySelector("main [aria-invalid=true]") || document.querySelector("main [role=alert]");
    if (!bad) return;
    if (!bad.matches("input, select, textarea, button, a")) bad.setAttribute("tabindex", "-1");
    bad.focus();
  }

  // Batch selection: the header box ticks or clears every row of the page.
  document.addEventListener("change", function (ev) {
    if (ev.target.id !== "select-all") return;
    document.querySelectorAll("input.row-select").forEach(function (box) { box.checked = ev.target.checked; });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusFirstError);
  else focusFirstError();
})();
