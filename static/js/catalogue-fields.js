// Booking forms (R-ORD-2): show only the chosen service's extras, and ask for the home area or
// the hours as the service is priced. Without JavaScript everything stays visible and the
// server refuses extras of another service with a clear message.
(function () {
  "use strict";

  function sync(form) {
    var select = form.elements.namedItem("service_type");
    if (!select || !select.selectedOptions) {
      return;
    }
    var chosen = select.selectedOptions[0];
    var unit = (chosen && chosen.getAttribute("data-unit")) || "per_sqm";
    form.querySelectorAll("input[data-service]").forEach(function (box) {
      var mine = box.getAttribute("data-service") === String(select.value);
      var row = box.closest("label") || box.parentNode;
      var wrapper = row.parentNode && row.parentNode.tagName === "DIV" ? row.parentNode : row;
      wrapper.hidden = !mine;
      if (!mine) {
        box.checked = false;
      }
    });
    var extras = form.querySelector(".catalogue-options");
    if (extras) {
      extras.hidden = !form.querySelector("input[data-service='" + select.value + "']");
    }
    var area = form.querySelector(".field-home_area_sqm");
    var hours = form.querySelector(".field-hours");
    var condition = form.querySelector(".field-difficulty");
    if (area) { area.hidden = unit === "per_hour"; }
    if (hours) {
      hours.hidden = unit !== "per_hour";
      // The hours this service may be booked for, so the browser says so before the server.
      var input = hours.querySelector("input");
      if (input && chosen && chosen.hasAttribute("data-min-hours")) {
        input.min = chosen.getAttribute("data-min-hours");
        input.max = chosen.getAttribute("data-max-hours");
      }
    }
    if (condition) { condition.hidden = unit === "per_hour"; }
  }

  function syncAll() {
    document.querySelectorAll("form").forEach(sync);
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "service_type") {
      sync(event.target.form);
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", syncAll);
  } else {
    syncAll();
  }
})();
