"""Formatting on the rendered pages (AppTest on the sample): the Requirements table follows the
queue and market filters, and no page shows the literal '[currency]' or a raw '+00:00' stamp."""
from __future__ import annotations

import re

import pytest

from tests.ui.test_pages import PAGES, no_failure, page_app, shown


def _table(at):
    frames = [d.value for d in at.dataframe]
    assert frames, "the Requirements page shows no table"
    return frames[-1]


def test_requirements_table_follows_the_queue_and_market_filters():
    at = page_app("requirements").run()
    no_failure(at)
    queue_box = next(s for s in at.selectbox if s.label == "Queue")
    queues = list(queue_box.options)
    assert len(queues) >= 2
    for queue in queues[:2]:
        next(s for s in at.selectbox if s.label == "Queue").set_value(queue)
        at.run()
        no_failure(at)
        table = _table(at)
        assert len(table) and set(table["queue"]) == {queue}
    market_box = next(s for s in at.selectbox if s.label == "Market")
    market = market_box.options[1]  # the first single market after 'All markets (pooled)'
    market_box.set_value(market)
    at.run()
    no_failure(at)
    table = _table(at)
    assert len(table) and set(table["market"]) == {market} and set(table["queue"]) == {queues[1]}
    # the caption counts the rows shown
    assert any(f"{len(table):,} rows" in c.value for c in at.caption)


@pytest.mark.parametrize("name", PAGES)
def test_no_page_shows_a_currency_placeholder_or_a_raw_offset(name):
    at = page_app(name).run()
    no_failure(at)
    blob = b" ".join(content for _, content in shown(at))
    assert b"[currency]" not in blob, f"{name}: the literal [currency] is rendered"
    text = " ".join(m.value for m in [*at.markdown, *at.caption, *at.metric] if isinstance(m.value, str))
    assert not re.search(r"\d{2}:\d{2}:\d{2}\+00:00", text), f"{name}: a raw '+00:00' timestamp is shown"


def test_monitor_tiles_are_short_enough_not_to_be_cut():
    """A metric tile holds about 12 characters at 1440 px over six columns: the day's manual
    incoming is compact (187.2k items) with the exact figure in its help, deltas carry no label."""
    at = page_app("monitor").run()
    no_failure(at)
    tiles = {m.label: m for m in at.metric}
    incoming = tiles["Manual incoming"]
    assert re.fullmatch(r"\d+(\.\d)?k items", incoming.value), incoming.value
    assert re.search(r"[\d,]{6,} items", incoming.proto.help)
    for label in ("Automation rate", "AHT vs plan", "Occupancy", "Cost per solved item"):
        assert tiles[label].delta is None or len(tiles[label].delta) <= 12, (label, tiles[label].delta)
