"""Scenario comparison, the ``scenario`` CLI and the Scenarios page (AppTest).

Compare is checked against hand-computed deltas; the CLI and the page run against a
temporary SQLite store; runs use stored KPIs or a recording stand-in for the pipeline,
so these tests do not depend on the forecast or the solver.
"""
from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pandas as pd
import pytest

from planning import pipeline
from planning.domain import Settings
from planning.cli import main
from planning.scenarios import Scenario, compare, compare_wide, kpis_to_json, run_scenario, what_changed
from planning.scenarios import Store
from planning.access import Principal, Role

PLANNER = Principal("pm@example.com", Role.planner)

BASE_KPIS = {"cost": 1000.0, "paid_hours": 100.0, "unmet_agent_hours": 0.0,
             "headcount_by_site": {"MNL-A": 8, "HYD-B": 4}, "headcount_by_vendor": {"Vendor A": 8, "Vendor B": 4},
             "attainment": [{"queue": "spam", "market": "NA-EN", "target": 0.9, "predicted": 0.95,
                             "simulated": 0.93}]}
SURGE_KPIS = {"cost": 1300.0, "paid_hours": 130.0, "unmet_agent_hours": 2.5,
              "headcount_by_site": {"MNL-A": 12}, "headcount_by_vendor": {"Vendor A": 12},
              "attainment": [{"queue": "spam", "market": "NA-EN", "target": 0.9, "predicted": 0.88,
                              "simulated": 0.85}]}
SURGE = {"kind": "surge", "event": "Election", "queue": "spam", "start": "2026-03-03", "end": "2026-03-05",
         "multiplier": 3}


def scenario(name, levers=(), **extra):
    return Scenario(name=name, base="data/sample", levers=list(levers), **extra)


def test_compare_deltas_by_hand():
    table = compare([scenario("base"), scenario("surge", [SURGE])], [BASE_KPIS, SURGE_KPIS])
    get = lambda metric, scope, name, col="delta": table.query(  # noqa: E731
        "metric == @metric and scope == @scope and scenario == @name")[col].item()
    assert get("cost", "total", "surge") == 300.0 and get("cost", "total", "surge", "delta_pct") == 30.0
    assert get("paid_hours", "total", "surge") == 30.0
    assert get("unmet_agent_hours", "total", "surge") == 2.5
    assert get("headcount_site", "HYD-B", "surge", "value") == 0.0  # site gone: 0 agents, not missing
    assert get("headcount_site", "HYD-B", "surge") == -4.0
    assert get("headcount_vendor", "Vendor A", "surge") == 4.0
    assert get("attainment_predicted", "spam / NA-EN", "surge") == pytest.approx(-0.07)
    assert get("attainment_simulated", "spam / NA-EN", "surge") == pytest.approx(-0.08)
    assert (table[table.scenario == "base"]["delta"] == 0).all()
    assert set(table["unit"]) == {"currency", "h", "agent-h", "agents", "share"}
    wide = compare_wide(table)
    assert list(wide.columns) == ["metric", "scope", "unit", "base", "surge", "Δ surge"]
    assert wide.iloc[0]["metric"] == "cost"


def test_compare_needs_two_to_four_and_labels_repeated_names():
    with pytest.raises(ValueError):
        compare([scenario("a")], [BASE_KPIS])
    a, b = scenario("same", id=1), scenario("same", id=2)
    table = compare([a, b, scenario("x", id=3)], [BASE_KPIS, SURGE_KPIS, BASE_KPIS])
    assert list(dict.fromkeys(table["scenario"])) == ["same (#1)", "same (#2)", "x"]


def test_what_changed_lists_only_differences():
    common_lever = {"kind": "cost_change", "percent": 5}
    a = scenario("a", [common_lever])
    b = scenario("b", [common_lever, SURGE], settings={"weeks": 2})
    changed = what_changed([a, b])
    assert changed["change"].tolist() == [b.levers[1].describe(), "setting weeks"]
    assert changed.iloc[0][["a", "b"]].tolist() == [False, True]
    assert changed.iloc[1][["a", "b"]].tolist() == ["1", "2"]
    assert what_changed([a, scenario("c", [common_lever])]).empty


def test_kpis_to_json_handles_numpy_and_nan():
    import numpy as np

    data = json.loads(kpis_to_json({"cost": np.float64(1.5), "n": np.int64(3), "x": math.nan,
                                    "when": pd.Timestamp("2026-01-01", tz="UTC")}))
    assert data == {"cost": 1.5, "n": 3, "x": None, "when": "2026-01-01T00:00:00+00:00"}


class RecordingPipeline:
    def __init__(self):
        self.calls = []

    def __call__(self, op, **kwargs):
        self.calls.append((op, kwargs))
        cost = 1000.0 * (1.5 if kwargs["levers"] else 1.0)
        return SimpleNamespace(kpis={**BASE_KPIS, "cost": cost})


def test_run_scenario_passes_levers_and_settings(monkeypatch):
    fake = RecordingPipeline()
    monkeypatch.setattr(pipeline, "run_pipeline", fake)
    s = scenario("s", [SURGE], settings={"weeks": 2, "start": "2026-03-02", "time_limit_seconds": 5})
    result = run_scenario(s, who=PLANNER, operation="OP")
    op, kwargs = fake.calls[0]
    assert op == "OP" and kwargs["weeks"] == 2 and str(kwargs["start"]) == "2026-03-02"
    assert kwargs["time_limit"] == 5 and kwargs["levers"] == s.levers and result.kpis["cost"] == 1500.0
    assert kwargs["simulate"] is True
    run_scenario(s.model_copy(update={"settings": s.settings.model_copy(update={"simulate": False})}),
                 who=PLANNER, operation="OP")
    assert fake.calls[1][1]["simulate"] is False
    # no limit of its own: the operation's what-if limit (not the 30 s plan limit)
    quick = scenario("q", [SURGE])
    run_scenario(quick, who=PLANNER, operation=SimpleNamespace(settings=Settings(scenario_time_limit_seconds=7)))
    assert fake.calls[2][1]["time_limit"] == 7


# ---------------------------------------------------------------- CLI
def cli(db, *args) -> int:
    return main(["scenario", *args, "--db", str(db)])


def test_cli_save_list_show_compare_delete(tmp_path, capsys, monkeypatch):
    db = tmp_path / "cli.db"
    assert cli(db, "save", "Baseline", "--inputs", "data/sample", "--by", "pm") == 0
    assert cli(db, "save", "Surge 'BR'; DROP TABLE scenarios", "--inputs", "data/sample",
               "--lever", json.dumps(SURGE), "--weeks", "2", "--notes", "why\nbecause", "--parent", "1") == 0
    out = capsys.readouterr().out
    assert "saved scenario #2" in out and "x3" in out
    store = Store(db)
    assert store.get(2, who=PLANNER).parent_id == 1 and store.get(2, who=PLANNER).notes == "why\nbecause"
    assert cli(db, "list") == 0 and "DROP TABLE" in capsys.readouterr().out
    store.save_result(1, BASE_KPIS, who=PLANNER)
    fake = RecordingPipeline()
    monkeypatch.setattr(pipeline, "run_pipeline", fake)
    monkeypatch.setattr("planning.scenarios.scenario.load_base", lambda path: SimpleNamespace(settings=Settings()))
    assert cli(db, "compare", "1", "2", "--csv", str(tmp_path / "c.csv"), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert len(fake.calls) == 1  # only the scenario without stored KPIs ran
    cost = [r for r in data["deltas"] if r["metric"] == "cost"]
    assert [r["delta"] for r in cost] == [0.0, 500.0]
    assert data["what_changed"][0]["change"].startswith("Surge 'Election'")
    assert pd.read_csv(tmp_path / "c.csv").shape[0] == len(data["deltas"])
    assert cli(db, "show", "2", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["latest_result"]["kpis"]["cost"] == 1500.0 and shown["levers"][0]["kind"] == "surge"
    assert cli(db, "delete", "1", "--yes") == 0 and [r["id"] for r in store.list(who=PLANNER)] == [2]


@pytest.mark.parametrize("args, code, message", [
    (["save", "x", "--inputs", "d", "--lever", '{"kind": "volume_change", "percent": -120}'], 1,
     "greater than -100"),
    (["save", "x", "--inputs", "d", "--lever", '{"kind": "nope"}'], 1, "does not match"),
    (["save", "x", "--inputs", "d", "--lever", "{oops"], 1, "JSON"),
    (["save", "x", "--inputs", "d", "--weeks", "9"], 1, "weeks"),
    (["show", "missing"], 1, "no scenario"),
    (["compare", "1"], 2, "two to four"),
    (["delete", "1"], 1, "no scenario"),
])
def test_cli_problems_are_one_line_with_exit_codes(tmp_path, capsys, args, code, message):
    assert cli(tmp_path / "e.db", *args) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_delete_without_yes_refuses_when_not_interactive(tmp_path, capsys, monkeypatch):
    db = tmp_path / "d.db"
    cli(db, "save", "keep me", "--inputs", "data/sample")
    monkeypatch.setattr("sys.stdin", open("/dev/null"))
    assert cli(db, "delete", "keep me") == 2
    assert len(Store(db).list(who=PLANNER)) == 1


def test_cli_kinds_lists_every_lever():
    from planning.scenarios import LEVER_KINDS

    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["scenario", "kinds"]) == 0
    assert all(f"{kind}:" in buf.getvalue() for kind in LEVER_KINDS)


# ---------------------------------------------------------------- page
@pytest.fixture
def page(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from ui import scenarios as page_module

    monkeypatch.setenv("WFM_DB", str(tmp_path / "page.db"))
    page_module._store.clear()
    at = AppTest.from_string("from ui.scenarios import render\nrender()", default_timeout=120)
    yield at
    page_module._store.clear()


def test_page_builds_saves_duplicates_and_deletes(page, tmp_path):
    at = page.run()
    assert not at.exception and [t.label for t in at.tabs] == ["Build & run", "Saved", "Compare"]
    at.text_input(key="scn_f_name").set_value("Election <b>surge</b>")
    at.selectbox(key="scn_kind").set_value("volume_change").run()
    at.number_input(key="scn_lv_volume_change_percent").set_value(20)
    at.button(key="FormSubmitter:scn_form_volume_change-Add lever").click().run()
    assert any("Volume \\+20%" in m.value for m in at.markdown)
    at.button(key="scn_save_new").click().run()
    assert not at.exception and "Saved scenario #1" in at.success[0].value
    store = Store(tmp_path / "page.db")
    saved = store.get(1, who=PLANNER)
    assert saved.name == "Election <b>surge</b>" and saved.levers[0].percent == 20
    at.button(key="scn_dup").click().run()
    assert [r["id"] for r in store.list(who=PLANNER)] == [2, 1] and store.get(2, who=PLANNER).parent_id == 1
    at.selectbox(key="scn_pick").set_value(2).run()
    at.button(key="scn_open").click().run()  # reopen the copy: the form shows it
    assert at.text_input(key="scn_f_name").value == "Election <b>surge</b> (copy)"
    assert any("Editing scenario #2" in h.value for h in at.subheader)
    at.selectbox(key="scn_pick").set_value(1).run()
    at.button(key="scn_del").click().run()
    assert len(store.list(who=PLANNER)) == 2 and any("cannot be undone" in w.value for w in at.warning)
    at.button(key="scn_del_yes").click().run()
    assert [r["id"] for r in store.list(who=PLANNER)] == [2]


def test_page_compares_stored_results(page, tmp_path):
    store = Store(tmp_path / "page.db")
    a = store.save(scenario("base"), who=PLANNER)
    b = store.save(scenario("surge", [SURGE]), who=PLANNER)
    store.save_result(a, BASE_KPIS, who=PLANNER)
    store.save_result(b, SURGE_KPIS, who=PLANNER)
    at = page.run()
    at.toggle(key="scn_cmp_ref").set_value(False).run()  # the first scenario is the reference
    at.multiselect(key="scn_cmp").set_value([a, b]).run()
    at.button(key="scn_cmp_go").click().run()
    assert not at.exception and not at.error
    frames = [d.value for d in at.dataframe]
    deltas = next(f for f in frames if "Δ surge" in f.columns)
    assert deltas.loc[deltas.KPI == "Cost", "Δ surge"].item() == "+300"  # formatted (these KPIs name no currency)
    changed = next(f for f in frames if "change" in f.columns)
    assert changed["change"].str.startswith("Surge").any()
