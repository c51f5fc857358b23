/* Asks before a destructive submit: a button (or form) with data-confirm="Question?" submits
   only once the user agrees. Without this script the form simply submits, as it would
   anyway; the server decides what is allowed. Kept out of the markup so the
   Content-Security-Policy can forbid inline handlers; a page that uses data-confirm loads it. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var question = (submitter && submitter.getAttribute("data-confirm")) ||
      form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
}());
