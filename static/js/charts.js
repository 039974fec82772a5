/* Draws every Plotly figure on the page from the JSON next to it.
 * <div class="plot" data-figure="ID"></div> <script type="application/json" id="ID">{figure}</script>
 * Figures are built in Python (indicators/charts.py); this script only hands them to Plotly. */
(function () {
  "use strict";

  function draw(root) {
    if (typeof Plotly === "undefined") return;
    (root || document).querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source || el.dataset.drawn === source.textContent.length + "") return;
      var figure;
      try {
        figure = JSON.parse(source.textContent);
      } catch (e) {
        el.textContent = "—";
        return;
      }
      var small = el.classList.contains("small");
      var config = {
        displaylogo: false,
        responsive: true,
        staticPlot: small,
        displayModeBar: small ? false : "hover",
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
        locale: document.documentElement.lang || "en",
      };
      Plotly.newPlot(el, figure.data || [], figure.layout || {}, config);
      el.dataset.drawn = source.textContent.length + "";
    });
  }

  function start() {
    draw(document);
    document.body.addEventListener("htmx:afterSettle", function (event) {
      draw(event.detail.elt);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
