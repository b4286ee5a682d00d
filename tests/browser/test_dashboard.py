"""The dashboard at / in headless Chromium, against a real server with the demo seeded.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright; no browser is downloaded.
Without it these tests skip, except with CI=true or SCORELEDGER_REQUIRE_BROWSER=1, where
they fail. Screenshots go to tests/browser/screenshots/ (ignored by git).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from api.auth.roles import Role
from api.demo import DEMO_TENANT, seed_demo
from api.graphql.ids import global_id
from tests.browser.server import ThreadedServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
IT = global_id("Scorecard", "sc-it", "sc-it")
STATUS_LABEL = {"GREEN": "green", "AMBER": "amber", "RED": "red", "NO_DATA": "no data"}


def _missing_browser() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def _browser_required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("SCORELEDGER_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = _missing_browser()
    if reason is not None:
        if _browser_required():
            pytest.fail(f"the browser tests are required here but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


class Demo:
    """The demo organization on a live server, with a token per role."""

    def __init__(self, server: ThreadedServer, tokens: dict[Role, str]) -> None:
        self.server = server
        self.tokens = tokens

    def graphql(
        self, query: str, variables: dict[str, Any] | None = None, role: Role = Role.AUDITOR
    ) -> Any:
        response = httpx.post(
            f"{self.server.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def link(self, role: Role = Role.AUDITOR) -> str:
        return f"{self.server.url}/#token={self.tokens[role]}"

    def wait_without_subscribers(self) -> None:
        """Until every subscription of pages closed earlier has ended on the server."""

        async def drained() -> None:
            async with asyncio.timeout(20):
                while self.server.runtime.fanout.subscribers(DEMO_TENANT):  # noqa: ASYNC110
                    await asyncio.sleep(0.01)

        self.server.call(drained())

    def wait_for_subscribers(self, count: int) -> None:
        fanout = self.server.runtime.fanout
        self.server.call(asyncio.wait_for(fanout.wait_for_subscribers(DEMO_TENANT, count), 20))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Demo]:
    directory = tmp_path_factory.mktemp("dashboard")
    server = ThreadedServer(f"sqlite:///{directory / 'demo.db'}")
    server.start()
    try:
        seeded = server.call(seed_demo(server.runtime))
        yield Demo(server, {role: issued.secret for role, issued in seeded.tokens.items()})
    finally:
        server.stop()


def _open(browser: Browser, url: str, viewport: dict[str, int]) -> Page:
    page = browser.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.errors = errors  # type: ignore[attr-defined]
    return page


def _close(page: Page) -> None:
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def _shown_period(page: Page) -> str:
    from playwright.sync_api import expect

    expect(page.locator(".kpi").first).to_be_visible()
    return page.locator("#period-picker").input_value()


CARD = """query($id: ID!, $period: String, $asOf: DateTime) {
  scorecard(id: $id, period: $period, asOf: $asOf) {
    scorecardId score status explanation { formula children { name } }
    perspectives { perspectiveId score status
      objectives { objectiveId score status explanation { formula children { name } }
        kpis { kpiId unit actual target score status explanation { formula status { text } } } } }
  }
}"""


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def test_every_status_and_score_shown_is_the_apis_answer(demo: Demo, browser: Browser) -> None:
    page = _open(browser, demo.link(), DESKTOP)
    period = _shown_period(page)
    assert "token=" not in page.url  # the one-time link is taken out of the address
    assert page.locator("#scorecard-picker").input_value() == IT
    card = demo.graphql(CARD, {"id": IT, "period": period})["scorecard"]
    expected = {("scorecard", card["scorecardId"]): card}
    for p in card["perspectives"]:
        expected[("perspective", p["perspectiveId"])] = p
        for o in p["objectives"]:
            expected[("objective", o["objectiveId"])] = o
            for k in o["kpis"]:
                expected[("kpi", k["kpiId"])] = k
    shown = page.eval_on_selector_all(
        "[data-kind]",
        """nodes => nodes.map(n => {
            const row = n.querySelector(':scope > .row');
            const status = row.querySelector('.value.status');
            return [n.dataset.kind, n.dataset.id, status.querySelector('.text').textContent,
                    [...status.classList].find(c => c.startsWith('status-')),
                    row.querySelector('.value.score .text').textContent];
        })""",
    )
    assert len(shown) == len(expected)
    for kind, entity, status, colour, score in shown:
        item = expected[(kind, entity)]
        assert (status, colour, score) == (
            STATUS_LABEL[item["status"]],
            f"status-{item['status']}",
            _score(item["score"]),
        ), (kind, entity)
    assert {s for _, _, s, _, _ in shown} >= {"green", "amber", "red"}
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dashboard-1280x800.png")
    _close(page)


def test_a_score_explains_itself_on_demand(demo: Demo, browser: Browser) -> None:
    from playwright.sync_api import expect

    page = _open(browser, demo.link(), DESKTOP)
    period = _shown_period(page)
    card = demo.graphql(CARD, {"id": IT, "period": period})["scorecard"]
    objective = next(
        o for p in card["perspectives"] for o in p["objectives"] if o["objectiveId"] == "obj-08"
    )
    kpi = next(k for k in objective["kpis"] if k["kpiId"] == "kpi-002")
    why = page.locator('.kpi[data-id="kpi-002"] details.why')
    expect(why.locator(".why-body")).to_be_hidden()
    why.locator("summary").click()
    expect(why.locator(".formula")).to_have_text(f"Formula: {kpi['explanation']['formula']}")
    expect(why).to_contain_text(kpi["explanation"]["status"]["text"])
    roll_up = page.locator('.objective[data-id="obj-08"] > details.why')
    roll_up.locator("summary").press("Enter")  # the keyboard opens it too
    expect(roll_up.locator(".formula")).to_have_text(
        f"Formula: {objective['explanation']['formula']}"
    )
    expect(roll_up.locator("tbody tr")).to_have_count(len(objective["explanation"]["children"]))
    _close(page)


def test_as_known_before_a_target_change_the_old_target_is_marked(
    demo: Demo, browser: Browser
) -> None:
    from playwright.sync_api import expect

    page = _open(browser, demo.link(), DESKTOP)
    period = _shown_period(page)
    target = page.locator('.kpi[data-id="kpi-001"] .value.target')
    expect(target.locator(".text")).to_have_text("99.5%")
    demo.graphql(
        "mutation($input: SetTargetInput!) { setTarget(input: $input) { userErrors { message } } }",
        {
            "input": {
                "scorecardId": "sc-it",
                "kpiId": "kpi-001",
                "period": period,
                "value": 99.9,
                "reason": "tightened after the platform migration",
            }
        },
        role=Role.ADMIN,
    )
    expect(target.locator(".text")).to_have_text("99.9%")  # arrives live
    slider = page.locator("#asof-slider")
    expect(slider).to_be_enabled()
    expect(page.locator("#asof-output")).to_have_text("now")
    slider.focus()
    page.keyboard.press("ArrowLeft")  # one moment back: before the target change
    expect(target).to_contain_text("99.5% (now 99.9%)")
    expect(target).to_have_class("value target differs")
    expect(page.locator("#asof-banner")).to_contain_text("differ from now")
    page.locator("#asof-now").click()
    expect(target.locator(".text")).to_have_text("99.9%")
    _close(page)


def test_a_measurement_posted_through_the_api_is_highlighted_live(
    demo: Demo, browser: Browser
) -> None:
    from playwright.sync_api import expect

    demo.wait_without_subscribers()
    page = _open(browser, demo.link(), DESKTOP)
    period = _shown_period(page)
    expect(page.locator("#connection")).to_have_text("Live updates on")
    demo.wait_for_subscribers(1)
    row = page.locator('.kpi[data-id="kpi-014"]')
    expect(row).not_to_have_class("kpi live-changed")
    demo.graphql(
        "mutation($input: RecordMeasurementInput!) "
        "{ recordMeasurement(input: $input) { userErrors { message } } }",
        {
            "input": {
                "scorecardId": "sc-it",
                "kpiId": "kpi-014",
                "period": period,
                "value": 81.5,
                "reason": "late tickets from the partner desk",
            }
        },
        role=Role.ADMIN,
    )
    expect(row).to_have_class("kpi live-changed")
    expect(row.locator(".value.actual .text")).to_have_text("81.5%")
    expect(page.locator("#live-log")).to_contain_text("First contact resolution changed")
    row.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "dashboard-live-update-1280x800.png")
    _close(page)


def test_at_phone_width_nothing_overflows_and_the_keyboard_reaches_the_kpi_panel(
    demo: Demo, browser: Browser
) -> None:
    from playwright.sync_api import expect

    page = _open(browser, demo.link(), PHONE)
    _shown_period(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dashboard-390x844.png")
    opener = page.locator('.kpi[data-id="kpi-003"] button.name')
    opener.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#kpi-panel")
    expect(panel.locator("h2")).to_be_focused()
    expect(panel.locator(".verdict")).to_have_text(
        expect_verdict := panel.locator(".verdict").inner_text()
    )
    assert expect_verdict.startswith("Intact:")
    expect(panel.locator("section", has_text="Corrections")).to_contain_text(
        "survey responses from the partner portal were missing"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=SCREENSHOTS / "dashboard-kpi-panel-390x844.png")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(opener).to_be_focused()
    _close(page)


def test_a_wrong_token_is_refused_with_a_clear_message(demo: Demo, browser: Browser) -> None:
    from playwright.sync_api import expect

    page = _open(browser, f"{demo.server.url}/#token=sl_wrong", DESKTOP)
    expect(page.locator("#sign-in-error")).to_contain_text("The token was refused")
    expect(page.locator("#token-input")).to_be_focused()
    page.locator("#token-input").fill(demo.tokens[Role.VIEWER])
    page.keyboard.press("Enter")
    expect(page.locator(".kpi").first).to_be_visible()
    expect(page.locator("#who")).to_contain_text("viewer")
    _close(page)


def test_a_lost_connection_is_reported(tmp_path: Path, browser: Browser) -> None:
    from playwright.sync_api import expect

    server = ThreadedServer(f"sqlite:///{tmp_path / 'empty.db'}")
    server.start()
    try:
        token = server.call(server.runtime.tokens.create("acme", Role.AUDITOR)).secret
        page = _open(browser, f"{server.url}/#token={token}", DESKTOP)
        expect(page.locator("#connection")).to_have_text("Live updates on")
    finally:
        server.stop()
    expect(page.locator("#connection")).to_contain_text("Connection lost")
    expect(page.locator("#alert")).to_contain_text("live connection to the server was lost")
    _close(page)
