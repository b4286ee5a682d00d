// How numbers, statuses, periods and moments are written on the page.

const NUMBER = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 3 });
const MOMENT = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "medium",
});

export const STATUS_LABEL = {
  GREEN: "green",
  AMBER: "amber",
  RED: "red",
  NO_DATA: "no data",
};

export const DIRECTION_LABEL = {
  HIGHER_IS_BETTER: "higher is better",
  LOWER_IS_BETTER: "lower is better",
  WITHIN_RANGE: "within a range",
};

/** A score as the API's explanations write it: three decimals, or a dash for none. */
export function score(value) {
  return value === null || value === undefined ? "–" : value.toFixed(3);
}

export function number(value) {
  return value === null || value === undefined ? "–" : NUMBER.format(value);
}

export function withUnit(value, unit) {
  if (value === null || value === undefined) return "–";
  if (!unit) return number(value);
  return unit === "%" ? `${number(value)}%` : `${number(value)} ${unit}`;
}

export function percent(fraction) {
  return `${NUMBER.format(Math.round(fraction * 1000) / 10)}%`;
}

/** A moment in the browser's time zone, with seconds. */
export function moment(iso) {
  return iso ? MOMENT.format(new Date(iso)) : "–";
}

/** The value a datetime-local input takes for an ISO moment, in local time. */
export function localInputValue(iso) {
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}
