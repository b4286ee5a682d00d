// The strategy map: objectives in rows by perspective, cause-and-effect links as arrows,
// coloured by status; objectives of parent teams they align to in a row of their own.

import { h, svg } from "./dom.js";
import { STATUS_LABEL, score } from "./format.js";

const BOX_W = 170;
const BOX_H = 54;
const GAP_X = 30;
const ROW_H = 100;
const LABEL_W = 130;

function lines(title, max = 24) {
  const words = title.split(/\s+/);
  const out = [""];
  for (const word of words) {
    const last = out[out.length - 1];
    if (last && (last + " " + word).length > max) out.push(word);
    else out[out.length - 1] = last ? `${last} ${word}` : word;
  }
  if (out.length > 2) out.splice(2, out.length - 2, out.slice(1).join(" ").slice(0, max - 1) + "…");
  return out;
}

function node(x, y, item, extra = "") {
  const label = `${item.title}${extra}: ${STATUS_LABEL[item.status]}, score ${score(item.score)}`;
  const text = lines(item.title);
  return svg(
    "g",
    {
      class: `map-node status-${item.status}${extra ? " parent" : ""}`,
      transform: `translate(${x},${y})`,
      tabindex: "0",
      role: "img",
      "aria-label": label,
      dataset: { objective: item.objectiveId },
    },
    svg("title", {}, label),
    svg("rect", { width: BOX_W, height: BOX_H, rx: 8 }),
    text.map((t, i) =>
      svg("text", { x: 10, y: 20 + i * 16 }, t),
    ),
    svg("text", { x: BOX_W - 10, y: BOX_H - 8, class: "map-score", "text-anchor": "end" }, score(item.score)),
  );
}

/**
 * @param view the scorecard
 * @param parents Map of parent scorecard id → {name, nodes} for aligned objectives
 */
export function renderStrategyMap(container, view, parents) {
  const rows = [];
  const aligned = view.strategyMap.nodes.filter((n) => n.alignedTo);
  const parentItems = [];
  for (const n of aligned) {
    const parent = parents.get(n.alignedTo.scorecardId);
    const item = parent?.nodes.find((p) => p.objectiveId === n.alignedTo.objectiveId);
    if (item && !parentItems.some((p) => p.key === `${n.alignedTo.scorecardId}/${item.objectiveId}`)) {
      parentItems.push({ ...item, key: `${n.alignedTo.scorecardId}/${item.objectiveId}`, team: parent.name });
    }
  }
  if (parentItems.length) rows.push({ name: "Parent team", items: parentItems, parent: true });
  for (const p of view.perspectives) {
    const items = view.strategyMap.nodes.filter((n) => n.perspectiveId === p.perspectiveId);
    if (items.length) rows.push({ name: p.name, items });
  }
  const widest = Math.max(1, ...rows.map((r) => r.items.length));
  const width = LABEL_W + widest * (BOX_W + GAP_X);
  const height = rows.length * ROW_H + 10;
  const places = new Map();
  const drawn = [];
  rows.forEach((row, r) => {
    const y = 10 + r * ROW_H;
    drawn.push(svg("text", { x: 8, y: y + BOX_H / 2 + 4, class: "map-row" }, row.name));
    drawn.push(svg("line", { x1: 0, x2: width, y1: y + BOX_H + 23, y2: y + BOX_H + 23, class: "map-divider" }));
    row.items.forEach((item, i) => {
      const x = LABEL_W + i * (BOX_W + GAP_X);
      const key = row.parent ? `parent:${item.key}` : item.objectiveId;
      places.set(key, { x, y });
      drawn.push(node(x, y, item, row.parent ? ` (${item.team})` : ""));
    });
  });
  const arrows = [];
  const arrow = (from, to, cls) => {
    if (!from || !to) return;
    const down = to.y > from.y;
    const x1 = from.x + BOX_W / 2;
    const y1 = down ? from.y + BOX_H : from.y;
    const x2 = to.x + BOX_W / 2;
    const y2 = from.y === to.y ? to.y + BOX_H / 2 : down ? to.y : to.y + BOX_H;
    arrows.push(svg("line", { x1, y1, x2, y2, class: cls, "marker-end": "url(#arrowhead)" }));
  };
  for (const link of view.strategyMap.links) {
    arrow(places.get(link.sourceObjectiveId), places.get(link.targetObjectiveId), "map-link");
  }
  for (const n of aligned) {
    arrow(places.get(`parent:${n.alignedTo.scorecardId}/${n.alignedTo.objectiveId}`), places.get(n.objectiveId), "map-alignment");
  }
  const described =
    `Strategy map of ${view.name}: ${view.strategyMap.nodes.length} objectives, ` +
    `${view.strategyMap.links.length} cause-and-effect links, ${parentItems.length} parent objectives`;
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, width, height, class: "strategy-map", "aria-label": described, role: "group" },
    svg("defs", {}, svg("marker", { id: "arrowhead", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      svg("path", { d: "M0,0 L10,5 L0,10 z" }))),
    arrows,
    drawn,
  );
  const titleOf = (id) => view.strategyMap.nodes.find((n) => n.objectiveId === id)?.title ?? id;
  const list = h(
    "ul",
    { class: "map-links", "aria-label": "Cause-and-effect links" },
    view.strategyMap.links.map((l) => h("li", {}, `${titleOf(l.sourceObjectiveId)} drives ${titleOf(l.targetObjectiveId)}`)),
    parentItems.map((p) => h("li", {}, `aligned to ${p.title} (${p.team})`)),
  );
  container.replaceChildren(h("div", { class: "map-scroll" }, chart), list);
}
