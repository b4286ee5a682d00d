// Calendar periods as the API names them: 2026-03, 2026-Q1, 2026.

export const GRANULARITIES = [
  { value: "month", label: "Months", count: 36 },
  { value: "quarter", label: "Quarters", count: 12 },
  { value: "year", label: "Years", count: 5 },
];

export function granularityOf(period) {
  if (/^\d{4}$/.test(period)) return "year";
  if (/^\d{4}-Q[1-4]$/.test(period)) return "quarter";
  return "month";
}

export function monthOf(date = new Date()) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}`;
}

/** The period of `granularity` that contains the month `month` (YYYY-MM). */
export function containing(month, granularity) {
  const [year, m] = month.split("-").map(Number);
  if (granularity === "year") return String(year);
  if (granularity === "quarter") return `${year}-Q${Math.floor((m - 1) / 3) + 1}`;
  return month;
}

/** The last month of a period, YYYY-MM. */
export function lastMonthOf(period) {
  const granularity = granularityOf(period);
  if (granularity === "year") return `${period}-12`;
  if (granularity === "quarter") {
    const [year, q] = period.split("-Q").map(Number);
    return `${year}-${String(q * 3).padStart(2, "0")}`;
  }
  return period;
}

/** `count` periods of `granularity`, newest first, ending with the one containing `month`. */
export function periodsUpTo(granularity, month, count) {
  let [year, m] = month.split("-").map(Number);
  const periods = [];
  while (periods.length < count) {
    const period = containing(`${year}-${String(m).padStart(2, "0")}`, granularity);
    if (periods[periods.length - 1] !== period) periods.push(period);
    m -= 1;
    if (m === 0) {
      m = 12;
      year -= 1;
    }
  }
  return periods;
}
