// Keyboard shortcuts and phrase picking on a review item's page (the project's own script).
(function () {
  "use strict";
  var form = document.getElementById("decision-form");
  if (!form) { return; }
  var phrase = document.getElementById("phrase");
  var note = document.getElementById("note");
  var answer = document.getElementById("answer");
  var fields = { phrase: phrase, note: note };

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var button = form.querySelector('button[data-shortcut="' + event.key + '"]');
    if (!button) { return; }
    event.preventDefault();
    var needed = fields[button.getAttribute("data-needs")];
    if (needed && needed === phrase && !needed.value.trim()) { needed.focus(); return; }
    if (needed && needed === note && !needed.value.trim()) { needed.focus(); return; }
    button.click();
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
}());
