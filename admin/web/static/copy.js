// The copy button next to a newly created key (the project's own script; the key stays selectable text without it).
(function () {
  "use strict";
  var button = document.getElementById("copy-key");
  if (!button || !navigator.clipboard) { return; }
  var source = document.getElementById(button.getAttribute("data-copy"));
  var done = document.getElementById("copy-done");
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.textContent.trim()).then(
      function () { done.textContent = "Copied."; },
      function () { done.textContent = "Copying failed: select the key and copy it by hand."; }
    );
  });
})();
