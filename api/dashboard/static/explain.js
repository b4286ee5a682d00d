// A score's explanation on demand: the formula with its numbers, the threshold that
// decided the status, and for a roll-up each child's score and weight.

import { h } from "./dom.js";
import { STATUS_LABEL, percent, score } from "./format.js";

const RULES = {
  actual_over_target: "higher is better: actual ÷ target",
  target_over_actual: "lower is better: target ÷ actual",
  progress_from_baseline: "progress from the baseline: (actual − baseline) ÷ (target − baseline)",
  within_range: "inside the range scores 1",
  outside_range: "outside the range: 1 − distance ÷ width",
  relative_gap: "relative gap to the target",
  meets_target: "meets the target",
  beats_target: "beats the target",
  misses_target: "misses the target",
  at_or_below_zero: "an actual at or below zero scores the cap",
  no_actual: "no actual for the period",
  no_target: "no target for the period",
  no_range: "no range defined",
};

function decision(status) {
  const threshold =
    status.minimum === null
      ? "no threshold applies"
      : `the first threshold reached is ${STATUS_LABEL[status.status]} at ≥ ${status.minimum}`;
  return h("p", {}, h("strong", {}, "Status: "), `${status.text} — ${threshold}.`);
}

function why(label, body) {
  return h(
    "details",
    { class: "why" },
    h("summary", { "aria-label": `Why: ${label}` }, "Why?"),
    h("div", { class: "why-body" }, body),
  );
}

export function kpiExplanation(kpi) {
  const e = kpi.explanation;
  return why(`how the score of ${kpi.name} came about`, [
    h("p", { class: "formula" }, h("strong", {}, "Formula: "), e.formula),
    h("p", {}, h("strong", {}, "Rule: "), RULES[e.rule] ?? e.rule),
    e.capped ? h("p", {}, `Capped at ${e.cap}.`) : null,
    decision(e.status),
  ]);
}

export function rollUpExplanation(name, explanation) {
  const rows = explanation.children.map((child) =>
    h(
      "tr",
      { class: child.included ? null : "left-out" },
      h("th", { scope: "row" }, child.name),
      h("td", {}, score(child.score)),
      h("td", {}, String(child.weight)),
      h("td", {}, child.included ? percent(child.normalisedWeight) : "–"),
      h("td", {}, child.included ? "included" : `left out: ${child.excludedBecause ?? "no data"}`),
    ),
  );
  return why(`how the score of ${name} rolls up`, [
    h("p", { class: "formula" }, h("strong", {}, "Formula: "), explanation.formula),
    decision(explanation.status),
    h(
      "table",
      { class: "children" },
      h("caption", {}, `What ${name} rolls up`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Item", "Score", "Weight", "Normalised", "In the roll-up"].map((t) =>
            h("th", { scope: "col" }, t),
          ),
        ),
      ),
      h("tbody", {}, rows),
    ),
  ]);
}
