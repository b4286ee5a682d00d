// The dashboard: sign-in, pickers, the scorecard tree, time travel, the KPI panel, the
// strategy map and live updates, all through the public GraphQL API.

import { byId, h } from "./dom.js";
import { moment } from "./format.js";
import { ApiError, AuthError, GraphQL, NetworkError } from "./graphql.js";
import { KpiPanel } from "./kpi-panel.js";
import { Live } from "./live.js";
import { GRANULARITIES, containing, granularityOf, monthOf, periodsUpTo } from "./periods.js";
import { PARENT_MAP, SCORECARD, SCORECARD_CHANGED, WHO } from "./queries.js";
import { renderStrategyMap } from "./strategy-map.js";
import { TimeTravel } from "./time-travel.js";
import { forgetToken, keepToken, storedToken, takeTokenFromLink } from "./token.js";
import { changedKpis, index as treeIndex, renderTree } from "./tree.js";

const HIGHLIGHT_MS = 15000;

const state = {
  api: null,
  live: null,
  viewer: null,
  scorecards: [],
  scorecard: null,
  period: null,
  now: null, // the scorecard as it stands
  shown: null, // the scorecard on screen (now, or as known at a moment)
  asOf: null,
  stopLive: null,
  request: 0,
  highlighted: new Set(),
};

let panel = null;
let travel = null;

function showAlert(message, retry) {
  const alert = byId("alert");
  alert.replaceChildren(
    h("p", {}, message),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null,
  );
  alert.hidden = false;
}

function hideAlert() {
  byId("alert").hidden = true;
}

function signIn(message) {
  state.live?.close();
  state.live = null;
  state.api = null;
  forgetToken();
  byId("app").hidden = true;
  byId("sign-out").hidden = true;
  byId("connection").textContent = "";
  byId("connection").dataset.state = "";
  hideAlert();
  byId("sign-in").hidden = false;
  const error = byId("sign-in-error");
  error.textContent = message ?? "";
  error.hidden = !message;
  byId("token-input").value = "";
  byId("token-input").focus();
}

/** What every failed request does: a refused token sends back to sign-in. */
function failed(error) {
  if (error instanceof AuthError) {
    signIn(`The token was refused (${error.message}): it is wrong, revoked or expired. Enter a valid token.`);
  } else if (error instanceof NetworkError) {
    showAlert(`Cannot reach the server: ${error.message}. Check that it is running.`, () => {
      hideAlert();
      refresh();
    });
  } else if (error instanceof ApiError) {
    showAlert(`The server refused the request: ${error.message}`);
  } else {
    showAlert(`Something went wrong: ${error.message}`);
    console.error(error);
  }
}

function setConnection(stateName, text) {
  const element = byId("connection");
  element.dataset.state = stateName;
  element.textContent = text;
}

function onLiveStatus(name, detail) {
  if (name === "connected") {
    setConnection("connected", "Live updates on");
    hideAlert();
    if (detail.reconnected) refresh();
  } else if (name === "connecting") {
    if (byId("connection").dataset.state !== "lost") setConnection("connecting", "Connecting live updates…");
  } else if (name === "lost") {
    const seconds = Math.round(detail.retryIn / 1000);
    setConnection("lost", `Connection lost: retrying in ${seconds} s`);
    showAlert(
      `The live connection to the server was lost; figures on screen may be out of date. Reconnecting (attempt ${detail.attempt})…`,
    );
  }
}

function fillScorecardPicker(organization) {
  const picker = byId("scorecard-picker");
  const teams = organization.teams.filter((t) => !t.archived);
  const byParent = new Map();
  for (const team of teams) {
    const key = team.parentTeamId ?? "";
    if (!byParent.has(key)) byParent.set(key, []);
    byParent.get(key).push(team);
  }
  const known = new Set(teams.map((t) => t.teamId));
  const roots = teams.filter((t) => !t.parentTeamId || !known.has(t.parentTeamId));
  const options = [];
  const walk = (team, depth) => {
    for (const card of team.scorecards) {
      const indent = "\u00a0\u00a0".repeat(depth);
      options.push(h("option", { value: card.id }, `${indent}${team.name} — ${card.name}`));
      state.scorecards.push({ ...card, team: team.name });
    }
    for (const child of byParent.get(team.teamId) ?? []) walk(child, depth + 1);
  };
  state.scorecards = [];
  roots.forEach((team) => walk(team, 0));
  picker.replaceChildren(...options);
}

function fillPeriodPicker() {
  const granularity = granularityOf(state.period);
  byId("granularity").value = granularity;
  const count = GRANULARITIES.find((g) => g.value === granularity).count;
  const periods = periodsUpTo(granularity, monthOf(), count);
  if (!periods.includes(state.period)) periods.push(state.period);
  byId("period-picker").replaceChildren(
    ...periods.map((p) => h("option", { value: p, selected: p === state.period }, p)),
  );
}

/** The latest period of a view's trends with any actual: a fresh view starts there. */
function latestWithData(view) {
  let latest = null;
  for (const p of view.perspectives)
    for (const o of p.objectives)
      for (const k of o.kpis)
        for (const t of k.trend) if (t.actual !== null && (latest === null || t.period > latest)) latest = t.period;
  return latest;
}

function actions() {
  return {
    openKpi: (kpi, opener) => {
      panel.open(kpi, state.scorecard, state.viewer.role, opener).catch(failed);
    },
  };
}

function render() {
  const view = state.shown;
  if (!view) return;
  const travelling = state.asOf !== null;
  const differing = renderTree(byId("tree"), view, travelling ? indexOf(state.now) : null, actions());
  for (const id of state.highlighted) {
    document.querySelector(`.kpi[data-id="${CSS.escape(id)}"]`)?.classList.add("live-changed");
  }
  const banner = byId("asof-banner");
  banner.hidden = !travelling;
  banner.textContent = travelling
    ? `As known at ${moment(state.asOf)}: ${differing} shown value(s) differ from now (marked).`
    : "";
  document.body.classList.toggle("travelling", travelling);
  renderMap();
}

let indexCache = { view: null, index: null };
function indexOf(view) {
  if (indexCache.view !== view) {
    indexCache = { view, index: treeIndex(view) };
  }
  return indexCache.index;
}

async function renderMap() {
  const view = state.shown;
  const parents = new Map();
  const wanted = new Map();
  for (const n of view.strategyMap.nodes) if (n.alignedTo) wanted.set(n.alignedTo.scorecardId, n.alignedTo.scorecard);
  renderStrategyMap(byId("strategy-map"), view, parents);
  if (!wanted.size) return;
  try {
    for (const [scorecardId, gid] of wanted) {
      const data = await state.api.request(PARENT_MAP, { id: gid, period: view.period, asOf: state.asOf });
      if (data.scorecard) parents.set(scorecardId, { name: data.scorecard.name, nodes: data.scorecard.strategyMap.nodes });
    }
  } catch (error) {
    if (error instanceof ApiError) return; // a parent outside what the token may read
    throw error;
  }
  if (state.shown === view) renderStrategyMap(byId("strategy-map"), view, parents);
}

async function load(firstLoad = false) {
  const request = ++state.request;
  byId("tree").setAttribute("aria-busy", "true");
  const variables = { id: state.scorecard, period: state.period };
  const now = (await state.api.request(SCORECARD, variables)).scorecard;
  if (request !== state.request) return;
  if (!now) {
    byId("tree").replaceChildren(h("p", { class: "empty" }, "This scorecard does not exist (any more) or is not visible to this token."));
    return;
  }
  if (firstLoad && granularityOf(state.period) === "month") {
    const latest = latestWithData(now);
    if (latest && latest !== state.period && !now.perspectives.some((p) => p.objectives.some((o) => o.kpis.some((k) => k.actual !== null)))) {
      state.period = latest;
      fillPeriodPicker();
      return load(false);
    }
  }
  state.now = now;
  state.shown = now;
  if (state.asOf !== null) {
    const then = (await state.api.request(SCORECARD, { ...variables, asOf: state.asOf })).scorecard;
    if (request !== state.request) return;
    state.shown = then ?? now;
  }
  byId("tree").removeAttribute("aria-busy");
  render();
}

function refresh() {
  return load().catch(failed);
}

function followLive() {
  state.stopLive?.();
  state.stopLive = state.live.subscribe(
    SCORECARD_CHANGED,
    { id: state.scorecard, period: state.period },
    (payload) => {
      const pushed = payload.data?.scorecardChanged;
      if (!pushed || pushed.id !== state.scorecard || pushed.period !== state.period) return;
      const before = state.now;
      state.now = pushed;
      if (state.asOf === null) state.shown = pushed;
      const changed = before ? changedKpis(before, pushed) : [];
      for (const kpi of changed) {
        state.highlighted.add(kpi.kpiId);
        setTimeout(() => {
          state.highlighted.delete(kpi.kpiId);
          document.querySelector(`.kpi[data-id="${CSS.escape(kpi.kpiId)}"]`)?.classList.remove("live-changed");
        }, HIGHLIGHT_MS);
      }
      render();
      const log = byId("live-log");
      const text = changed.length
        ? `Live update at ${moment(new Date().toISOString())}: ${changed.map((k) => k.name).join(", ")} changed.`
        : `Live update at ${moment(new Date().toISOString())}: the scorecard changed; nothing shown for ${pushed.period} differs.`;
      log.prepend(h("li", {}, text));
      while (log.children.length > 5) log.lastChild.remove();
      travel.more().catch(() => {});
    },
    (errors) => showAlert(`Live updates refused: ${errors.map((e) => e.message).join("; ")}`),
  );
}

async function chooseScorecard(gid, firstLoad = false) {
  state.scorecard = gid;
  state.highlighted.clear();
  state.asOf = null;
  panel.element.hidden = true;
  sessionStorage.setItem("scoreledger.scorecard", gid);
  byId("scorecard-picker").value = gid;
  await load(firstLoad);
  followLive();
  travel.asOf = null;
  travel.load(gid, state.viewer.role !== "VIEWER").catch(failed);
}

async function start(token) {
  hideAlert();
  const api = new GraphQL(token);
  let who;
  try {
    who = await api.request(WHO);
  } catch (error) {
    if (error instanceof AuthError) {
      signIn(`The token was refused (${error.message}): it is wrong, revoked or expired. Enter a valid token.`);
    } else {
      failed(error);
    }
    return;
  }
  keepToken(token);
  state.api = api;
  state.viewer = who.viewer;
  byId("sign-in").hidden = true;
  byId("app").hidden = false;
  byId("sign-out").hidden = false;
  byId("who").textContent = `${who.organization?.name ?? who.viewer.organizationId} · ${who.viewer.role.toLowerCase()} token “${who.viewer.tokenName}”`;
  panel = new KpiPanel(byId("kpi-panel"), api, { onClose: () => {} });
  travel = new TimeTravel(api, (asOf) => {
    state.asOf = asOf;
    refresh();
  });
  state.live = new Live(token, {
    onStatus: onLiveStatus,
    onRejected: () => signIn("The server refused the token for live updates: it is wrong, revoked or expired. Enter a valid token."),
  });
  state.live.connect();
  if (!who.organization) {
    byId("tree").replaceChildren(h("p", { class: "empty" }, "This organization has no data yet."));
    return;
  }
  fillScorecardPicker(who.organization);
  if (!state.scorecards.length) {
    byId("tree").replaceChildren(h("p", { class: "empty" }, "This organization has no scorecard yet."));
  }
  if (!state.scorecards.length) return;
  state.period = sessionStorage.getItem("scoreledger.period") ?? monthOf();
  fillPeriodPicker();
  const remembered = sessionStorage.getItem("scoreledger.scorecard");
  const first = state.scorecards.find((c) => c.id === remembered) ?? state.scorecards[0];
  await chooseScorecard(first.id, !sessionStorage.getItem("scoreledger.period"));
}

function wire() {
  byId("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = byId("token-input").value.trim();
    if (!token) {
      byId("sign-in-error").textContent = "Enter a token: it starts with sl_.";
      byId("sign-in-error").hidden = false;
      return;
    }
    start(token).catch(failed);
  });
  byId("sign-out").addEventListener("click", () => signIn("The token was forgotten by this tab."));
  byId("controls").addEventListener("submit", (event) => event.preventDefault());
  byId("scorecard-picker").addEventListener("change", (event) => chooseScorecard(event.target.value).catch(failed));
  byId("granularity").addEventListener("change", (event) => {
    state.period = containing(monthOf(), event.target.value);
    sessionStorage.setItem("scoreledger.period", state.period);
    fillPeriodPicker();
    state.highlighted.clear();
    refresh().then(followLive);
  });
  byId("period-picker").addEventListener("change", (event) => {
    state.period = event.target.value;
    sessionStorage.setItem("scoreledger.period", state.period);
    state.highlighted.clear();
    refresh().then(followLive);
  });
  byId("granularity").replaceChildren(...GRANULARITIES.map((g) => h("option", { value: g.value }, g.label)));
}

wire();
const token = takeTokenFromLink() ?? storedToken();
if (token) start(token).catch(failed);
else signIn(null);
