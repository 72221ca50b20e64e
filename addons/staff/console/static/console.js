// The staff console's only script (no inline script is allowed by the page's CSP).
// Pages work without it; it only prevents a form from being sent twice (a double
// click on "Mark handled") and selects an invitation link for copying.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    if (form.dataset.sent === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (button) { button.disabled = true; });
    }, 0);
  });
  var link = document.getElementById("invite-link");
  if (link) {
    link.addEventListener("focus", function () { link.select(); });
  }
})();
