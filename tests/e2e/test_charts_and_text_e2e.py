"""Every page in headless Chromium: each rendered Vega chart has a plot area at least 100 px
tall (read from the rendered SVG: the view's background rectangle), and no visible text, chart
text included, shows the literal '[currency]' or a number with more than 6 decimals.

Pages that need a plan use the sample's cached baseline (computed once by ``warm_app``).
"""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import wait_for_app
from tests.e2e.test_app_e2e import PAGES, assert_no_exception

pytestmark = pytest.mark.e2e

MIN_VIEW_HEIGHT_PX = 100
LONG_DECIMALS = re.compile(r"\d\.\d{7,}")

# the size of each chart's plot area (the root group's background path: width x height of the
# view, without axes, titles and legends) and every text node of the chart
CHARTS_JS = """() => Array.from(document.querySelectorAll('.vega-embed')).map(e => {
  const bg = e.querySelector('svg g.mark-group.role-frame.root > g > path.background');
  const box = bg ? bg.getBBox() : null;
  const title = e.querySelector('svg .role-title-text');
  return {view: box ? [box.width, box.height] : null, title: title ? title.textContent : '',
          text: Array.from(e.querySelectorAll('svg text')).map(t => t.textContent).join(' | ')};
})"""


@pytest.mark.parametrize("name,meta", PAGES, ids=[n for n, _ in PAGES])
def test_charts_have_height_and_text_is_formatted(page, warm_app, name, meta):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(warm_app["base_url"] + ("/" if meta.get("default") else f"/{name}"))
    wait_for_app(page)
    page.wait_for_timeout(1500)  # charts render after the script finishes
    assert_no_exception(page, name)
    charts = page.evaluate(CHARTS_JS)
    for i, chart in enumerate(charts):
        assert chart["view"] is not None, f"{name}: chart {i} ({chart['title']!r}) has no SVG view"
        assert chart["view"][1] >= MIN_VIEW_HEIGHT_PX, \
            f"{name}: chart {i} ({chart['title']!r}) plot area is {chart['view'][1]:.0f} px tall"
    text = page.locator('[data-testid="stApp"]').inner_text() + " ".join(c["text"] for c in charts)
    assert "[currency]" not in text, f"{name}: the literal [currency] is shown"
    long = LONG_DECIMALS.search(text)
    assert long is None, f"{name}: a number with more than 6 decimals: {text[max(0, long.start() - 60):long.end() + 20]!r}"
    assert not re.search(r"\b(0\d|1[0-2]) [AP]M\b", text), f"{name}: a 12-hour clock time is shown"
