"""Erlang B / C / A against published values, an exact mpmath oracle and invariants."""
from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from planning.staffing.erlang import (
    UnreachableTarget,
    erlang_a,
    erlang_a_int,
    erlang_b,
    erlang_c,
    offered_load,
    productive_agents,
    required_agents,
    scheduled_agents,
    service_level,
)


# ------------------------------------------------------------------ published values
def test_callcentrehelper_worked_example():
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example":
    # 100 calls per 30 min, AHT 180 s, 14 agents, 20 s -> Pw 17.41%, SL 88.84%, occ 71.4%.
    res = erlang_c(offered_load(100, 180, 30), 14, 180, 20)
    assert_allclose(res["p_wait"], 0.1741, atol=5e-5)
    assert_allclose(res["service_level"], 0.8884, atol=5e-5)
    assert_allclose(res["occupancy"], 0.714, atol=5e-4)


@pytest.mark.parametrize("volume, interval, aht, within, target, agents", [
    # Issue 4 reference cases (planner-supplied, standard calculator examples):
    (200, 30, 180, 60, 0.8, 23),
    (250, 60, 330, 30, 0.8, 28),
    # Call Centre Helper worked example (80/20 target): 14 agents.
    (100, 30, 180, 20, 0.8, 14),
])
def test_published_requirements(volume, interval, aht, within, target, agents):
    x = required_agents(offered_load(volume, aht, interval), aht, within, target)
    assert math.ceil(x) == agents
    assert agents - 1 < x <= agents


@pytest.mark.parametrize("lines, erlangs, blocking", [
    # Erlang B table (e.g. ITU-T E.500-series traffic tables, reproduced in Wikipedia
    # "Erlang (unit)" and every traffic-engineering text): load at 1% / 2% blocking.
    (15, 8.108, 0.01), (5, 1.361, 0.01), (10, 4.461, 0.01), (20, 12.031, 0.01),
    (30, 20.337, 0.01), (100, 84.064, 0.01), (10, 5.084, 0.02), (20, 13.182, 0.02),
])
def test_erlang_b_table(lines, erlangs, blocking):
    assert_allclose(erlang_b(erlangs, lines), blocking, rtol=2e-3)


# ------------------------------------------------------------------ exact oracle
def _mp_erlang_b(a, n):
    mp.mp.dps = 50
    a = mp.mpf(a)
    inv = mp.mpf(1)
    for k in range(1, n + 1):  # 1/B(k) = 1 + k/a * 1/B(k-1), exact in high precision
        inv = 1 + k / a * inv
    return 1 / inv


@pytest.mark.parametrize("a, n", [(0.01, 1), (0.5, 3), (45.3, 50), (950.0, 1000), (1999.0, 2050),
                                  (2000.0, 1900), (9990.0, 10100), (10000.0, 9000), (300.0, 10)])
def test_erlang_b_matches_mpmath(a, n):
    assert_allclose(erlang_b(a, n), float(_mp_erlang_b(a, n)), rtol=1e-9)


@pytest.mark.parametrize("a, n, aht, t", [(1900.0, 1960, 300, 20), (9990.0, 10100, 60, 10),
                                          (0.01, 1, 180, 20), (2.5, 4, 30, 5)])
def test_erlang_c_matches_mpmath(a, n, aht, t):
    b = _mp_erlang_b(a, n)
    c = n * b / (n - a * (1 - b))
    sl = 1 - c * mp.e ** (-(n - a) * t / mp.mpf(aht))
    res = erlang_c(a, n, aht, t)
    assert_allclose(res["p_wait"], float(c), rtol=1e-8)
    assert_allclose(res["service_level"], float(sl), rtol=1e-8)
    assert_allclose(res["asa_seconds"], float(c * aht / (n - a)), rtol=1e-8)


def test_vectorised_equals_scalar_and_big_loads_are_finite():
    loads = np.array([0.01, 3.0, 150.0, 2000.0, 10000.0])
    x = required_agents(loads, 300, 60, 0.8, max_occupancy=1.0)
    for load, agents in zip(loads, x):
        assert_allclose(required_agents(load, 300, 60, 0.8, max_occupancy=1.0), agents)
    assert np.all(np.isfinite(x)) and np.all(x > loads)
    sl = erlang_c(loads, x, 300, 60)["service_level"]
    assert_allclose(sl, 0.8, atol=1e-9)  # fractional requirement meets the target exactly


def test_all_targets_together():
    load = offered_load(200, 180, 30)
    base = required_agents(load, 180, 60, 0.8)
    with_asa = required_agents(load, 180, 60, 0.8, asa_seconds=5)
    with_occ = required_agents(load, 180, 60, 0.8, max_occupancy=0.8)
    assert with_asa > base and erlang_c(load, with_asa, 180, 60)["asa_seconds"] <= 5 + 1e-9
    assert_allclose(with_occ, load / 0.8)


def test_shrinkage_conversions():
    assert_allclose(scheduled_agents(14, 0.3), 20.0)
    assert_allclose(productive_agents(20, 0.3), 14.0)
    with pytest.raises(UnreachableTarget):
        scheduled_agents(10, 1.0)


# ------------------------------------------------------------------ Erlang A
def _mp_erlang_a_sl(a, n, aht, t, pat, kmax=400):
    """Independent oracle: stationary chain in mpmath, and P(answered within t | m ahead)
    by numerical integration of the hypoexponential density times own patience."""
    mp.mp.dps = 30
    mu, th = 1 / mp.mpf(aht), 1 / mp.mpf(pat)
    lam = a * mu
    p = [mp.mpf(1)]
    for k in range(1, kmax):
        p.append(p[-1] * lam / (min(k, n) * mu + max(k - n, 0) * th))
    z = sum(p)
    p = [v / z for v in p]
    total = sum(p[:n])
    p_served = total
    for m in range(kmax - n):
        rates = [n * mu + i * th for i in range(m + 1)]
        # P(T <= min(t, patience)) = int_0^t f_T(s) e^{-th s} ds via Laplace-free route:
        # T is hypoexponential with distinct rates -> closed form in high precision.
        cdf_part = mp.mpf(0)
        for j, rj in enumerate(rates):
            coef = mp.mpf(1)
            for l, rl in enumerate(rates):
                if l != j:
                    coef *= rl / (rl - rj)
            # int_0^t rj e^{-rj s} e^{-th s} ds
            cdf_part += coef * rj / (rj + th) * (1 - mp.e ** (-(rj + th) * t))
        total += p[n + m] * cdf_part
        if p[n + m] < mp.mpf(10) ** -20:
            break
    return float(total)


def test_erlang_a_matches_independent_oracle():
    a, n, aht, t, pat = 4.0, 5, 120.0, 30.0, 60.0
    res = erlang_a_int(a, n, aht, t, pat)
    assert_allclose(res["service_level"], _mp_erlang_a_sl(a, n, aht, t, pat, kmax=80), rtol=1e-6)


def test_erlang_a_identities():
    a, n, aht, t, pat = 10.0, 11, 180.0, 20.0, 120.0
    res = erlang_a_int(a, n, aht, t, pat)
    lam, mu = a / aht, 1 / aht
    # throughput balance: answered rate = busy agents x mu
    assert_allclose(lam * (1 - res["p_abandon"]), res["occupancy"] * n * mu, rtol=1e-9)
    # with very long patience Erlang A -> Erlang C
    long_pat = erlang_a_int(a, n, aht, t, 1e9)
    c = erlang_c(a, n, aht, t)
    assert_allclose(long_pat["service_level"], c["service_level"], rtol=1e-4)
    assert_allclose(long_pat["p_wait"], c["p_wait"], rtol=1e-4)
    # overloaded but stable thanks to abandonment
    over = erlang_a_int(20.0, 15, 180, 20, 60)
    assert 0 < over["p_abandon"] < 1 and over["service_level"] < 0.5


def test_erlang_a_requirement_is_below_erlang_c_and_meets_target():
    load = offered_load(100, 180, 30)
    xa = required_agents(load, 180, 20, 0.8, patience=300)
    xc = required_agents(load, 180, 20, 0.8)
    assert xa <= xc
    assert_allclose(erlang_a(load, xa, 180, 20, 300)["service_level"], 0.8, atol=1e-6)
    assert_allclose(service_level(100, 180, xa, 20, 30, patience=300), 0.8, atol=1e-6)


# ------------------------------------------------------------------ invariants
loads = st.floats(0.05, 3000.0)
ahts = st.floats(10.0, 1800.0)
withins = st.floats(0.0, 600.0)
targets = st.floats(0.05, 0.99)


@settings(max_examples=60, deadline=None)
@given(loads, ahts, withins, st.floats(0.0, 4000.0), st.floats(0.01, 50.0))
def test_more_agents_never_lower_sl(load, aht, within, agents, more):
    r1 = erlang_c(load, agents, aht, within)
    r2 = erlang_c(load, agents + more, aht, within)
    assert r2["service_level"] >= r1["service_level"] - 1e-12
    assert r2["asa_seconds"] <= r1["asa_seconds"] + 1e-9
    assert 0 <= r1["occupancy"] <= 1 and 0 <= r1["service_level"] <= 1


@settings(max_examples=60, deadline=None)
@given(loads, ahts, withins, targets, st.floats(1.0, 2.0), st.floats(1.0, 2.0), st.floats(0, 0.009))
def test_requirement_monotone(load, aht, within, target, vol_factor, aht_factor, stricter):
    base = required_agents(load, aht, within, target)
    assert required_agents(load * vol_factor, aht, within, target) >= base - 1e-9
    # longer AHT at the same volume means load x factor too
    assert required_agents(load * aht_factor, aht * aht_factor, within, target) >= base - 1e-9
    assert required_agents(load, aht, within, min(target + stricter, 0.995)) >= base - 1e-9
    assert required_agents(load, aht, max(within - 1.0, 0.0), target) >= base - 1e-9
    assert load / base < 1  # occupancy < 1


@settings(max_examples=25, deadline=None)
@given(st.floats(0.1, 30.0), st.integers(0, 40), st.floats(10.0, 600.0), st.floats(0.0, 120.0),
       st.floats(5.0, 900.0))
def test_erlang_a_more_agents_never_lower_sl(load, n, aht, within, pat):
    r1 = erlang_a_int(load, n, aht, within, pat)
    r2 = erlang_a_int(load, n + 1, aht, within, pat)
    assert r2["service_level"] >= r1["service_level"] - 1e-9
    assert r2["p_abandon"] <= r1["p_abandon"] + 1e-9
    assert 0 <= r1["occupancy"] <= 1 + 1e-12


@pytest.mark.parametrize("kwargs", [dict(target=1.0), dict(target=0.0), dict(max_occupancy=0.0),
                                    dict(asa_seconds=0.0), dict(aht_seconds=0.0)])
def test_unreachable_inputs_raise_clear_error(kwargs):
    args = dict(load=10.0, aht_seconds=180.0, within_seconds=20.0, target=0.8)
    args.update(kwargs)
    with pytest.raises(UnreachableTarget, match=r"\w+"):
        required_agents(**args)


# ------------------------------------------------------------------ CLI
def test_cli_erlang_json_and_text(capsys):
    import json

    from planning.cli import main

    assert main(["erlang", "--volume", "100", "--interval-minutes", "30", "--aht", "180",
                 "--within", "20", "--agents", "14", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"agents", "service_level", "asa_seconds", "p_wait", "occupancy"}
    assert_allclose([out["service_level"], out["p_wait"]], [0.8884, 0.1741], atol=5e-5)
    assert main(["erlang", "--volume", "200", "--interval-minutes", "30", "--aht", "180",
                 "--within", "60", "--target", "0.8", "--patience", "300", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"agents", "service_level", "asa_seconds", "p_wait", "occupancy", "p_abandon"}
    assert out["agents"] <= 23 and out["service_level"] >= 0.8
    # shrinkage: agents are scheduled agents
    assert main(["erlang", "--volume", "200", "--interval-minutes", "30", "--aht", "180",
                 "--within", "60", "--target", "80", "--shrinkage", "0.3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["agents"] == math.ceil(22.66 / 0.7)
    assert main(["erlang", "--volume", "100", "--interval-minutes", "30", "--aht", "180",
                 "--within", "20", "--agents", "14", "--shrinkage", "1.5"]) == 2  # usage
    assert "shrinkage" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["erlang", "--volume", "100", "--interval-minutes", "30", "--aht", "180", "--within", "20"])
    assert exc.value.code == 2


def test_erlang_page_renders_published_example():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("import ui.erlang as page\npage.render()", default_timeout=60)
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Agents"].startswith("14 ") and metrics["Service level"] == "88.8%"
    at.radio(key="erlang_mode").set_value("Service level of a staffing").run()
    at.toggle(key="erlang_use_patience").set_value(True).run()
    metrics = {m.label: m.value for m in at.metric}
    assert not at.exception and metrics["Service level"] == "91.7%" and "Abandoned" in metrics
