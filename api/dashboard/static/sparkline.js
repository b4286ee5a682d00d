// A small SVG trend of a KPI's last periods: the actual as a line, the target dashed.

import { svg } from "./dom.js";
import { STATUS_LABEL, number } from "./format.js";

const WIDTH = 120;
const HEIGHT = 32;
const PAD = 3;

export function sparkline(trend, unit, name) {
  const values = trend.flatMap((p) => [p.actual, p.target]).filter((v) => v !== null);
  const points = trend.filter((p) => p.actual !== null);
  const described = points.length
    ? `${name}: trend over ${trend.length} periods, ` +
      points.map((p) => `${p.period} ${number(p.actual)}`).join(", ")
    : `${name}: no values in the last ${trend.length} periods`;
  const chart = svg("svg", {
    class: "sparkline",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    width: WIDTH,
    height: HEIGHT,
    role: "img",
    "aria-label": described,
  });
  chart.append(svg("title", {}, described));
  if (!values.length) {
    chart.append(svg("line", { x1: PAD, x2: WIDTH - PAD, y1: HEIGHT / 2, y2: HEIGHT / 2, class: "empty" }));
    return chart;
  }
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (high === low) {
    high += 1;
    low -= 1;
  }
  const step = trend.length > 1 ? (WIDTH - 2 * PAD) / (trend.length - 1) : 0;
  const x = (i) => PAD + i * step;
  const y = (v) => HEIGHT - PAD - ((v - low) / (high - low)) * (HEIGHT - 2 * PAD);
  const path = (key) => {
    let d = "";
    let open = false;
    trend.forEach((p, i) => {
      if (p[key] === null) {
        open = false;
        return;
      }
      d += `${open ? "L" : "M"}${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`;
      open = true;
    });
    return d;
  };
  const target = path("target");
  if (target) chart.append(svg("path", { d: target, class: "target" }));
  chart.append(svg("path", { d: path("actual"), class: "actual" }));
  trend.forEach((p, i) => {
    if (p.actual === null) return;
    chart.append(
      svg(
        "circle",
        { cx: x(i).toFixed(1), cy: y(p.actual).toFixed(1), r: 2, class: `dot status-${p.status}` },
        svg("title", {}, `${p.period}: ${number(p.actual)} ${unit} (${STATUS_LABEL[p.status]})`),
      ),
    );
  });
  return chart;
}
