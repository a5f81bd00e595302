"""One exit-code convention for every command (issue 17, finding 10).

0 ok, 1 the inputs have problems, 2 usage (bad option values), 3 a bug, 4 the environment
(disk full, read-only, database unreachable). Each class of problem is provoked per command.
"""
from __future__ import annotations

import errno
from pathlib import Path

import pytest

from planning.cli import main
from planning.commands._common import (EXIT_ENVIRONMENT, EXIT_INTERNAL, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE,
                                       environment_problem)
from tests.inputs.test_loading import write_tiny

ERLANG = ["erlang", "--volume", "100", "--interval-minutes", "30", "--aht", "300", "--within", "20"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("tiny") / "ops")


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    folder = write_tiny(tmp_path_factory.mktemp("broken") / "ops")
    (folder / "queues.csv").write_text("queue,sla_kind\nspam,nonsense\n")
    return folder


def _code(argv) -> int:
    try:
        return main([str(a) for a in argv])
    except SystemExit as exit_:  # argparse usage errors
        return int(exit_.code)


# ---------------------------------------------------------------- missing or invalid inputs: 1
@pytest.mark.parametrize("argv", [
    ["validate", "{inputs}"], ["backtest", "{inputs}", "--quiet"], ["forecast", "{inputs}", "--quiet"],
    ["requirements", "{inputs}", "--out", "{tmp}/r.csv"], ["plan", "{inputs}", "--out", "{tmp}/p.xlsx"],
    ["capacity", "{inputs}", "--json"], ["run", "{inputs}", "--out", "{tmp}/r.xlsx", "--quiet"],
    ["monitor", "{inputs}"],
], ids=lambda a: a[0])
@pytest.mark.parametrize("which", ["missing", "broken"])
def test_missing_or_invalid_inputs_exit_1(argv, which, broken, tmp_path):
    inputs = tmp_path / "nowhere" if which == "missing" else broken
    assert _code([a.format(inputs=inputs, tmp=tmp_path) for a in argv]) == EXIT_PROBLEMS


# ---------------------------------------------------------------- bad option values: 2
@pytest.mark.parametrize("argv", [
    ["plan", "{inputs}", "--weeks", "99", "--out", "{tmp}/p.xlsx"],
    ["plan", "{inputs}", "--time-limit", "0", "--out", "{tmp}/p.xlsx"],
    ["plan", "{inputs}", "--start", "someday", "--out", "{tmp}/p.xlsx"],
    ["plan", "{inputs}", "--out", "{tmp}/p.csv"],
    ["forecast", "{inputs}", "--weeks", "99"],
    ["backtest", "{inputs}", "--weeks", "0"],
    ["requirements", "{inputs}", "--weeks", "99", "--out", "{tmp}/r.csv"],
    ["capacity", "{inputs}", "--months", "99", "--json"],
    ["run", "{inputs}", "--weeks", "99", "--out", "{tmp}/r.xlsx"],
    ["template", "{inputs}/queues.csv"],
    ["sample", "{inputs}/queues.csv"],
    ["plan", "{inputs}", "--no-such-flag", "--out", "{tmp}/p.xlsx"],
    [*ERLANG, "--target", "1.5"], [*ERLANG, "--target", "100"], [*ERLANG, "--target", "1"],
    [*ERLANG, "--agents", "-3"], [*ERLANG, "--agents", "10", "--max-occupancy", "2"],
], ids=lambda a: " ".join(a[:1] + a[-2:]))
def test_bad_option_values_exit_2(argv, tiny, tmp_path):
    assert _code([a.format(inputs=tiny, tmp=tmp_path) for a in argv]) == EXIT_USAGE


def test_erlang_accepts_shares_and_percents():
    assert _code([*ERLANG, "--target", "0.8"]) == EXIT_OK
    assert _code([*ERLANG, "--target", "80"]) == EXIT_OK


# ---------------------------------------------------------------- the environment: 4
def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device", "out.csv")


def test_disk_full_while_writing_is_an_environment_problem(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("planning.export.safe.write_csv", _full_disk)
    assert _code(["requirements", tiny, "--weeks", "1", "--naive", "--out", tmp_path / "r.csv"]) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert "disk is full" in err and "bug" not in err


@pytest.mark.parametrize("command", ["template", "sample"])
def test_read_only_output_is_an_environment_problem(command, tmp_path, monkeypatch, capsys):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "out"))

    monkeypatch.setattr("planning.inputs.write_template", read_only)
    monkeypatch.setattr("planning.sample.write.write_sample", read_only)
    assert _code([command, tmp_path / "out"]) == EXIT_ENVIRONMENT
    assert "read-only" in capsys.readouterr().err


def test_unreachable_database_is_an_environment_problem_not_a_bug(capsys):
    # Port 1 on localhost: nothing listens, the connection is refused at once.
    code = _code(["scenario", "list", "--db", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"])
    err = capsys.readouterr().err
    assert code == EXIT_ENVIRONMENT, err
    assert "environment problem" in err and "database" in err and "This is a bug" not in err


def test_a_real_bug_still_exits_3(tiny, monkeypatch, capsys):
    def bug(*args, **kwargs):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr("planning.inputs.load_operation", bug)
    assert _code(["validate", tiny]) == EXIT_INTERNAL
    assert "bug" in capsys.readouterr().err


def test_environment_problem_classifies():
    from sqlalchemy.exc import OperationalError

    assert "disk is full" in environment_problem(OSError(errno.ENOSPC, "No space"))
    assert "database" in environment_problem(OperationalError("SELECT 1", {}, Exception("refused")))
    assert environment_problem(MemoryError()) == "out of memory"
    assert environment_problem(ValueError("x")) is None and environment_problem(KeyError("k")) is None
