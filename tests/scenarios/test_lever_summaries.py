"""Lever descriptions shown in the Scenarios page's lever picker: whole sentences, no code."""
from __future__ import annotations

import re

from planning.scenarios.lever_base import MAX_SHRINKAGE
from planning.scenarios.levers import LEVER_KINDS


def test_every_summary_is_a_whole_sentence_without_code_names():
    for kind, lever in LEVER_KINDS.items():
        text = lever.summary()
        assert text.endswith("."), f"{kind}: {text!r} is cut"
        assert text.count("(") == text.count(")"), f"{kind}: {text!r} is cut inside brackets"
        assert not re.search(r"\b[A-Z]{2,}_[A-Z_]+\b", text), f"{kind}: a code constant in {text!r}"
        assert "``" not in text and "\n" not in text


def test_summaries_are_not_cut_at_an_abbreviation_or_a_decimal_point():
    assert LEVER_KINDS["sla_change"].summary() == \
        "A new SLA target and/or deadline for one queue (e.g. a legal deadline)."
    assert "+0.05 = five points" in LEVER_KINDS["shrinkage_change"].summary()
    # the cap the training lever names in words is the constant the code applies
    assert f"never above {MAX_SHRINKAGE:.0%} shrinkage" in LEVER_KINDS["training"].summary()
