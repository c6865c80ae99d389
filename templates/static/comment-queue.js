// The comments screen from the keyboard, as WordPress's comment shortcuts
// work: j/k move, a/s/d/u approve, spam, trash, unapprove the current
// comment, r replies inline, x selects, Shift+A/S/D act on the selection,
// z undoes, ? shows the keys. Every action is the page's own button or
// form; without this script they all work by mouse.
(function () {
  "use strict";
  var table = document.querySelector("#comments-form table.list");
  var rows = table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr[id^='comment-']")) : [];
  var current = -1;

  // A select-all box in the header.
  var all = document.getElementById("select-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      rows.forEach(function (row) {
        var box = row.querySelector("td.check input[type=checkbox]");
        if (box) { box.checked = all.checked; }
      });
    });
  }

  function focusRow(index) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0 && rows[current]) { rows[current].classList.remove("current"); }
    current = index;
    var row = rows[current];
    row.classList.add("current");
    row.setAttribute("tabindex", "-1");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function rowButton(action) {
    if (current < 0) { return null; }
    return rows[current].querySelector("button[name=row_action][value='" + action + "']");
  }

  function act(action) {
    var button = rowButton(action);
    if (button) { button.click(); }
  }

  function bulk(action) {
    var select = document.getElementById("bulk-action");
    var form = document.getElementById("comments-form");
    var ticked = form && form.querySelector("td.check input[type=checkbox]:checked");
    if (!select || !ticked) { return; }
    select.value = action;
    if (select.value === action) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }

  function replyInline() {
    if (current < 0) { return; }
    var row = rows[current];
    var link = row.querySelector("a[data-reply]");
    if (!link) { return; }
    var existing = row.querySelector("form.inline-reply");
    if (existing) { existing.querySelector("textarea").focus(); return; }
    var token = document.querySelector("#comments-form input[name=csrf_token]").value;
    var form = document.createElement("form");
    form.method = "post";
    form.action = link.getAttribute("href");
    form.className = "inline-reply";
    var csrf = document.createElement("input");
    csrf.type = "hidden"; csrf.name = "csrf_token"; csrf.value = token;
    var label = document.createElement("label");
    label.textContent = "Your reply";
    var text = document.createElement("textarea");
    text.name = "reply"; text.rows = 3; text.required = true;
    label.appendChild(text);
    var send = document.createElement("button");
    send.type = "submit";
    send.textContent = link.textContent.trim();
    form.appendChild(csrf); form.appendChild(label); form.appendChild(send);
    // Outside the bulk form: forms do not nest.
    var cell = row.querySelector("td.comment-cell") || row.cells[2];
    var holder = document.createElement("div");
    holder.appendChild(form);
    cell.appendChild(holder);
    text.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { holder.remove(); focusRow(current); }
    });
    text.focus();
  }

  var help = null;
  function toggleHelp() {
    if (help) { help.remove(); help = null; return; }
    help = document.createElement("div");
    help.className = "shortcut-help";
    help.setAttribute("role", "dialog");
    help.setAttribute("aria-label", "Keyboard shortcuts");
    var keys = [
      ["j / k", "next / previous comment"], ["a", "approve"], ["s", "mark as spam"],
      ["d", "move to the Trash"], ["u", "unapprove"], ["r", "reply (approves a pending comment)"],
      ["x", "select"], ["Shift+A / S / D", "approve, spam, trash the selected"],
      ["z", "undo the last action"], ["?", "show or hide these keys"]
    ];
    var list = document.createElement("dl");
    keys.forEach(function (pair) {
      var key = document.createElement("dt"); key.textContent = pair[0];
      var what = document.createElement("dd"); what.textContent = pair[1];
      list.appendChild(key); list.appendChild(what);
    });
    var title = document.createElement("h2"); title.textContent = "Keyboard shortcuts";
    help.appendChild(title); help.appendChild(list);
    document.body.appendChild(help);
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var tag = target && target.tagName;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) { return; }
    var key = event.key;
    var handled = true;
    if (key === "j") { focusRow(current + 1); }
    else if (key === "k") { focusRow(current < 0 ? 0 : current - 1); }
    else if (key === "a") { act("approve"); }
    else if (key === "s") { act("spam"); }
    else if (key === "d") { act("trash"); }
    else if (key === "u") { act("unapprove"); }
    else if (key === "r") { replyInline(); }
    else if (key === "x") {
      if (current >= 0) {
        var box = rows[current].querySelector("td.check input[type=checkbox]");
        if (box) { box.checked = !box.checked; }
      }
    }
    else if (key === "A") { bulk("approve"); }
    else if (key === "S") { bulk("spam"); }
    else if (key === "D") { bulk("trash"); }
    else if (key === "z") {
      var undo = document.querySelector("button[data-shortcut=undo]");
      if (undo) { undo.click(); }
    }
    else if (key === "?") { toggleHelp(); }
    else if (key === "Escape" && help) { toggleHelp(); }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  });

  if (rows.length) { focusRow(0); }
})();
