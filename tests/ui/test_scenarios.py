"""Scenarios page (AppTest): run a draft, see its KPIs against the baseline, save them.

The pipeline and the stored baseline are replaced by recording stand-ins with
hand-written KPIs, so these tests check the page (what reaches the run, what is shown,
what is stored) without the forecast or the solver; the real run is the e2e test
tests/e2e/test_scenario_e2e.py.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from planning.access import LOCAL_USER as PLANNER
from planning.scenarios import Store

BASE = {"status": "optimal", "cost": 1000.0, "paid_hours": 100.0, "unmet_agent_hours": 0.0, "gap": 0.0,
        "solve_seconds": 30.0, "currency": "USD", "attainment": []}
RUN = {**BASE, "status": "feasible", "cost": 1300.0, "paid_hours": 130.0, "unmet_agent_hours": 2.5,
       "gap": 0.012, "solve_seconds": 4.2,
       "attainment": [{"queue": "spam", "market": "NA-EN", "target": 0.9, "predicted": 0.92, "simulated": 0.91}]}


@pytest.fixture
def page(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from ui import scenario_run
    from ui import scenarios as page_module

    calls = []

    from planning.scenarios import reference

    def fake_run(scenario, *, who, progress=None, operation=None):
        calls.append(scenario)
        progress("Planning shifts", 0.5)
        return SimpleNamespace(kpis=RUN if scenario.levers else BASE)  # no levers: the baseline

    monkeypatch.setenv("WFM_DB", str(tmp_path / "page.db"))
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(reference, "_MEMORY", {})
    monkeypatch.setattr(scenario_run, "run_scenario", fake_run)
    page_module._store.clear()
    at = AppTest.from_string("from ui.scenarios import render\nrender()", default_timeout=120)
    at.calls = calls
    yield at
    page_module._store.clear()


def add_volume_lever(at, percent=30):
    at.selectbox(key="scn_kind").set_value("volume_change").run()
    at.selectbox(key="scn_lv_volume_change_queue").set_value("spam")
    at.number_input(key="scn_lv_volume_change_percent").set_value(percent)
    at.button(key="FormSubmitter:scn_form_volume_change-Add lever").click().run()


def metric(at, label):
    return next(m for m in at.metric if m.label == label)


def test_run_without_a_name_shows_kpis_against_the_baseline(page):
    at = page.run()
    add_volume_lever(at)
    at.number_input(key="scn_f_limit").set_value(5.0)
    at.button(key="scn_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # the run got the lever and the time limit; an unnamed draft runs (only saving needs a name)
    ran, ref = at.calls  # the scenario, then its baseline on demand: same settings, no levers
    assert ran.levers[0].percent == 30 and ran.levers[0].queue == "spam"
    assert ran.settings.time_limit_seconds == 5.0
    assert ref.levers == [] and ref.settings == ran.settings and ref.base == ran.base
    assert any("Result** (run took" in m.value for m in at.markdown)
    cost, hours, unmet = metric(at, "Cost"), metric(at, "Paid hours"), metric(at, "Unmet workload")
    assert cost.value == "USD 1,300" and cost.delta == "+USD 300 vs baseline USD 1,000"
    assert hours.value == "130 h" and hours.delta == "+30 h vs baseline 100 h"
    assert unmet.value == "2.5 agent-h" and unmet.delta == "+2.5 agent-h vs baseline 0.0 agent-h"
    solver = " ".join(c.value for c in at.caption)
    assert "Solver: feasible, 4.2 s (limit 5 s), gap to the bound 1.20%" in solver
    # each plan is within its gap of its optimum: (1.2% + 0%) x USD 1,300 = USD 15.6
    assert "smaller than about USD 16 (the two gaps)" in solver


def test_rounding_noise_is_no_change_and_a_missing_probability_says_why(page, monkeypatch):
    """Unmet 6e-12 vs 2e-12 agent-h is no change (not a red +0.0); the columns a run did not
    measure are left out; a probability the wall left no time for is explained."""
    note = "probability of meeting target not measured: the run's time limit leaves 0 s"
    monkeypatch.setitem(RUN, "unmet_agent_hours", 6e-12)
    monkeypatch.setitem(BASE, "unmet_agent_hours", 2e-12)
    monkeypatch.setitem(RUN, "probability_note", note)
    monkeypatch.setitem(RUN, "attainment", [{"queue": "spam", "market": "NA-EN", "target": 0.9, "predicted": 0.92,
                                              "simulated": 0.91, "simulated_lo": None, "p_target": None}])
    at = page.run()
    add_volume_lever(at)
    at.button(key="scn_run").click().run()
    assert not at.exception and not at.error
    unmet = metric(at, "Unmet workload")
    assert unmet.delta == "no change vs baseline 0.0 agent-h"
    assert metric(at, "Cost").delta == "+USD 300 vs baseline USD 1,000"  # a real change keeps its sign
    captions = " ".join(c.value for c in at.caption).replace("\\", "")  # fmt.plain escapes markdown
    assert "Probability of meeting target not measured: the run's time limit leaves 0 s." in captions
    table = at.dataframe[0].value
    assert "simulated" in table and "simulated_lo" not in table and "p_target" not in table


def test_a_cost_change_within_the_two_gaps_is_not_shown_as_a_change(page, monkeypatch):
    """USD 1,005 at a 1.2% gap vs USD 1,000 at 0%: the solver alone can move the cost by
    1.2% x 1,005 = USD 12, so the tile says so (as the headline does), with no red arrow."""
    monkeypatch.setitem(RUN, "cost", 1005.0)
    at = page.run()
    add_volume_lever(at)
    at.button(key="scn_run").click().run()
    assert not at.exception and not at.error
    cost = metric(at, "Cost")
    assert cost.value == "USD 1,005"
    assert cost.delta == "within the solver's gap (±USD 12) vs baseline USD 1,000"
    assert metric(at, "Paid hours").delta == "+30 h vs baseline 100 h"  # 30 h > 1.2% x 100 h


def test_saving_after_a_run_stores_the_kpis_and_lists_the_scenario(page, tmp_path):
    at = page.run()
    add_volume_lever(at, 20)
    at.button(key="scn_run").click().run()
    at.button(key="scn_save_new").click().run()  # no name yet: a clear message, nothing saved
    assert any("needs a name" in e.value for e in at.error)
    store = Store(tmp_path / "page.db")
    assert store.list(who=PLANNER) == []
    at.text_input(key="scn_f_name").set_value("Spam +20%")
    at.button(key="scn_save_new").click().run()
    assert not at.exception and "Saved scenario #1 with its KPIs." in at.success[0].value
    assert store.latest_result(1, who=PLANNER)["kpis"]["cost"] == 1300.0
    assert "#1 Spam +20%" in at.selectbox(key="scn_pick").options


def test_kpis_of_a_stale_run_are_not_saved(page, tmp_path):
    at = page.run()
    add_volume_lever(at)
    at.button(key="scn_run").click().run()
    at.number_input(key="scn_f_weeks").set_value(2).run()  # settings change after the run
    assert any("changed since this run" in c.value for c in at.caption)
    at.text_input(key="scn_f_name").set_value("stale")
    at.button(key="scn_save_new").click().run()
    assert "Saved scenario #1." in at.success[0].value
    assert Store(tmp_path / "page.db").latest_result(1, who=PLANNER) is None


def test_baseline_is_computed_once_per_settings_and_heads_the_result(page):
    at = page.run()
    add_volume_lever(at)
    at.button(key="scn_run").click().run()
    add_volume_lever(at, 10)  # other levers, same settings: the kept baseline is reused
    at.button(key="scn_run").click().run()
    assert [len(s.levers) for s in at.calls] == [1, 0, 2]
    at.number_input(key="scn_f_weeks").set_value(2).run()  # another horizon: another baseline
    at.button(key="scn_run").click().run()
    assert [len(s.levers) for s in at.calls] == [1, 0, 2, 2, 0]
    assert at.calls[-1].settings.weeks == 2
    # the headline: +USD 300 (+30.0%); the plan's gap (1.2% x 1,300 = 15.6) is below it (the stand-in
    # KPIs carry no horizon: "a week")
    text = " ".join(m.value for m in at.markdown)
    assert "+USD 300 \\(\\+30\\.0%\\) a week" in text
    assert "unmet workload \\+2\\.5 agent\\-h" in text


def test_lever_outside_the_horizon_is_warned_before_the_run(page):
    import datetime as dt

    at = page.run()
    at.selectbox(key="scn_kind").set_value("site_outage").run()
    # dates default into the plan horizon (history ends 2026-11-16), not today
    assert at.date_input(key="scn_lv_site_outage_start").value == dt.date(2026, 11, 16)
    assert at.date_input(key="scn_lv_site_outage_end").value == dt.date(2026, 11, 23)
    assert "end exclusive" in at.date_input(key="scn_lv_site_outage_end").label
    at.selectbox(key="scn_lv_site_outage_site").set_value("AUS-C")
    at.date_input(key="scn_lv_site_outage_start").set_value(dt.date(2026, 12, 3))
    at.date_input(key="scn_lv_site_outage_end").set_value(dt.date(2026, 12, 6))
    at.button(key="FormSubmitter:scn_form_site_outage-Add lever").click().run()
    assert not at.exception and not at.error
    warned = [w.value for w in at.warning]
    assert any("AUS\\-C outage Dec 3–6 \\(end exclusive\\) is outside the plan horizon Nov 16–23\\: "
               "it changes nothing" in w for w in warned), warned
    assert at.calls == []  # warned before any run
    at.number_input(key="scn_f_weeks").set_value(3).run()  # a longer horizon reaches it: no warning
    assert not any("outside the plan horizon" in w.value for w in at.warning)


def test_compare_runs_scenarios_that_were_never_run(page, tmp_path):
    from planning.scenarios import Scenario

    store = Store(tmp_path / "page.db")
    a = store.save(Scenario(name="base", base="data/sample"), who=PLANNER)
    b = store.save(Scenario(name="more", base="data/sample",
                            levers=[{"kind": "volume_change", "queue": "spam", "percent": 30}]), who=PLANNER)
    at = page.run()
    at.multiselect(key="scn_cmp").set_value([a, b]).run()
    at.button(key="scn_cmp_go").click().run()
    assert not at.exception and not at.error  # two runs in one rerun: each has its own Stop button
    assert [s.name for s in at.calls] == ["base", "more"]
    assert store.latest_result(b, who=PLANNER)["kpis"]["cost"] == 1300.0


def test_stopped_run_says_so(page):
    at = page.run()
    at.session_state["scn_stopped"] = True  # what the Stop button's callback sets
    at.run()
    assert any("Run stopped" in i.value for i in at.info)
    at.run()
    assert not any("Run stopped" in i.value for i in at.info)


# ---------------------------------------------------------------- roles (issue 17)
SECRETS = ["Aster BPO MNL-A renegotiation", "Cobalt SAO-C exit Q3", "DUB-B only", "303,703", "303703"]


def _seed_planner_scenarios(path):
    from planning.scenarios import Scenario

    store = Store(path)
    a = store.save(Scenario(name="Aster BPO MNL-A renegotiation", base="data/sample",
                            notes="9.00 -> 8.10/h; Cobalt SAO-C exit Q3"), who=PLANNER)
    b = store.save(Scenario(name="DUB-B only", base="data/sample",
                            levers=[{"kind": "volume_change", "queue": "spam", "percent": 30}]), who=PLANNER)
    store.save_result(b, {**RUN, "cost": 303703.0}, who=PLANNER)
    return store, a, b


def _everything_shown(at) -> bytes:
    """Every element's protobuf (text, tables as Arrow bytes, widget options), tabs included."""
    out, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "SerializeToString"):
            out.append(proto.SerializeToString())
        children = getattr(node, "children", {})
        stack.extend(children.values() if isinstance(children, dict) else children)
    return b"".join(out)


def test_vendor_manager_sees_no_other_vendors_scenarios(page, tmp_path):
    store, a, b = _seed_planner_scenarios(tmp_path / "page.db")
    page.secrets["access"] = {"local_role": "vendor_manager", "local_vendor": "Aster BPO"}
    at = page.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = _everything_shown(at)
    assert len(shown) > 1000  # the page did render
    leaked = [s for s in SECRETS if s.encode() in shown]
    assert not leaked, leaked
    assert at.multiselect(key="scn_cmp").options == []
    assert "scn_run" not in [b.key for b in at.button] and "scn_save_new" not in [b.key for b in at.button]
    assert store.latest_result(b, who=PLANNER)["kpis"]["cost"] == 303703.0 and not page.calls


def test_viewer_cannot_save_duplicate_delete_or_run_even_if_the_page_offers_it(page, tmp_path, monkeypatch):
    """A page bug that shows every button (can() always true) still changes nothing: the store
    and the runner refuse."""
    from planning import jobs
    from ui import scenario_compare, scenario_run, scenarios

    store, a, b = _seed_planner_scenarios(tmp_path / "page.db")
    page.secrets["access"] = {"local_role": "viewer"}
    at = page.run()
    keys = [b.key for b in at.button]
    assert not {"scn_run", "scn_save_new", "scn_save", "scn_dup", "scn_del"} & set(keys), keys
    assert any("Read-only" in i.value for i in at.info)

    started = []
    monkeypatch.setattr(scenarios, "can", lambda who, action: True)
    monkeypatch.setattr(scenario_compare, "can", lambda who, action: True)
    monkeypatch.setattr(jobs.SolveJob, "start", lambda self: started.append(self) or self)
    monkeypatch.setattr(scenario_run, "run_scenario", jobs.run_scenario_isolated)  # the real runner
    before = store.list(who=PLANNER)
    at.run()
    at.text_input(key="scn_f_name").set_value("viewer's")
    at.button(key="scn_save_new").click().run()
    at.button(key="scn_run").click().run()
    at.selectbox(key="scn_pick").set_value(a).run()
    at.button(key="scn_dup").click().run()
    at.button(key="scn_del").click().run()
    at.button(key="scn_del_yes").click().run()
    at.multiselect(key="scn_cmp").set_value([a, b]).run()  # a was never run
    at.button(key="scn_cmp_go").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "may not" in errors and not at.exception
    assert store.list(who=PLANNER) == before and store.latest_result(a, who=PLANNER) is None
    assert started == []


def test_base_dataset_outside_the_allow_list_is_refused(page, tmp_path, monkeypatch):
    import shutil

    from ui import scenario_state

    copy = tmp_path / "inputs"
    from ui import common

    shutil.copytree(common.ROOT / "data" / "sample", copy)
    loaded = []
    real = scenario_state.load_base
    monkeypatch.setattr(scenario_state, "load_base", lambda path: loaded.append(path) or real(path))
    from planning.scenarios import Scenario

    sid = Store(tmp_path / "page.db").save(Scenario(name="elsewhere", base=str(copy)), who=PLANNER)  # e.g. the CLI
    at = page.run()
    assert str(copy) not in at.selectbox(key="scn_f_base").options  # nothing to type a path into
    at.selectbox(key="scn_pick").set_value(sid).run()
    at.button(key="scn_open").click().run()
    assert at.selectbox(key="scn_f_base").value == str(copy)
    at.button(key="scn_run").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "not one of this server's configured datasets" in errors, errors
    assert str(copy) not in loaded and not page.calls
