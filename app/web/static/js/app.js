/* 网签 desktop pages: the few behaviours htmx does not give. No inline script anywhere (CSP):
   pages declare behaviour with data- attributes and this file wires it up. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Every htmx request carries the CSRF token (forms also carry it as a hidden field).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  // <form data-confirm="…">: ask before submitting (the server still requires its own
  // confirmation field for irreversible actions, so this is a courtesy, not the guard).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var text = form.getAttribute && form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // <input type="checkbox" data-check-all="name">: select every checkbox named name.
  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute && box.getAttribute("data-check-all");
    if (!name) { return; }
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (other) {
      other.checked = box.checked;
    });
  });
})();

/* <select data-autosubmit>: choosing a value submits its form (the button stays for no-JS). */
document.addEventListener("change", function (event) {
  "use strict";
  var box = event.target;
  if (box.hasAttribute && box.hasAttribute("data-autosubmit") && box.form) { box.form.submit(); }
});
