"""Solve on the Shift plan page, publish it as the plan of record, and Export produces that
plan: the page's cost and headcounts, and the downloaded workbook's, equal what the Shift plan
page showed (issue 18).  Its own server, on a scenario database of its own (WFM_DB)."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import COLD_START_TIMEOUT_MS, start_server, stop_server, wait_for_app, wait_healthy

pytestmark = pytest.mark.e2e
SOLVE_TIMEOUT_MS = 900_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("record")
    mp = pytest.MonkeyPatch()
    mp.setenv("WFM_DB", str(folder / "plans.db"))
    proc, base_url = start_server(folder / "server.log")
    mp.undo()
    try:
        wait_healthy(base_url, proc, 90, folder / "server.log")
        yield base_url
    finally:
        stop_server(proc)


def text(locator) -> str:
    return locator.inner_text().replace("\\", "")


def headcounts(line: str) -> dict[str, int]:
    body = line.split(":", 1)[1]
    return {site: int(n.replace(",", "")) for site, n in re.findall(r"([A-Z]{3}-[A-Z0-9]+) ([\d,]+)", body)}


def test_published_plan_is_what_export_gives(browser, server, tmp_path):
    import openpyxl

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(COLD_START_TIMEOUT_MS)
    page.goto(server + "/plan")
    wait_for_app(page, COLD_START_TIMEOUT_MS)  # a clean clone computes the baseline here
    page.get_by_label("Weeks").fill("1")
    page.get_by_label("Time limit (s)").fill("10")
    page.get_by_label("Time limit (s)").press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Solve", exact=True).click()
    publish = page.get_by_role("button", name="Publish as plan of record")
    publish.wait_for(timeout=SOLVE_TIMEOUT_MS)
    wait_for_app(page)
    publish.click()
    wait_for_app(page)
    success = text(page.locator('[data-testid="stAlert"]').filter(has_text="Published."))
    assert "Plan of record: solved plan published by local user at" in success, success
    cost = float(re.search(r"USD ([\d,]+) / week", success).group(1).replace(",", ""))
    line = text(page.get_by_text("Peak daily headcount by site").first)
    heads = headcounts(line)
    assert heads and sum(heads.values()) > 0

    page.goto(server + "/export")  # a new session: the plan of record is stored, not in the session
    wait_for_app(page, COLD_START_TIMEOUT_MS)
    assert "Plan of record: solved plan published by local user" in text(page.locator("body"))
    exported = text(page.locator("p").filter(has_text="Exported plan:").first)
    assert f"USD {cost:,.0f} over the plan horizon" in exported, (exported, cost)
    assert headcounts(text(page.get_by_text("Peak daily headcount by site").first)) == heads

    page.get_by_role("button", name="Build the workbook").click()
    wait_for_app(page, 300_000)
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=re.compile("Download the workbook")).click()
    target = tmp_path / "plan.xlsx"
    info.value.save_as(target)
    rows = list(openpyxl.load_workbook(target, data_only=True)["Summary"].iter_rows(values_only=True))
    [book_cost] = [r[1] for r in rows if r and r[0] == "Cost [USD]"]  # the sample is in USD
    assert abs(book_cost - cost) < 0.5 + 1e-9  # the page rounds to whole currency units
    header = next(i for i, r in enumerate(rows) if r and "Site" in r and "Peak daily headcount [agents]" in r
                  and i > next(j for j, q in enumerate(rows) if q and q[0] == "Cost by site"))
    site_col, head_col = rows[header].index("Site"), rows[header].index("Peak daily headcount [agents]")
    book_heads = {}
    for r in rows[header + 1:]:
        if not r or r[site_col] in (None, ""):
            break
        book_heads[r[site_col]] = int(r[head_col])
    assert book_heads == heads
    context.close()
