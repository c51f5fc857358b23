/* The deposit form: once a currency and a statement date are chosen, ask the app for the
   reference rate of that date (or the latest before it), show it beside the rate field, and
   fill the field in unless the user has typed a rate of their own. Without this script a
   blank rate means the same: the server fills in the reference rate when saving. */
(function () {
  "use strict";
  var form = document.getElementById("deposit-form");
  if (!form || !window.fetch) {
    return;
  }
  var url = form.getAttribute("data-reference-rate-url");
  var currency = form.querySelector("[name=currency]");
  var statementDate = form.querySelector("[name=statement_date]");
  var rate = form.querySelector("[name=rate_to_hkd]");
  var note = document.getElementById("rate-reference");
  if (!url || !currency || !statementDate || !rate || !note) {
    return;
  }
  // The value this script last put in the rate field: a later answer may replace it, but
  // never a rate the user typed.
  var filled = null;
  // Answers can arrive out of order; only the latest question's answer counts.
  var asked = 0;

  function untouched() {
    var value = rate.value.trim();
    return value === "" || value === filled;
  }

  function lookUp() {
    var day = statementDate.value;
    if (!currency.value || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      return;
    }
    var question = ++asked;
    var query = "?currency=" + encodeURIComponent(currency.value) +
      "&date=" + encodeURIComponent(day);
    fetch(url + query, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (question !== asked) {
          return;
        }
        note.textContent = answer.label || answer.error || "";
        if (untouched()) {
          rate.value = answer.rate || "";
          filled = rate.value;
        }
      })
      .catch(function () {
        if (question === asked) {
          note.textContent = "";
        }
      });
  }

  currency.addEventListener("change", lookUp);
  statementDate.addEventListener("change", lookUp);
  lookUp();
}());
