/* Draws every Plotly figure on the page from the JSON next to it.
 * <div class="plot" data-figure="ID"></div> <script type="application/json" id="ID">{figure}</script>
 * Figures are built in Python (indicators/charts.py, outcomes/charts.py); this script only hands
 * them to Plotly, and opens the URL a clicked point carries in its customdata. */
(function () {
  "use strict";

  // The server picks at most six period labels; a phone has room for fewer, or they overlap.
  // Keep every n-th label counted from the latest period, about one per 120 px.
  function thinTicks(layout, width) {
    var axis = layout && layout.xaxis;
    if (!axis || !axis.tickvals || !width) return;
    var room = Math.max(2, Math.floor(width / 120));
    if (axis.tickvals.length <= room) return;
    var step = Math.ceil(axis.tickvals.length / room);
    var keep = function (values) {
      return values.filter(function (_v, i) { return (values.length - 1 - i) % step === 0; });
    };
    axis.ticktext = keep(axis.ticktext || axis.tickvals);
    axis.tickvals = keep(axis.tickvals);
  }

  // A point whose customdata is a URL (a path on this site, or http(s)) is a link: a click
  // opens it (the chain's nodes open their page this way).
  function linkOf(data) {
    var point = data && data.points && data.points[0];
    var url = point && point.customdata;
    return typeof url === "string" && /^(\/(?!\/)|https?:\/\/)/.test(url) ? url : null;
  }

  function openLink(data) {
    var url = linkOf(data);
    if (url) window.location.assign(url);
  }

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
      thinTicks(figure.layout, el.clientWidth);
      var config = {
        displaylogo: false,
        responsive: true,
        staticPlot: small,
        displayModeBar: small ? false : "hover",
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
        locale: document.documentElement.lang || "en",
      };
      Plotly.newPlot(el, figure.data || [], figure.layout || {}, config);
      if (!small) {
        // newPlot may keep the listeners of an earlier drawing (htmx swaps): one of each.
        ["plotly_click", "plotly_hover", "plotly_unhover"].forEach(function (name) {
          if (el.removeAllListeners) el.removeAllListeners(name);
        });
        el.on("plotly_click", openLink);
        el.on("plotly_hover", function (data) { el.classList.toggle("pointing", !!linkOf(data)); });
        el.on("plotly_unhover", function () { el.classList.remove("pointing"); });
      }
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
