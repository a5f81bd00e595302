"""Writing the sample operation: its tables as CSV, the volume history and a week of actuals.

The generator (:mod:`planning.sample.generator`) makes the numbers; the actuals generator
(:mod:`planning.sample.actuals`) builds on it; this module writes both, so neither of them
imports the other in a circle.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planning.inputs import TABLES
from planning.sample.actuals import write_actuals
from planning.sample.generator import (EVENTS, HIRING, MARKETS, QUEUES, SEED, SETTINGS, SITES, TEAMS,
                                       balanced_site_load, certification_rows, generate_volume,
                                       pair_workload_hours, shift_rows, sizing_summary,
                                       write_gzip_deterministic)

_DECIMALS = {"sla_within_seconds": 0, "sla_within_hours": 0, "sla_rest_within_hours": 0,
             "aht_seconds": 0, "patience_seconds": 0, "monthly_attrition": 3, "hire_cost": 0,
             "training_cost_per_week": 0, "paid_hours": 1, "volume": 0}


@dataclass(frozen=True)
class SampleOutput:
    """What :func:`write_sample` wrote: the file paths and the sizing summary."""

    files: list[Path]
    sizing: pd.DataFrame  # see sizing_summary
    max_site_load: float  # see balanced_site_load
    site_load: dict[str, float]

    def report(self) -> str:
        sites = ", ".join(f"{s} {u:.0%}" for s, u in self.site_load.items())
        return (f"{format_sizing(self.sizing)}\n"
                f"balanced site load (LP over certifications, weekly averages): "
                f"max {self.max_site_load:.1%} ({sites})")


def format_sizing(sizing: pd.DataFrame) -> str:
    lines = [f"{'market':<9} {'workload h/wk':>13} {'capacity h/wk':>13} {'load':>6}  sites"]
    for r in sizing.itertuples(index=False):
        lines.append(f"{r.market:<9} {r.workload_hours_week:>13,.0f} {r.capacity_hours_week:>13,.0f} "
                     f"{r.load:>6.1%}  {r.sites}")
    return "\n".join(lines)


def _format(value, kind: str, column: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("float", "share"):
        return f"{float(value):.{_DECIMALS.get(column, 2)}f}"
    if kind == "int":
        return str(int(value))
    return str(value)


def _table_text(table: str, rows: list[dict]) -> str:
    """The table as CSV text in schema column order.  An optional ``team`` column no row sets
    is left out: the sample is hired by site, so its hiring.csv reads as before teams."""
    columns = [c for c in TABLES[table].columns
               if not (c.name == "team" and not c.required and not any(r.get("team") for r in rows))]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([_format(row.get(c.name), c.kind, c.name) for c in columns])
    return buffer.getvalue()


def _volume_text(volume: pd.DataFrame) -> str:
    stamps = volume["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    counts = volume["volume"].round().astype(np.int64).astype(str)  # integer counts: exact text
    lines = stamps + "," + volume["queue"] + "," + volume["market"] + "," + counts
    return "timestamp,queue,market,volume\n" + "\n".join(lines) + "\n"


def write_sample(out_dir: Path | str, seed: int = SEED) -> SampleOutput:
    """Generate the sample operation into ``out_dir`` (created if missing)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"queues": QUEUES, "markets": MARKETS, "sites": SITES, "teams": TEAMS,
              "certifications": certification_rows(), "shifts": shift_rows(), "events": EVENTS,
              "hiring": HIRING, "settings": [{"key": k, "value": v} for k, v in SETTINGS]}
    files = []
    for name, rows in tables.items():
        path = out / f"{name}.csv"
        path.write_text(_table_text(name, rows), encoding="utf-8", newline="")
        files.append(path)
    volume = generate_volume(seed)
    path = out / "volume.csv.gz"
    write_gzip_deterministic(path, _volume_text(volume))
    files.append(path)
    files.append(write_actuals(out))  # the week after the history, with planted problems
    best, per_site = balanced_site_load(pair_workload_hours(volume))
    return SampleOutput(files=files, sizing=sizing_summary(volume), max_site_load=best, site_load=per_site)
