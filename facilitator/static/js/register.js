// Register form: ticking "Confirm present" on a home with no status chosen shows it as present
// straight away (the facilitator can still choose another). Without JavaScript the server does
// the same when the register is saved.
(function () {
  "use strict";
  var form = document.getElementById("register-form");
  if (!form) { return; }
  form.addEventListener("change", function (event) {
    var tick = event.target;
    if (!tick.name || !/-confirm_join$/.test(tick.name) || !tick.checked) { return; }
    var status = form.querySelector('select[name="' + tick.name.replace(/confirm_join$/, "status") + '"]');
    if (status && status.value === "") { status.value = "present"; }
  });
}());
