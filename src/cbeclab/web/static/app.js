// cbeclab workbench: progress polling, the SEM model editor check, profile loading, API "try it".
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  function $(id) { return document.getElementById(id); }

  // run page: poll the run until it is final, then reload to show the results
  var run = $("run");
  if (run && (run.dataset.status === "queued" || run.dataset.status === "running")) {
    var timer = setInterval(function () {
      fetch("/api/runs/" + run.dataset.run, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (r) {
          var bar = $("run-progress");
          if (bar) { bar.value = r.progress; }
          $("run-step").textContent = r.step || "";
          if (["done", "failed", "cancelled"].indexOf(r.status) >= 0) { clearInterval(timer); location.reload(); }
        })
        .catch(function () {});
    }, 700);
  }

  // SEM model editor: line numbers and the parser's error at its line and column
  var ed = $("model-syntax");
  if (ed) {
    var gutter = $("gutter"), status = $("syntax-status"), pending = null;
    var render = function (badLine) {
      var n = ed.value.split("\n").length, out = [];
      for (var i = 1; i <= n; i++) {
        var s = document.createElement("span");
        s.textContent = String(i);
        if (i === badLine) { s.className = "err"; }
        out.push(s);
      }
      gutter.replaceChildren();
      out.forEach(function (s) { gutter.appendChild(s); });
    };
    var caret = $("syntax-caret");
    var showCaret = function (err) {  // the offending line with a caret under the column
      if (!caret) { return; }
      if (!err || !err.line) { caret.hidden = true; caret.textContent = ""; return; }
      var text = ed.value.split("\n")[err.line - 1] || "";
      var col = Math.max(1, err.column || 1);
      caret.textContent = err.line + " | " + text + "\n" + " ".repeat(String(err.line).length + 3 + col - 1) + "^";
      caret.hidden = false;
    };
    var check = function () {
      fetch("/api/sem/check", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ syntax: ed.value })
      }).then(function (r) { return r.json(); }).then(function (r) {
        if (r.ok) { status.textContent = "✓"; status.className = "hint ok"; render(null); showCaret(null); ed.setCustomValidity(""); }
        else {
          status.textContent = r.error.message; status.className = "error";
          render(r.error.line); showCaret(r.error);
        }
      }).catch(function () {});
    };
    ed.addEventListener("input", function () { render(null); clearTimeout(pending); pending = setTimeout(check, 350); });
    render(null); check();
  }

  // survey: the constructs editor adds and removes rows (each row: name, labels, item pickers)
  var rows = $("construct-rows"), tpl = $("construct-template"), add = $("add-construct");
  if (rows && tpl && add) {
    var next = parseInt(add.dataset.next || "0", 10);
    add.addEventListener("click", function () {
      var holder = document.createElement("tbody");
      holder.innerHTML = tpl.innerHTML.replace(/__i__/g, String(next++));
      var row = holder.querySelector("tr");
      rows.appendChild(row);
      row.querySelector("input").focus();
    });
    rows.addEventListener("click", function (e) {
      var btn = e.target.closest ? e.target.closest(".remove-row") : null;
      if (btn) { btn.closest("tr").remove(); }
    });
  }

  // diagnosis: fill the profile editor with the bundled profile chosen
  document.querySelectorAll("select[data-profile]").forEach(function (sel) {
    sel.addEventListener("change", function () {
      var box = $("f-" + sel.name + "-yaml");
      if (!sel.value) { box.value = ""; return; }
      fetch("/api/profiles/" + sel.dataset.profile + "/" + encodeURIComponent(sel.value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); }).then(function (r) { box.value = r.text || ""; });
    });
  });

  // API page: send a GET and show the JSON
  var tryForm = $("try");
  if (tryForm) {
    tryForm.addEventListener("submit", function (e) {
      e.preventDefault();
      fetch($("try-path").value, { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (t) { $("try-out").textContent = t; });
    });
  }
})();
