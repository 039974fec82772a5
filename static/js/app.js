/* Small page behaviour: upload progress bar. */
(function () {
  "use strict";
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = document.getElementById("upload-progress");
    if (bar && event.detail.lengthComputable) {
      bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    }
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var bar = document.getElementById("upload-progress");
    if (bar) bar.value = 0;
  });
})();
