// A contact's page, often left open on a shared iPad: every minute, fetch the page again and swap in
// its fresh content (which session is live now, how long until the next), so it is never stale.
// Nothing moves while someone is using it (focus inside), and the page never reloads as a whole (no
// lost place, no timed refresh for a screen-reader user: axe's meta-refresh rule, WCAG 2.2.1).
// Without JavaScript the page works the same, its times as of when it was opened.
(function () {
  "use strict";
  var ID = "home-page";
  var content = document.getElementById(ID);
  if (!content || !window.fetch || !window.DOMParser) { return; }
  var seconds = parseInt(content.getAttribute("data-refresh-seconds"), 10) || 60;
  // A form someone has started (the pulse's answer chosen, say) is never swapped away.
  var started = false;
  document.addEventListener("change", function (event) {
    if (content.contains(event.target)) { started = true; }
  });

  function refresh() {
    var current = document.getElementById(ID);
    if (!current || started || current.contains(document.activeElement)) { return; }
    fetch(window.location.href, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(ID);
        if (fresh && fresh.innerHTML !== current.innerHTML && !started &&
            !current.contains(document.activeElement)) {
          current.innerHTML = fresh.innerHTML;
        }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  window.setInterval(refresh, seconds * 1000);
})();
