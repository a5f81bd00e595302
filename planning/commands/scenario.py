"""``python -m planning scenario save|list|show|run|compare|delete|kinds``: what-if scenarios.

All verbs use the same store as the app: ``--db URL`` (a SQLite file path or a
``postgresql://`` URL), else ``$WFM_DB``, else ``var/scenarios.db``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from planning.commands._common import EXIT_ENVIRONMENT, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "scenario", help="save, run and compare what-if scenarios (levers over a base dataset)",
        description="What-if scenarios: a base dataset plus an ordered list of levers (volume change, "
        "surge, AHT change, automation, training, SLA, site outage/cap, shrinkage, cost, sites, "
        "certifications). Levers are JSON objects with a 'kind'; see 'scenario kinds'.")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=type(parser))
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="store: SQLite file path or postgresql:// URL "
                        "(default: $WFM_DB, else var/scenarios.db)")

    p = verbs.add_parser("save", parents=[common], help="save a scenario (optionally run it)")
    p.add_argument("name", metavar="NAME", help="scenario name (kept verbatim)")
    p.add_argument("--inputs", required=True, metavar="PATH", help="base dataset: CSV folder, .zip or .xlsx")
    p.add_argument("--lever", action="append", default=[], metavar="JSON",
                   help='a lever as JSON, repeatable, applied in order, e.g. '
                        '\'{"kind": "volume_change", "queue": "spam", "percent": 20}\'')
    p.add_argument("--levers-file", metavar="FILE", help="a JSON file with a list of levers (applied first)")
    p.add_argument("--weeks", type=int, default=1, help="planning horizon in weeks (1-8, default 1)")
    p.add_argument("--start", metavar="YYYY-MM-DD", help="first planned day (default: after the history)")
    p.add_argument("--time-limit", type=float, metavar="SECONDS", help="solver time limit")
    p.add_argument("--no-simulate", action="store_true", help="skip the simulation when running (faster)")
    p.add_argument("--notes", default="", help="free text notes")
    p.add_argument("--parent", metavar="ID|NAME", help="the scenario this one derives from")
    p.add_argument("--by", metavar="WHO", help="author (default: $WFM_USER or the login name)")
    p.add_argument("--run", action="store_true", help="run it now and store the KPIs")
    p.set_defaults(func=_save)

    p = verbs.add_parser("list", parents=[common], help="list saved scenarios, newest first")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_list)

    p = verbs.add_parser("show", parents=[common], help="show a scenario's levers, settings and last KPIs")
    p.add_argument("ref", metavar="ID|NAME")
    p.add_argument("--json", action="store_true", help="print the scenario as JSON")
    p.set_defaults(func=_show)

    p = verbs.add_parser("run", parents=[common], help="run a saved scenario and store its KPIs")
    p.add_argument("ref", metavar="ID|NAME")
    p.add_argument("--json", action="store_true", help="print the KPIs as JSON")
    p.set_defaults(func=_run)

    p = verbs.add_parser("compare", parents=[common], help="compare 2-4 scenarios (KPI deltas vs the first)")
    p.add_argument("refs", metavar="ID|NAME", nargs="+")
    p.add_argument("--rerun", action="store_true", help="run every scenario again (default: runs only "
                   "those without stored KPIs)")
    p.add_argument("--csv", metavar="FILE", type=Path, help="also write the tidy comparison table as CSV")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(func=_compare)

    p = verbs.add_parser("delete", parents=[common], help="delete a scenario and its results")
    p.add_argument("ref", metavar="ID|NAME")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_delete)

    p = verbs.add_parser("kinds", help="list the lever kinds and their fields")
    p.set_defaults(func=_kinds)
    parser.set_defaults(func=lambda args: (parser.print_help(sys.stderr), EXIT_USAGE)[1])


def _fail(message: str, code: int = EXIT_PROBLEMS) -> int:
    print(f"scenario: {message}", file=sys.stderr)
    return code


def _guarded(work):
    """Turn the expected problems (bad lever, unknown scenario, broken base data, a missing
    file) into exit 1; disk, permission and database failures are left to ``planning.cli``."""
    def run(args) -> int:
        from pydantic import ValidationError

        from planning.scenarios import LeverError, explain
        from planning.scenarios import ScenarioInputError
        from planning.scenarios import StoreError, StoreUnavailable

        try:
            return work(args)
        except StoreUnavailable as exc:  # the database, not the request: exit 4
            print(f"scenario: environment problem: {exc}", file=sys.stderr)
            return EXIT_ENVIRONMENT
        except ValidationError as exc:
            return _fail(explain(exc))
        except (LeverError, ScenarioInputError, StoreError) as exc:
            return _fail(str(exc))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:  # a path the user gave
            return _fail(f"{getattr(exc, 'filename', '') or ''} {exc.strerror or exc}".strip())
        # Other OSErrors and an unreachable database reach planning.cli: exit 4, the environment.
        except json.JSONDecodeError as exc:
            return _fail(f"not valid JSON ({exc.msg} at column {exc.colno})")
    run.__wrapped__ = work
    return run


def _store(args):
    from planning.scenarios import Store

    return Store(args.db)


def _who(args):
    """The person at the command line: shell access on the server is planner access."""
    from planning.access import operator

    return operator(getattr(args, "by", None))


def _progress(message: str, fraction: float) -> None:
    print(f"  [{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def _execute(store, scenario, who) -> dict:
    from planning.scenarios import run_scenario

    from planning.scenarios import ScenarioInputError, load_base, plan_horizon, reach_warnings

    print(f"running {scenario.name!r} (#{scenario.id}) ...", file=sys.stderr)
    try:  # warn before the run: a lever outside the horizon changes nothing
        op = load_base(scenario.base)
        for text in [] if not hasattr(op, "history_end") else reach_warnings(scenario.levers, op, plan_horizon(op, scenario.settings.weeks,
                                                                      scenario.settings.start)):
            print(f"warning: {text}", file=sys.stderr)
    except ScenarioInputError as exc:  # the run below stops on it with the full message
        print(f"warning: levers not checked against the horizon: {str(exc).splitlines()[0]}", file=sys.stderr)
    t0 = time.perf_counter()
    result = run_scenario(scenario, who=who, progress=_progress)
    seconds = time.perf_counter() - t0
    store.save_result(scenario.id, result.kpis, seconds, who=who)
    print(f"done in {seconds:.1f} s", file=sys.stderr)
    return store.latest_result(scenario.id, who=who)["kpis"]


@_guarded
def _save(args) -> int:
    from planning.scenarios import parse_lever, parse_levers
    from planning.scenarios import PlanSettings, Scenario

    levers = []
    if args.levers_file:
        levers += parse_levers(Path(args.levers_file).read_text(encoding="utf-8"))
    levers += [parse_lever(text) for text in args.lever]
    store = _store(args)
    who = _who(args)
    parent = store.find(args.parent, who=who).id if args.parent else None
    scenario = Scenario(name=args.name, base=args.inputs, levers=levers, notes=args.notes, parent_id=parent,
                        settings=PlanSettings(weeks=args.weeks, start=args.start,
                                              time_limit_seconds=args.time_limit,
                                              simulate=not args.no_simulate))
    sid = store.save(scenario, who=who)
    print(f"saved scenario #{sid} {scenario.name!r} with {len(levers)} lever(s)")
    for i, lever in enumerate(scenario.levers, 1):
        print(f"  {i}. {lever.describe()}")
    if args.run:
        _print_kpis(_execute(store, store.get(sid, who=who), who))
    return EXIT_OK


@_guarded
def _list(args) -> int:
    rows = _store(args).list(who=_who(args))
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
        return EXIT_OK
    if not rows:
        print("no scenarios saved yet (python -m planning scenario save NAME --inputs DIR --lever JSON)")
        return EXIT_OK
    print(f"{'id':>5}  {'levers':>6}  {'runs':>4}  {'created (UTC)':16}  {'by':12}  name")
    for r in rows:
        print(f"{r['id']:>5}  {r['levers']:>6}  {r['runs']:>4}  {r['created_at']:%Y-%m-%d %H:%M}  "
              f"{r['created_by'][:12]:12}  {r['name']!r}")
    return EXIT_OK


@_guarded
def _show(args) -> int:
    store, who = _store(args), _who(args)
    s = store.find(args.ref, who=who)
    last = store.latest_result(s.id, who=who)
    if args.json:
        data = s.model_dump(mode="json")
        data["latest_result"] = last and {**last, "run_at": str(last["run_at"])}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"scenario #{s.id} {s.name!r}  (by {s.created_by or '?'}, {s.created_at:%Y-%m-%d %H:%M} UTC"
          f"{f', parent #{s.parent_id}' if s.parent_id else ''})")
    print(f"base dataset: {s.base}")
    st = s.settings
    print(f"settings: {st.weeks} week(s), start {st.start or 'after history'}, "
          f"solver limit {f'{st.time_limit_seconds:g} s' if st.time_limit_seconds else 'default'}, "
          f"simulation {'on' if st.simulate else 'off'}")
    if s.notes:
        print(f"notes: {s.notes}")
    print(f"levers ({len(s.levers)}, applied in order):" if s.levers else "levers: none (the baseline)")
    for i, lever in enumerate(s.levers, 1):
        print(f"  {i}. {lever.describe()}")
    if last:
        print(f"last run {last['run_at']:%Y-%m-%d %H:%M} UTC:")
        _print_kpis(last["kpis"])
    else:
        print("not run yet (python -m planning scenario run REF)")
    return EXIT_OK


def _print_kpis(kpis: dict) -> None:
    def num(key, unit):
        value = kpis.get(key)
        return "n/a" if value is None else f"{value:,.1f} {unit}"

    for text in kpis.get("lever_warnings") or []:
        print(f"  warning: {text}")
    print(f"  cost {num('cost', kpis.get('currency') or '')}  paid hours {num('paid_hours', 'h')}  "
          f"unmet {num('unmet_agent_hours', 'agent-h')}")
    for label, key in (("vendor", "headcount_by_vendor"), ("site", "headcount_by_site")):
        parts = ", ".join(f"{k} {v:,.0f}" for k, v in sorted((kpis.get(key) or {}).items()))
        if parts:
            print(f"  headcount by {label} [agents]: {parts}")
    for item in kpis.get("attainment") or []:
        fmt = lambda v: "n/a" if v is None else f"{v:.1%}"  # noqa: E731
        print(f"  {item.get('queue')} / {item.get('market')}: target {fmt(item.get('target'))}, "
              f"predicted {fmt(item.get('predicted'))}, simulated {fmt(item.get('simulated'))}")


@_guarded
def _run(args) -> int:
    store, who = _store(args), _who(args)
    kpis = _execute(store, store.find(args.ref, who=who), who)
    if args.json:
        print(json.dumps(kpis, indent=2))
    else:
        _print_kpis(kpis)
    return EXIT_OK


@_guarded
def _compare(args) -> int:
    import pandas as pd

    from planning.scenarios import compare, compare_wide, what_changed

    if not 2 <= len(args.refs) <= 4:
        return _fail("compare two to four scenarios", EXIT_USAGE)
    store, who = _store(args), _who(args)
    chosen = [store.find(ref, who=who) for ref in args.refs]
    kpis = []
    for s in chosen:
        last = None if args.rerun else store.latest_result(s.id, who=who)
        kpis.append(last["kpis"] if last else _execute(store, s, who))
    table = compare(chosen, kpis)
    changed = what_changed(chosen)
    if args.csv:
        from planning.export.safe import write_csv

        write_csv(table, args.csv)
    if args.json:
        print(json.dumps({"deltas": json.loads(table.to_json(orient="records")),
                          "what_changed": json.loads(changed.to_json(orient="records"))}, indent=2))
        return EXIT_OK
    with pd.option_context("display.width", 200, "display.max_rows", 500, "display.max_columns", 20):
        print(f"KPI deltas against '{table['scenario'].iloc[0]}' (units in the unit column):")
        print(compare_wide(table).to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
        print("\nWhat changed:")
        print(changed.to_string(index=False) if len(changed) else "  nothing: same levers and settings")
    return EXIT_OK


@_guarded
def _delete(args) -> int:
    store, who = _store(args), _who(args)
    s = store.find(args.ref, who=who)
    if not args.yes:
        if not sys.stdin.isatty():
            return _fail(f"add --yes to delete scenario #{s.id} {s.name!r}", EXIT_USAGE)
        answer = input(f"Delete scenario #{s.id} {s.name!r} and its results? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept")
            return EXIT_OK
    store.delete(s.id, who=who)
    print(f"deleted scenario #{s.id} {s.name!r}")
    return EXIT_OK


def _kinds(args) -> int:
    from planning.scenarios import LEVER_KINDS

    for kind, cls in LEVER_KINDS.items():
        fields = []
        for name, info in cls.model_fields.items():
            if name == "kind":
                continue
            fields.append(name if info.is_required() else f"[{name}={info.default!r}]".replace("'*'", "*"))
        summary = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        print(f"{kind}: {summary}")
        print(f"    fields: {' '.join(fields)}")
    return EXIT_OK
