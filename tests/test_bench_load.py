"""bench/load.py's Streamlit protocol client: the messages it sends and how it reads the replies.

ForwardMsgs are built by hand with Streamlit's own protobuf classes (what the server sends),
so these tests need no server; the whole check runs against a real one in bench/load.py.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
load = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = load  # dataclasses look their module up while the file runs
_spec.loader.exec_module(load)


def _radio(label: str, widget_id: str, options: list[str]) -> bytes:
    msg = ForwardMsg()
    radio = msg.delta.new_element.radio
    radio.label, radio.id = label, widget_id
    radio.options.extend(options)
    return msg.SerializeToString()


def _exception(kind: str, message: str) -> bytes:
    msg = ForwardMsg()
    msg.delta.new_element.exception.type = kind
    msg.delta.new_element.exception.message = message
    return msg.SerializeToString()


def _alert(body: str, fmt: int) -> bytes:
    msg = ForwardMsg()
    msg.delta.new_element.alert.body = body
    msg.delta.new_element.alert.format = fmt
    return msg.SerializeToString()


def _finished(status: int) -> bytes:
    msg = ForwardMsg()
    msg.script_finished = status
    return msg.SerializeToString()


def _navigation(page_hash: str) -> bytes:
    msg = ForwardMsg()
    msg.navigation.page_script_hash = page_hash
    return msg.SerializeToString()


def test_a_clean_run_ends_at_script_finished_and_remembers_page_and_radios():
    outcome = load.RunOutcome()
    stream = [_navigation("abc123"), _radio("Split by", "$$ID-1-overview_group", ["market", "queue"]),
              _alert("No plan yet", 3)]
    assert [load.read_forward_msg(outcome, m) for m in stream] == [False, False, False]
    assert load.read_forward_msg(outcome, _finished(ForwardMsg.FINISHED_SUCCESSFULLY)) is True
    assert outcome.finished and outcome.status == "FINISHED_SUCCESSFULLY"
    assert outcome.page_script_hash == "abc123"
    assert outcome.radios == {"Split by": ("$$ID-1-overview_group", ["market", "queue"])}
    assert outcome.messages == 4
    assert outcome.errors == []  # an info box is not an error


def test_exceptions_error_boxes_and_bad_endings_are_errors():
    outcome = load.RunOutcome()
    load.read_forward_msg(outcome, _exception("KeyError", "'site'"))
    load.read_forward_msg(outcome, _alert("The monitor could not run", 1))
    load.read_forward_msg(outcome, _alert("check the inputs", 2))  # a warning is not an error
    assert load.read_forward_msg(outcome, _finished(ForwardMsg.FINISHED_WITH_COMPILE_ERROR)) is True
    assert outcome.errors == ["exception KeyError: 'site'", "error box: The monitor could not run",
                              "script finished with FINISHED_WITH_COMPILE_ERROR"]


def test_a_run_cut_short_for_a_rerun_keeps_reading():
    outcome = load.RunOutcome()
    assert load.read_forward_msg(outcome, _finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN)) is False
    assert load.read_forward_msg(outcome, _finished(ForwardMsg.FINISHED_SUCCESSFULLY)) is True
    assert outcome.errors == []


def test_rerun_backmsg_carries_page_and_widget_state_like_the_frontend():
    first = BackMsg()
    first.ParseFromString(load.rerun_backmsg("", "overview", "http://127.0.0.1:1/overview"))
    assert first.WhichOneof("type") == "rerun_script"
    assert (first.rerun_script.page_script_hash, first.rerun_script.page_name) == ("", "overview")
    assert len(first.rerun_script.widget_states.widgets) == 0
    later = BackMsg()
    later.ParseFromString(load.rerun_backmsg("abc123", "", "http://127.0.0.1:1/", {"$$ID-1-g": "queue"}))
    state = later.rerun_script
    assert (state.page_script_hash, state.page_name) == ("abc123", "")
    assert [(w.id, w.WhichOneof("value"), w.string_value) for w in state.widget_states.widgets] == [
        ("$$ID-1-g", "string_value", "queue")]
    assert state.context_info.timezone == "UTC"


def test_flip_cycles_the_radio_and_percentiles_are_nearest_rank():
    session = load.ProtocolSession("http://127.0.0.1:1")
    assert session.flip("Split by", 0) is None  # no such radio seen yet: a plain rerun
    session.radios["Split by"] = ("id", ["market", "queue"])
    assert [session.flip("Split by", i) for i in range(3)] == [{"id": "queue"}, {"id": "market"}, {"id": "queue"}]
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert load.pct(values, 0.5) == 11.0  # index round(0.5 * 19) = 10 (banker's rounding of 9.5)
    assert load.pct(values, 0.95) == 19.0  # index round(18.05) = 18
    assert load.pct([], 0.5) != load.pct([], 0.5)  # NaN
