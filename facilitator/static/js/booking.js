// Booking form: show the meeting-link field only for a provider whose link is pasted (the select's
// data-pasted-link lists them), and the number of sessions only for a series. Without JavaScript
// every field simply stays visible.
(function () {
  "use strict";
  var form = document.getElementById("booking-form");
  if (!form) { return; }
  var provider = form.querySelector("#provider");
  var pasted = provider ? (provider.getAttribute("data-pasted-link") || "").split(" ") : [];
  var linkField = document.getElementById("join-url-field");
  var repeat = form.querySelector("#repeat_every");
  var count = form.querySelector("#repeat_count");
  var countField = count ? count.closest(".field") : null;

  function update() {
    if (provider && linkField) {
      var hasError = linkField.querySelector(".field-error") !== null;
      linkField.hidden = pasted.indexOf(provider.value) === -1 && !hasError;
    }
    if (repeat && countField) {
      countField.hidden = repeat.value === "" && countField.querySelector(".field-error") === null;
    }
  }
  if (provider) { provider.addEventListener("change", update); }
  if (repeat) { repeat.addEventListener("change", update); }
  update();
}());
