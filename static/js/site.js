// The only script: progressive enhancements, never required for a form to work.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select.autosubmit").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    // A double click must not send the form twice; the server is idempotent anyway.
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
  document.querySelectorAll("textarea[maxlength]").forEach(function (ta) {
    var out = document.getElementById(ta.id + "_count");
    if (!out) { return; }
    var update = function () { out.textContent = ta.value.length + " / " + ta.getAttribute("maxlength"); };
    ta.addEventListener("input", update); update();
  });
});
