// The review pages' own script: keyboard shortcuts and phrase picking on an item, and the same
// checks before any decision is sent, by button or by key (the server checks again and shows the
// form with its message when this script does not run).
(function () {
  "use strict";

  function showProblem(box, message, field) {
    if (box) { box.textContent = message; box.hidden = false; }
    if (field) { field.focus(); }
  }

  var form = document.getElementById("decision-form");
  if (form) {
    var phrase = document.getElementById("phrase");
    var note = document.getElementById("note");
    var answer = document.getElementById("answer");
    var check = document.getElementById("decision-check");
    var needs = {
      phrase: { field: phrase, message: "Reject and blocklist needs the phrase to block: select it in the answer or type it." },
      note: { field: note, message: "Escalating needs a note for the person who takes it over." }
    };

    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      var need = button && needs[button.getAttribute("data-needs")];
      if (need && !need.field.value.trim()) {
        event.preventDefault();
        showProblem(check, need.message, need.field);
      }
    });

    var typing = function (target) {
      var tag = target && target.tagName;
      return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
    };
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
      var button = form.querySelector('button[data-shortcut="' + event.key + '"]');
      if (!button) { return; }
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
    });

    if (answer) {
      answer.addEventListener("mouseup", function () {
        var picked = String(window.getSelection()).trim();
        if (picked) { phrase.value = picked.slice(0, 1000); }
      });
      answer.addEventListener("click", function (event) {
        var mark = event.target.closest("mark");
        if (mark && !String(window.getSelection()).trim()) { phrase.value = mark.getAttribute("data-phrase"); }
      });
    }
  }

  var bulk = document.getElementById("bulk-form");
  if (bulk) {
    bulk.addEventListener("submit", function (event) {
      var check = document.getElementById("bulk-check");
      var note = document.getElementById("bulk-note");
      if (!bulk.querySelector('input[name="item"]:checked')) {
        event.preventDefault();
        showProblem(check, "Select at least one item.", null);
      } else if (!note.value.trim()) {
        event.preventDefault();
        showProblem(check, "Write a note: it goes into the history of every selected item.", note);
      }
    });
  }
}());
