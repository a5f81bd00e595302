"""The sample operation's teams: a T&S vendor book as vendors staff, bill and train it.

Language teams per market at every site, a severe-content team (own wellness programme:
more shrinkage, a premium) at each site certified for severe queues, and one cross-skilled
team (KUL-B's bilingual EN+JA team) so pooling shows its value.  Severe teams also take
two lighter queues of their language (spam, abuse): with the wellness cap at 50% of
productive time a team that could only take severe work would stand half idle.

``TEAMS``: rows of the ``teams`` table.  ``WORK``: site -> team -> the (market, queues)
it is certified for, ``"*"`` for every queue the site is certified for in that market
(``planning.sample.generator.CERTIFIED``).  A queue x market a team does not take is not
certified for it.
"""
from __future__ import annotations

_T = ("site", "team", "max_headcount", "min_headcount", "hourly_cost", "shrinkage", "languages", "notes")
TEAMS = [dict(zip(_T, row)) for row in [
    ("MNL-A", "EN", 250, 50, None, None, "en", "English general"),
    ("MNL-A", "JA", 70, 15, 10.50, None, "ja,en", "Japanese; language premium"),
    ("MNL-A", "SEV", 60, 10, 10.00, 0.36, "en", "Graphic media; wellness programme"),
    ("HYD-A", "EN", 220, 40, None, None, "en", "English general"),
    ("HYD-A", "SEV", 100, 15, 9.00, 0.38, "en", "Child safety and graphic media; wellness programme"),
    ("LIS-A", "PT", 70, 10, None, None, "pt", "Brazilian Portuguese"),
    ("LIS-A", "DE", 50, 10, None, None, "de", "German"),
    ("LIS-A", "FR", 40, 5, None, None, "fr", "French"),
    ("LIS-A", "SEV", 25, 0, 20.00, 0.33, "de", "Violent extremism (EU TCO), German; wellness programme"),
    ("KUL-B", "EN", 120, 20, None, None, "en", "English general"),
    ("KUL-B", "JA", 50, 10, 12.50, None, "ja", "Japanese; language premium"),
    ("KUL-B", "ENJA", 40, 0, 13.00, None, "en,ja", "Cross-skilled: English and Japanese"),
    ("DUB-B", "EN", 60, 10, None, None, "en", "English: hate, misinformation, civic, escalations"),
    ("DUB-B", "DE", 50, 10, None, None, "de", "German"),
    ("DUB-B", "FR", 30, 5, None, None, "fr", "French"),
    ("DUB-B", "SEV", 45, 5, 31.00, 0.34, "en,de", "Child safety and violent extremism (EU TCO); wellness programme"),
    ("SAO-C", "PT", 90, 15, None, None, "pt", "Portuguese"),
    ("SAO-C", "ES", 80, 15, None, None, "es", "Spanish"),
    ("SAO-C", "EN", 40, 0, None, None, "en,pt", "English spam and abuse"),
    ("AUS-C", "EN", 70, 10, None, None, "en", "English general"),
    ("AUS-C", "ES", 50, 5, None, None, "es", "Spanish"),
    ("AUS-C", "SEV", 40, 5, 33.00, 0.33, "en", "Child safety and violent extremism; wellness programme"),
]]

_SEVERE = ("graphic_media", "child_safety", "violent_extremism")
_LIGHT = ["spam", "abuse_harassment"]
ALL = "*"

WORK: dict[str, dict[str, list[tuple[str, object]]]] = {
    "MNL-A": {"EN": [("NA-EN", "general")], "JA": [("APAC-JA", ALL)],
              "SEV": [("NA-EN", ["graphic_media", *_LIGHT])]},
    "HYD-A": {"EN": [("NA-EN", "general")], "SEV": [("NA-EN", ["graphic_media", "child_safety", *_LIGHT])]},
    "LIS-A": {"PT": [("LATAM-PT", ALL)], "DE": [("EMEA-DE", "general")], "FR": [("EMEA-FR", ALL)],
              "SEV": [("EMEA-DE", ["violent_extremism", *_LIGHT])]},
    "KUL-B": {"EN": [("NA-EN", ALL)], "JA": [("APAC-JA", ALL)], "ENJA": [("NA-EN", ALL), ("APAC-JA", ALL)]},
    "DUB-B": {"EN": [("NA-EN", "general")], "DE": [("EMEA-DE", "general")], "FR": [("EMEA-FR", ALL)],
              "SEV": [("NA-EN", ["child_safety", "violent_extremism", "hate_speech"]),
                      ("EMEA-DE", ["violent_extremism", *_LIGHT])]},
    "SAO-C": {"PT": [("LATAM-PT", ALL)], "ES": [("LATAM-ES", ALL)], "EN": [("NA-EN", ALL)]},
    "AUS-C": {"EN": [("NA-EN", "general")], "ES": [("LATAM-ES", ALL)],
              "SEV": [("NA-EN", ["child_safety", "violent_extremism", "misinformation"])]},
}

# Shift templates of one team only (the site's templates are every team's): KUL-B's
# Japanese team also starts at 20:00 local (21:00 in Tokyo, the evening peak).
TEAM_SHIFTS = [("KUL-B", "JA", "ja_evening", "20:00", 9)]


def team_certification_rows(certified: dict[str, dict[str, list[str]]]) -> list[dict]:
    """One certification row per site x team x queue x market, from the site's
    certifications and ``WORK`` ("general": the site's non-severe queues of that market)."""
    rows = []
    for site, by_market in certified.items():
        for team, grants in WORK.get(site, {}).items():
            for market, queues in grants:
                allowed = by_market.get(market, [])
                if queues == ALL:
                    chosen = allowed
                elif queues == "general":
                    chosen = [q for q in allowed if q not in _SEVERE]
                else:
                    chosen = [q for q in allowed if q in queues]
                rows.extend({"site": site, "queue": q, "market": market, "team": team} for q in chosen)
    return rows
