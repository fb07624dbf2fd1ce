// The language menu in the header: choosing a language sends its form at once. Without
// JavaScript the form's own "Change" button does it.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select && select.form && select.form.id === "language-switcher") {
      select.form.submit();
    }
  });
})();
