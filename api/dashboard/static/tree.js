// The scorecard as a tree: perspectives → objectives → KPIs, each with status, score,
// actual against target, a trend, and its explanation on demand. When a "now" view is
// given (time travel), every shown value that differs from now is marked.

import { h } from "./dom.js";
import { rollUpExplanation, kpiExplanation } from "./explain.js";
import { STATUS_LABEL, score, withUnit } from "./format.js";
import { sparkline } from "./sparkline.js";

/** Every entity of a view by kind and id, to compare two views. */
export function index(view) {
  const items = new Map([["scorecard:", view]]);
  for (const p of view.perspectives) {
    items.set(`perspective:${p.perspectiveId}`, p);
    for (const o of p.objectives) {
      items.set(`objective:${o.objectiveId}`, o);
      for (const k of o.kpis) items.set(`kpi:${k.kpiId}`, k);
    }
  }
  return items;
}

function shown(item, field) {
  switch (field) {
    case "status":
      return STATUS_LABEL[item.status];
    case "score":
      return score(item.score);
    case "actual":
      return withUnit(item.actual, item.unit);
    case "target":
      return withUnit(item.target, item.unit);
    default:
      return "";
  }
}

class Marks {
  constructor(now) {
    this.now = now;
    this.count = 0;
  }

  value(key, item, field, label) {
    const text = shown(item, field);
    const attributes = { class: `value ${field}`, dataset: { field } };
    const other = this.now?.get(key);
    if (this.now && other === undefined) {
      this.count += 1;
      return h("span", { ...attributes, class: `${attributes.class} differs` }, label, h("span", { class: "text" }, text),
        h("span", { class: "now" }, " (gone now)"));
    }
    if (this.now && shown(other, field) !== text) {
      this.count += 1;
      return h(
        "span",
        { ...attributes, class: `${attributes.class} differs`, dataset: { field, now: shown(other, field) } },
        label,
        h("span", { class: "text" }, text),
        h("span", { class: "now" }, ` (now ${shown(other, field)})`),
      );
    }
    return h("span", attributes, label, h("span", { class: "text" }, text));
  }
}

function badge(marks, key, item) {
  const node = marks.value(key, item, "status", "");
  node.classList.add("badge", `status-${item.status}`);
  return node;
}

function kpiRow(marks, kpi, actions) {
  const key = `kpi:${kpi.kpiId}`;
  return h(
    "li",
    { class: "kpi", dataset: { kind: "kpi", id: kpi.kpiId } },
    h(
      "div",
      { class: "row" },
      badge(marks, key, kpi),
      h(
        "button",
        {
          type: "button",
          class: "name link",
          "aria-label": `${kpi.name}: open its history`,
          onclick: (event) => actions.openKpi(kpi, event.currentTarget),
        },
        kpi.name,
      ),
      h(
        "span",
        { class: "figures" },
        marks.value(key, kpi, "actual", ""),
        h("span", { class: "against", "aria-hidden": "true" }, " / "),
        marks.value(key, kpi, "target", h("span", { class: "visually-hidden" }, " against target ")),
      ),
      marks.value(key, kpi, "score", h("span", { class: "visually-hidden" }, "score ")),
      sparkline(kpi.trend, kpi.unit, kpi.name),
    ),
    kpiExplanation(kpi),
  );
}

function objectiveNode(marks, objective, actions) {
  const key = `objective:${objective.objectiveId}`;
  return h(
    "li",
    { class: "objective", dataset: { kind: "objective", id: objective.objectiveId } },
    h(
      "div",
      { class: "row heading" },
      badge(marks, key, objective),
      h("h4", { class: "name" }, objective.title),
      objective.alignedTo
        ? h("span", { class: "aligned" }, `aligned to ${objective.alignedTo.scorecardId}`)
        : null,
      marks.value(key, objective, "score", h("span", { class: "visually-hidden" }, "score ")),
    ),
    rollUpExplanation(objective.title, objective.explanation),
    h("ul", { class: "kpis", "aria-label": `KPIs of ${objective.title}` },
      objective.kpis.map((k) => kpiRow(marks, k, actions))),
  );
}

function perspectiveNode(marks, perspective, actions) {
  const key = `perspective:${perspective.perspectiveId}`;
  return h(
    "li",
    { class: "perspective", dataset: { kind: "perspective", id: perspective.perspectiveId } },
    h(
      "div",
      { class: "row heading" },
      badge(marks, key, perspective),
      h("h3", { class: "name" }, perspective.name),
      marks.value(key, perspective, "score", h("span", { class: "visually-hidden" }, "score ")),
    ),
    rollUpExplanation(perspective.name, perspective.explanation),
    h("ul", { class: "objectives" }, perspective.objectives.map((o) => objectiveNode(marks, o, actions))),
  );
}

/** Render `view` into `container`; returns how many shown values differ from `now`. */
export function renderTree(container, view, now, actions) {
  const marks = new Marks(now);
  const summary = h(
    "div",
    { class: "summary", dataset: { kind: "scorecard", id: view.scorecardId } },
    h(
      "div",
      { class: "row heading" },
      badge(marks, "scorecard:", view),
      h("h2", { id: "scorecard-title", class: "name" }, view.name),
      h("span", { class: "period" }, view.period, view.closed ? " (closed)" : ""),
      marks.value("scorecard:", view, "score", h("span", { class: "visually-hidden" }, "score ")),
    ),
    rollUpExplanation(view.name, view.explanation),
  );
  const tree = h(
    "ul",
    { class: "tree", "aria-label": `Perspectives of ${view.name}` },
    view.perspectives.map((p) => perspectiveNode(marks, p, actions)),
  );
  container.replaceChildren(summary, tree);
  return marks.count;
}

/** KPIs whose shown figures or trend differ between two views. */
export function changedKpis(before, after) {
  const old = index(before);
  const changed = [];
  for (const [key, item] of index(after)) {
    if (!key.startsWith("kpi:")) continue;
    const was = old.get(key);
    const same =
      was &&
      ["status", "score", "actual", "target"].every((f) => shown(was, f) === shown(item, f)) &&
      JSON.stringify(was.trend) === JSON.stringify(item.trend);
    if (!same) changed.push(item);
  }
  return changed;
}
