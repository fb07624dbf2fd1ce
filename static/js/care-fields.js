// Booking forms: show the "person cared for" fieldset only for services that ask about them
// (R-ORD-1). Without JavaScript the fieldset stays visible and the server ignores it for other
// services.
(function () {
  "use strict";

  function sync(fieldset) {
    var form = fieldset.closest("form");
    var field = form && form.elements.namedItem("service_type");
    if (!field) {
      return;
    }
    var ids = (fieldset.getAttribute("data-care-services") || "").split(" ");
    fieldset.hidden = ids.indexOf(String(field.value)) === -1;
  }

  function syncAll() {
    document.querySelectorAll("fieldset.care-fields").forEach(sync);
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "service_type") {
      syncAll();
    }
  });
  document.addEventListener("htmx:afterSettle", syncAll);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", syncAll);
  } else {
    syncAll();
  }
})();
