// Booking and reschedule forms: show the meeting-link field only for a provider whose link is pasted (the select's
// data-pasted-link lists them), the number of sessions and "Skip bank holidays" only for a series,
// the monthly rule (same date or same weekday) only for a monthly one, and "Record a past session"
// only for a date before today (its data-today). Without JavaScript every field simply stays visible.
(function () {
  "use strict";
  var form = document.getElementById("booking-form") || document.getElementById("reschedule-form");
  if (!form) { return; }
  var provider = form.querySelector("#provider");
  var pasted = provider ? (provider.getAttribute("data-pasted-link") || "").split(" ") : [];
  var linkField = document.getElementById("join-url-field");
  var repeat = form.querySelector("#repeat_every");
  var count = form.querySelector("#repeat_count");
  var countField = count ? count.closest(".field") : null;
  var monthly = form.querySelector("#monthly_by");
  var monthlyField = monthly ? monthly.closest(".field") : null;
  var skip = form.querySelector("#skip_holidays");
  var skipField = skip ? skip.closest(".field") : null;
  var day = form.querySelector("#date");
  var record = form.querySelector("#record_only");
  var recordField = record ? record.closest(".field") : null;

  function show(field, wanted) {
    if (field) { field.hidden = !wanted && field.querySelector(".field-error") === null; }
  }

  function update() {
    if (provider && linkField) {
      var hasError = linkField.querySelector(".field-error") !== null;
      linkField.hidden = pasted.indexOf(provider.value) === -1 && !hasError;
    }
    if (repeat) {
      show(countField, repeat.value !== "");
      show(skipField, repeat.value !== "");
      show(monthlyField, repeat.value === "month");
    }
    if (day && record) {
      var today = record.getAttribute("data-today") || "";
      show(recordField, record.checked || (day.value !== "" && day.value < today));
    }
  }
  if (provider) { provider.addEventListener("change", update); }
  if (repeat) { repeat.addEventListener("change", update); }
  if (day) { day.addEventListener("change", update); day.addEventListener("input", update); }
  update();
}());
