// "As known at": a date-and-time field and a slider over the moments when something in the
// scorecard changed (from the audit trail). The slider's last step is "now".

import { byId } from "./dom.js";
import { localInputValue, moment } from "./format.js";
import { MOMENTS } from "./queries.js";

const MAX_PAGES = 40;

export class TimeTravel {
  constructor(api, onChange) {
    this.api = api;
    this.onChange = onChange;
    this.moments = [];
    this.cursor = null;
    this.scorecard = null;
    this.asOf = null;
    this.input = byId("asof-input");
    this.slider = byId("asof-slider");
    this.output = byId("asof-output");
    this.now = byId("asof-now");
    this.note = byId("asof-note");
    this.slider.addEventListener("input", () => this.describe(Number(this.slider.value)));
    this.slider.addEventListener("change", () => this.pick(Number(this.slider.value)));
    this.input.addEventListener("change", () => {
      if (!this.input.value) return this.set(null);
      const at = new Date(this.input.value);
      if (Number.isNaN(at.getTime())) return;
      this.set(at.toISOString());
    });
    this.now.addEventListener("click", () => this.set(null));
  }

  /** Load the moments of a scorecard's history (paged), then keep them up to date. */
  async load(scorecardGid, canReadHistory) {
    this.scorecard = scorecardGid;
    this.moments = [];
    this.cursor = null;
    this.sync();
    if (!canReadHistory) {
      this.slider.disabled = true;
      this.note.textContent = "The slider needs a token that may read history; the date and time field works.";
      return;
    }
    this.note.textContent = "Loading the moments of change…";
    await this.more(scorecardGid);
  }

  async more(scorecardGid = this.scorecard) {
    const found = new Set(this.moments);
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const data = await this.api.request(MOMENTS, { id: scorecardGid, after: this.cursor });
      if (scorecardGid !== this.scorecard) return;
      for (const edge of data.auditTrail.edges) {
        const at = new Date(edge.node.recordedAt).toISOString();
        if (!found.has(at)) {
          found.add(at);
          this.moments.push(at);
        }
      }
      this.cursor = data.auditTrail.pageInfo.endCursor ?? this.cursor;
      if (!data.auditTrail.pageInfo.hasNextPage) break;
    }
    this.moments.sort();
    this.note.textContent = `${this.moments.length} moments of change; the last step is now.`;
    this.sync();
  }

  /** The slider step for the current as-of time: the last moment at or before it. */
  step() {
    if (this.asOf === null) return this.moments.length;
    let index = -1;
    for (let i = 0; i < this.moments.length; i += 1) if (this.moments[i] <= this.asOf) index = i;
    return Math.max(index, 0);
  }

  sync() {
    this.slider.disabled = this.moments.length === 0;
    this.slider.max = String(this.moments.length);
    this.slider.value = String(this.step());
    this.input.value = this.asOf ? localInputValue(this.asOf) : "";
    this.now.disabled = this.asOf === null;
    this.describe(this.step());
  }

  describe(step) {
    const text = step >= this.moments.length ? "now" : moment(this.moments[step]);
    this.output.value = text;
    this.output.textContent = text;
    this.slider.setAttribute("aria-valuetext", text);
  }

  pick(step) {
    this.set(step >= this.moments.length ? null : this.moments[step]);
  }

  set(asOf) {
    this.asOf = asOf;
    this.sync();
    this.onChange(asOf);
  }
}
