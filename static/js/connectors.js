/* The connector pages: a copy button for the webhook address shown once, and on the form of a
 * file pull or webhook only the fields of what it delivers (the survey only for responses). */
(function () {
  "use strict";

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.dataset.copy);
        if (!source) return;
        var text = source.textContent.trim();
        var done = function () {
          button.textContent = button.dataset.copied || button.textContent;
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done);
        } else {
          var range = document.createRange();
          range.selectNodeContents(source);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          if (document.execCommand("copy")) done();
        }
      });
    });
  }

  function targetFields() {
    var form = document.querySelector(".connector-form");
    var target = form && form.querySelector("[name=target]");
    if (!target) return;
    var show = function () {
      form.querySelectorAll(".connector-target").forEach(function (el) {
        el.style.display = el.dataset.target === target.value ? "" : "none";
      });
      var survey = form.querySelector("[name=survey]");
      if (survey) survey.closest(".field").style.display = target.value === "responses" ? "" : "none";
    };
    target.addEventListener("change", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    copyButtons();
    targetFields();
  });
})();
