// The KPI panel: target history and measurement corrections with who, when and why, and
// the integrity verdict of the KPI's scorecard.

import { h } from "./dom.js";
import { DIRECTION_LABEL, STATUS_LABEL, moment, score, withUnit } from "./format.js";
import { ApiError } from "./graphql.js";
import { KPI_PANEL } from "./queries.js";

function who(provenance) {
  if (!provenance) return "–";
  return [
    h("span", { class: "actor" }, provenance.actor || "(hidden)"),
    ", ",
    h("time", { datetime: provenance.at }, moment(provenance.at)),
    provenance.reason ? [": ", h("q", {}, provenance.reason)] : "",
  ];
}

function table(caption, headings, rows, empty) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows),
    ),
  );
}

function integrity(report) {
  if (report.ok) {
    return h(
      "p",
      { class: "verdict ok", dataset: { verdict: "ok" } },
      `Intact: ${report.eventsChecked} events in ${report.streamsChecked} stream(s) verified, `,
      h("time", { datetime: report.checkedAt }, moment(report.checkedAt)),
      ".",
    );
  }
  return h(
    "div",
    { class: "verdict broken", dataset: { verdict: "broken" } },
    h("p", {}, `Broken: ${report.broken.length} stream(s) fail verification.`),
    h("ul", {}, report.broken.map((b) =>
      h("li", {}, `${b.streamId} at version ${b.version} (event ${b.eventId}): ${b.reason}`))),
  );
}

function measurementState(entry) {
  if (entry.supersedes) return entry.state === "current" ? "correction (current)" : `correction (${entry.state})`;
  return entry.state;
}

export class KpiPanel {
  constructor(element, api, { onClose }) {
    this.element = element;
    this.api = api;
    this.onClose = onClose;
    this.opener = null;
    this.request = 0;
    element.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
  }

  close() {
    this.element.hidden = true;
    this.element.replaceChildren();
    this.onClose();
    this.opener?.focus();
    this.opener = null;
  }

  async open(kpi, scorecardGid, role, opener) {
    this.opener = opener ?? this.opener;
    const request = ++this.request;
    const title = h("h2", { id: "kpi-panel-title", tabindex: "-1" }, kpi.name);
    const body = h("div", { class: "panel-body" }, h("p", { class: "loading" }, "Loading the history…"));
    this.element.replaceChildren(
      h(
        "div",
        { class: "panel-head" },
        title,
        h("button", { type: "button", class: "close", "aria-label": "Close the KPI panel", onclick: () => this.close() }, "×"),
      ),
      h(
        "p",
        { class: "definition" },
        `${kpi.kpiId} · ${DIRECTION_LABEL[kpi.direction]} · ${kpi.frequency.toLowerCase()} · unit ${kpi.unit || "none"} · owner ${kpi.owner || "–"}`,
      ),
      h(
        "p",
        { class: "current" },
        `${kpi.period}: ${withUnit(kpi.actual, kpi.unit)} against ${withUnit(kpi.target, kpi.unit)}, score ${score(kpi.score)}, ${STATUS_LABEL[kpi.status]}.`,
      ),
      body,
    );
    this.element.hidden = false;
    title.focus();
    if (role === "VIEWER") {
      body.replaceChildren(h("p", { class: "notice" }, "This token's role (viewer) may read current figures only, not who changed what and why. Use an auditor, editor or admin token for the history and the integrity check."));
      return;
    }
    let data;
    try {
      data = await this.api.request(KPI_PANEL, { kpi: kpi.id, scorecard: scorecardGid });
    } catch (error) {
      if (request !== this.request) return;
      const message = error instanceof ApiError ? error.message : `could not load the history: ${error.message}`;
      body.replaceChildren(h("p", { class: "error", role: "alert" }, message));
      if (!(error instanceof ApiError)) throw error;
      return;
    }
    if (request !== this.request) return;
    const record = data.kpi;
    const targets = [...record.targets].reverse().map((t) =>
      h(
        "tr",
        { class: t.current ? "current" : "ended" },
        h("td", {}, t.effectiveFrom ? `from ${t.period}` : t.period),
        h("td", {}, withUnit(t.value, kpi.unit)),
        h("td", {}, t.baseline === null ? "–" : withUnit(t.baseline, kpi.unit)),
        h("td", {}, who(t.set)),
        h("td", {}, t.ended ? who(t.ended) : "in force"),
      ),
    );
    const corrected = new Set(record.measurements.filter((m) => m.supersedes).map((m) => m.supersedes));
    const isCorrection = (m) => m.supersedes || corrected.has(m.measurementId) || m.state === "retracted";
    const row = (m) =>
      h(
        "tr",
        { class: m.state },
        h("td", {}, m.period),
        h("td", {}, m.notAvailable ? "not available" : withUnit(m.value, kpi.unit)),
        h("td", {}, measurementState(m)),
        h("td", {}, who(m.recorded)),
        h("td", {}, m.ended ? who(m.ended) : "–"),
        h("td", {}, m.sourceSystem || "–"),
      );
    const corrections = record.measurements.filter(isCorrection).reverse().map(row);
    const all = [...record.measurements].reverse().map(row);
    const measurementHeadings = ["Period", "Value", "State", "Recorded (who, when, why)", "Ended", "Source"];
    body.replaceChildren(
      h("section", { "aria-labelledby": "integrity-title" },
        h("h3", { id: "integrity-title" }, "Integrity of the scorecard's history"),
        integrity(data.integrity)),
      h("section", { "aria-labelledby": "targets-title" },
        h("h3", { id: "targets-title" }, "Target history"),
        table("Targets, newest first", ["Period", "Target", "Baseline", "Set (who, when, why)", "Ended"], targets, "No target was ever set.")),
      h("section", { "aria-labelledby": "corrections-title" },
        h("h3", { id: "corrections-title" }, "Corrections and retractions"),
        table("Corrected, superseded and retracted values", measurementHeadings, corrections, "No value was ever corrected or retracted.")),
      h("details", { class: "all-values" },
        h("summary", {}, `Every recorded value (${all.length})`),
        table("Every value, newest first", measurementHeadings, all, "No value recorded yet.")),
    );
  }
}
