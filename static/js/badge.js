/*
 * The badge snippet's copy button (progressive enhancement).
 *
 * Without this script the report page offers the snippet in a read-only
 * textarea, to select and copy by hand. With it, a button beside the code
 * copies it and says so in a polite live region. The texts come from the
 * page: data-copy-label and data-copied-label on .badge-snippet.
 */
(function () {
  "use strict";

  function copyText(textarea) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(textarea.value);
    }
    // Plain http (a local portal): select the code and copy the selection.
    textarea.focus();
    textarea.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function enhance(box) {
    var textarea = box.querySelector("textarea");
    if (!textarea) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button badge-snippet__copy";
    button.textContent = box.getAttribute("data-copy-label");
    var status = document.createElement("p");
    status.className = "badge-snippet__status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      status.textContent = "";
      copyText(textarea).then(
        function () {
          status.textContent = box.getAttribute("data-copied-label");
        },
        function () {
          // Copying was refused: the code stays selected, for Ctrl+C.
          textarea.focus();
          textarea.select();
        }
      );
    });
    box.appendChild(button);
    box.appendChild(status);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll(".badge-snippet[data-copy-label]");
    for (var i = 0; i < boxes.length; i += 1) {
      enhance(boxes[i]);
    }
  });
})();
