// The chain node form: "contributes to" offers only the nodes above the chosen level, and the
// initiative is marked as needed for activities and outputs. Without this script every
// candidate shows and the service explains a link the wrong way.
(function () {
  "use strict";
  const RANKS = { activity: 0, output: 1, outcome: 2, impact: 3 };

  function follow(form) {
    const level = form.querySelector("select[name=level]");
    if (!level) return;
    const rank = level.value in RANKS ? RANKS[level.value] : -1;
    let shown = 0;
    form.querySelectorAll(".target-group").forEach(function (group) {
      const above = Number(group.dataset.rank) > rank;
      group.hidden = !above;
      group.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        box.disabled = !above; // a hidden box keeps its tick but is not sent
      });
      if (above) shown += 1;
    });
    const none = form.querySelector("[data-no-targets]");
    const top = form.querySelector("[data-impact-note]");
    if (top) top.hidden = level.value !== "impact";
    if (none) none.hidden = shown > 0 || level.value === "impact";
    const initiative = form.querySelector("[data-initiative-field]");
    if (initiative) {
      const work = (initiative.dataset.workLevels || "").split(" ");
      initiative.classList.toggle("needed", work.indexOf(level.value) >= 0);
      const select = initiative.querySelector("select");
      if (select) select.required = work.indexOf(level.value) >= 0;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.node-form").forEach(function (form) {
      follow(form);
      form.addEventListener("change", function (event) {
        if (event.target.name === "level") follow(form);
      });
    });
  });
})();
