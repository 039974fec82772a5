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

  // One more indicator row: the formset's empty form with the next index.
  function addRow(form) {
    const table = form.querySelector("[data-measures]");
    const template = form.querySelector("template[data-measure-row]");
    if (!table || !template) return;
    const total = form.querySelector("input[name='" + table.dataset.prefix + "-TOTAL_FORMS']");
    const index = Number(total.value);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    table.querySelector("tbody").insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const select = table.querySelector("tbody tr:last-child select");
    if (select) select.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.node-form").forEach(function (form) {
      follow(form);
      const add = form.querySelector("[data-add-measure]");
      if (add) {
        add.hidden = false;
        add.addEventListener("click", function () { addRow(form); });
      }
      form.addEventListener("change", function (event) {
        if (event.target.name === "level") follow(form);
      });
    });
  });
})();
