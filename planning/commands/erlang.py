"""``python -m planning erlang``: the Erlang C / Erlang A calculator.

With ``--agents N`` it evaluates that staffing; with ``--target P`` it finds the fewest
whole agents meeting the service-level target (and ``--asa``/``--max-occupancy`` if
given).  Without ``--shrinkage`` agents are productive agents handling items; with it,
agents are scheduled agents and productive = scheduled x (1 - shrinkage).
"""
from __future__ import annotations

import argparse
import json
import math
import sys

from planning.commands._common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "erlang",
        help="Erlang C / A calculator: service level of a staffing, or agents for a target",
        description=__doc__.splitlines()[2].strip() + " " + " ".join(
            line.strip() for line in __doc__.splitlines()[3:6]),
    )
    parser.add_argument("--volume", type=float, required=True, help="items arriving in the interval")
    parser.add_argument("--interval-minutes", type=float, required=True, help="interval length [min]")
    parser.add_argument("--aht", type=float, required=True, help="average handle time [s]")
    parser.add_argument("--within", type=float, required=True, help="SLA deadline T [s]")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--agents", type=float, help="agents to evaluate (whole or fractional)")
    which.add_argument("--target", type=float,
                       help="service-level target: share in (0, 1) such as 0.8, or percent in [10, 100) such as 80")
    parser.add_argument("--patience", type=float, default=None,
                        help="mean patience [s]: Erlang A with abandonment (default: nobody abandons)")
    parser.add_argument("--asa", type=float, default=None, help="ASA ceiling [s] (with --target)")
    parser.add_argument("--max-occupancy", type=float, default=1.0,
                        help="occupancy cap 0-1 (with --target; default 1 = no cap)")
    parser.add_argument("--shrinkage", type=float, default=None,
                        help="share of paid time not on items (0-1): agents become scheduled agents")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def _problem(message: str, code: int = EXIT_USAGE) -> int:
    """Option values out of range are usage errors (2); an unreachable target is 1."""
    print(f"erlang: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    from planning.staffing import UnreachableTarget, calculator

    for name in ("volume", "agents"):
        value = getattr(args, name)
        if value is not None and (not math.isfinite(value) or value < 0):
            return _problem(f"--{name} must be a number >= 0")
    for name in ("interval_minutes", "aht", "patience", "asa"):
        value = getattr(args, name)
        if value is not None and (not math.isfinite(value) or value <= 0):
            return _problem(f"--{name.replace('_', '-')} must be a number > 0")
    if not math.isfinite(args.within) or args.within < 0:
        return _problem("--within must be a number of seconds >= 0")
    if args.shrinkage is not None and not 0 <= args.shrinkage < 1:
        return _problem("--shrinkage must be a share in [0, 1), e.g. 0.3")
    if not 0 < args.max_occupancy <= 1:
        return _problem("--max-occupancy must be a share in (0, 1], e.g. 0.85")
    # A share below 1 or a percent from 10 to 100: 1.5 could mean 150% or 1.5%, so it is refused.
    if args.target is not None and not (0 < args.target < 1 or 10 <= args.target < 100):
        return _problem(f"--target {args.target:g} is neither a share in (0, 1) nor a percent in "
                        "[10, 100); write 0.8 or 80 for 80%")
    try:
        out = calculator(args.volume, args.interval_minutes, args.aht, args.within, args.agents,
                       args.target, args.patience, args.asa, args.max_occupancy, args.shrinkage)
    except UnreachableTarget as exc:
        return _problem(str(exc), EXIT_PROBLEMS)
    extra = out.pop("details")
    if args.json:
        print(json.dumps({k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                          for k, v in out.items()}))
        return EXIT_OK
    kind = "Erlang A" if args.patience is not None else "Erlang C"
    who = "scheduled agents" if args.shrinkage is not None else "productive agents"
    print(f"{kind}: load {extra['load_erlangs']:.3f} Erlangs")
    if "required_fractional" in extra:
        print(f"required      {extra['required_fractional']:.3f} {who} (fractional)")
    print(f"agents        {out['agents']} {who}"
          + (f" = {extra['productive_agents']:.2f} productive" if args.shrinkage is not None else ""))
    print(f"service_level {out['service_level']:.4f} (answered within {args.within:g} s)")
    asa = out["asa_seconds"]
    print(f"asa_seconds   {asa:.2f} s" if math.isfinite(asa) else "asa_seconds   inf (queue unstable)")
    print(f"p_wait        {out['p_wait']:.4f}")
    print(f"occupancy     {out['occupancy']:.4f}")
    if "p_abandon" in out:
        print(f"p_abandon     {out['p_abandon']:.4f}")
    return EXIT_OK
