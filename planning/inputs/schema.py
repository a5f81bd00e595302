"""The input format: one table per file (CSV folder) or per sheet (xlsx workbook).

This module is the single source of truth for file names, column names, types and
descriptions.  The loader, the validator, the blank template and the README's format
tables are all generated from it.
"""
from __future__ import annotations

from dataclasses import dataclass

# kinds: str, float, int, bool, share (0-1 float), time (HH:MM), timestamp (ISO-8601
# with offset or Z), zone (IANA), choice:<a|b>
@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool
    description: str
    example: str


@dataclass(frozen=True)
class Table:
    name: str  # file stem / sheet name
    required: bool
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


C = Column
TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table("queues", True, "One row per queue (policy area) with its SLA.", (
            C("queue", "str", True, "Queue id, unique", "spam"),
            C("description", "str", False, "Plain description", "Spam and scams"),
            C("sla_kind", "choice:live|deferred", True, "live (X% within T seconds) or deferred (X% within H hours)", "deferred"),
            C("sla_target", "share", True, "Share of items that must meet the deadline, 0-1", "0.9"),
            C("sla_within_seconds", "float", False, "Live deadline T in seconds (live queues)", ""),
            C("sla_within_hours", "float", False, "Deferred deadline H in hours (deferred queues)", "24"),
            C("sla_rest_within_hours", "float", False, "Optional second deadline for the rest, hours", "48"),
            C("aht_seconds", "float", True, "Average handle time in seconds", "25"),
            C("patience_seconds", "float", False, "Mean patience before abandoning (live, Erlang A)", ""),
            C("max_occupancy", "share", False, "Occupancy cap 0-1 (default 0.85)", "0.95"),
            C("severe", "bool", False, "Disturbing content under the wellness cap (true/false)", "false"),
            C("priority", "int", False, "1 = most important ... 9 (default 3)", "3"),
        )),
        Table("markets", True, "One row per market (region / language).", (
            C("market", "str", True, "Market id, unique", "NA-EN"),
            C("description", "str", False, "Plain description", "North America, English"),
            C("timezone", "zone", True, "IANA time zone of the market's users", "America/New_York"),
            C("holiday_country", "str", True, "ISO country code for public holidays", "US"),
            C("holiday_subdivision", "str", False, "Optional subdivision code", ""),
        )),
        Table("sites", True, "One row per vendor site.", (
            C("site", "str", True, "Site id, unique", "MNL-A"),
            C("vendor", "str", True, "Vendor (BPO) name", "Vendor A"),
            C("city", "str", False, "City", "Manila"),
            C("timezone", "zone", True, "IANA time zone of the site", "Asia/Manila"),
            C("max_headcount", "int", True, "Most agents the site can staff", "400"),
            C("min_headcount", "int", False, "Contract minimum agents (default 0)", "50"),
            C("hourly_cost", "float", True, "Cost per paid agent hour, in the settings currency", "9.5"),
            C("night_premium", "share", False, "Extra share of hourly_cost for local night hours (0.15 = +15%)", "0.15"),
            C("night_start", "time", False, "Local night starts, HH:MM (default 22:00)", "22:00"),
            C("night_end", "time", False, "Local night ends, HH:MM (default 06:00)", "06:00"),
            C("shrinkage", "share", True, "Share of paid time not available for queue work, 0-1", "0.3"),
        )),
        Table("teams", False, "Teams (lines of business) within sites; a site without rows here is one team "
              "named after the site.", (
            C("site", "str", True, "Site id (from sites)", "MNL-A"),
            C("team", "str", True, "Team name, unique within the site", "JA"),
            C("max_headcount", "int", True, "Most agents the team can staff (the site's cap bounds the sum of its teams)", "40"),
            C("min_headcount", "int", False, "Contract minimum agents of the team (default 0)", "10"),
            C("hourly_cost", "float", False, "Cost per paid agent hour; blank = the site's", "11"),
            C("shrinkage", "share", False, "Share of paid time not available for queue work, 0-1; blank = the site's", "0.32"),
            C("languages", "str", False, "Languages the team speaks (for people; the certifications decide the work)", "ja,en"),
            C("notes", "str", False, "Free text", ""),
        )),
        Table("certifications", True, "One row per site x queue x market the site may work; with a team, only "
              "that team of the site may (a row without a team certifies every team of the site).", (
            C("site", "str", True, "Site id (from sites)", "MNL-A"),
            C("queue", "str", True, "Queue id (from queues)", "spam"),
            C("market", "str", True, "Market id (from markets)", "APAC-JA"),
            C("team", "str", False, "Team of the site (from teams); blank = every team of the site", "JA"),
        )),
        Table("shifts", True, "Shift templates per site (or per team), in the site's local time.", (
            C("site", "str", True, "Site id (from sites)", "MNL-A"),
            C("shift", "str", True, "Shift name, unique within the site", "early"),
            C("start", "time", True, "Local start time HH:MM", "06:00"),
            C("paid_hours", "float", True, "Paid hours (clock length of the shift)", "9"),
            C("team", "str", False, "Team of the site (from teams) that works it; blank = every team of the site", ""),
        )),
        Table("volume", True, "History: items reaching human review per interval.", (
            C("timestamp", "timestamp", True, "Interval start, ISO-8601 with offset or Z", "2026-01-05T08:30:00Z"),
            C("queue", "str", True, "Queue id (from queues)", "spam"),
            C("market", "str", True, "Market id (from markets)", "NA-EN"),
            C("volume", "float", True, "Items in the interval (>= 0)", "123"),
        )),
        Table("events", False, "Known past and future events with expected uplift.", (
            C("event", "str", True, "Event name", "Brazil general election"),
            C("kind", "str", False, "election / launch / incident / holiday / other", "election"),
            C("start", "timestamp", True, "Start, ISO-8601 with offset or Z", "2026-10-01T00:00:00Z"),
            C("end", "timestamp", True, "End (exclusive), ISO-8601 with offset or Z", "2026-10-15T00:00:00Z"),
            C("queue", "str", False, "Queue id or * for all (default *)", "civic_integrity"),
            C("market", "str", False, "Market id or * for all (default *)", "LATAM-PT"),
            C("volume_multiplier", "float", False, "Expected volume vs normal (3 = triples)", "3"),
            C("notes", "str", False, "Free text", ""),
        )),
        Table("hiring", False, "Supply parameters for the long-range capacity plan: one row per site, or one row "
              "per team of a site (then every row of that site names a team, and the plan hires by team).", (
            C("site", "str", True, "Site id (from sites)", "MNL-A"),
            C("current_headcount", "int", True, "Agents employed now at the site (or team), fully productive", "320"),
            C("monthly_attrition", "share", True, "Share of agents leaving per month, 0-1", "0.04"),
            C("recruiting_lead_weeks", "int", True, "Weeks from requisition to start of training", "4"),
            C("training_weeks", "int", True, "Weeks of classroom training (not productive)", "3"),
            C("nesting_weeks", "int", True, "Weeks of nesting after training", "4"),
            C("nesting_productivity", "share", True, "Productivity during nesting, 0-1 (ramps to 1)", "0.6"),
            C("class_min", "int", True, "Smallest training class", "8"),
            C("class_max", "int", True, "Largest training class", "25"),
            C("max_hires_per_week", "int", True, "Most new agents starting per week", "40"),
            C("hire_cost", "float", True, "One-off cost per hire (recruiting), currency", "1200"),
            C("training_cost_per_week", "float", True, "Cost per trainee per training week, currency", "300"),
            C("team", "str", False, "Team of the site (from teams) these parameters are for; blank = the whole site", ""),
        )),
        Table("actuals", False, "What happened: per interval and queue x market (site blank), optionally per site or per team of a site.", (
            C("timestamp", "timestamp", True, "Interval start, ISO-8601 with offset or Z", "2026-11-16T08:30:00Z"),
            C("queue", "str", True, "Queue id (from queues)", "spam"),
            C("market", "str", True, "Market id (from markets)", "NA-EN"),
            C("site", "str", False, "Site id (from sites); blank = the queue x market as a whole", ""),
            C("team", "str", False, "Team of the site (from teams), site rows only; blank = the whole site", ""),
            C("total_incoming", "float", False, "Items reported or flagged, before automation (pair rows)", "610"),
            C("manual_incoming", "float", False, "Items reaching human review after automation (pair rows)", "123"),
            C("total_solved", "float", False, "Items actioned, by automation or agents", "605"),
            C("manual_solved", "float", False, "Items actioned by agents (site rows: by that site)", "118"),
            C("aht_seconds", "float", False, "Average handle time of the items agents solved, seconds", "22.5"),
            C("backlog_items", "float", False, "Items waiting for review at the interval end (pair rows)", "40"),
            C("within_sla_share", "share", False, "Share of solved items that met the SLA deadline, 0-1 (pair rows)", "0.97"),
            C("staffed_agents", "float", False, "Productive agents working the pair in the interval (optional)", "6.5"),
        )),
        Table("settings", False, "Planning settings as key,value rows (see README).", (
            C("key", "str", True, "Setting name", "interval_minutes"),
            C("value", "str", True, "Setting value", "30"),
        )),
    ]
}

REQUIRED_TABLES = [t.name for t in TABLES.values() if t.required]
