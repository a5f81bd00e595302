"""Issue 17, finding 5: settings that reach infrastructure come from the server only.

An uploaded settings table that names a Dask scheduler (or a backend, a database, a
dataset path) loads with a warning saying it is ignored and where to set it; forecasting
then never opens a connection to that scheduler.
"""
from __future__ import annotations

import pytest

from planning.domain import SERVER_SETTINGS, Settings
from planning.forecasting import _backend, run_forecast, server_setting
from planning.inputs import load_operation
from tests.inputs.test_loading import write_tiny

SCHEDULER = "tcp://127.0.0.1:8786"


@pytest.fixture()
def clean_server(monkeypatch, tmp_path):
    """No server configuration: no WFM_/PLANNER_ variables, no secrets file in the cwd."""
    for name in ("WFM_FORECAST_BACKEND", "PLANNER_FORECAST_BACKEND", "WFM_DASK_SCHEDULER",
                 "PLANNER_DASK_SCHEDULER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("planning.forecasting.SECRETS_FILES", (tmp_path / "no-secrets.toml",))
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))


def _hostile_upload(tmp_path):
    folder = write_tiny(tmp_path / "ops")
    with open(folder / "settings.csv", "a", encoding="utf-8") as handle:
        handle.write(f"forecast_backend,dask\ndask_scheduler,{SCHEDULER}\ndatabase_url,postgresql://x@evil/db\n")
    return folder


def test_uploaded_infrastructure_settings_are_ignored_with_a_warning(tmp_path, clean_server):
    op, report = load_operation(_hostile_upload(tmp_path))
    assert op is not None and report.valid, report.lines()
    warned = {p.message.split()[1]: p.message for p in report.warnings if "is ignored" in p.message}
    assert set(warned) == {"forecast_backend", "dask_scheduler", "database_url"}
    assert "WFM_DASK_SCHEDULER" in warned["dask_scheduler"] and "secrets.toml" in warned["dask_scheduler"]
    assert not hasattr(op.settings, "dask_scheduler") and not hasattr(op.settings, "forecast_backend")
    assert _backend(op, None) == ("process", None)


def test_forecasting_never_contacts_an_uploaded_scheduler(tmp_path, clean_server, monkeypatch):
    import distributed
    import dask.distributed

    def no_connection(*args, **kwargs):
        pytest.fail(f"a Dask client was created for {args or kwargs}")

    for module in (distributed, dask.distributed):
        monkeypatch.setattr(module, "Client", no_connection)
        monkeypatch.setattr(module, "LocalCluster", no_connection)
    chosen = []
    import forecasts.api

    real = forecasts.api.fan_out

    def spy(fn, items, backend="process", workers=None, progress=None, dask_address=None):
        chosen.append((backend, dask_address))
        return real(fn, items, backend="serial", progress=progress)  # serial: fast, same answer

    monkeypatch.setattr(forecasts.api, "fan_out", spy)
    op, _ = load_operation(_hostile_upload(tmp_path))
    run = run_forecast(op, 1, use_cache=False)
    assert len(run.forecast) and chosen == [("process", None)]


def test_settings_model_refuses_the_infrastructure_keys():
    for key in ("forecast_backend", "dask_scheduler"):
        with pytest.raises(ValueError):
            Settings(**{key: "x"})
    assert not set(SERVER_SETTINGS) & set(Settings.model_fields)


def test_server_setting_reads_environment_then_secrets(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[server]\nforecast_backend = "dask"\ndask_scheduler = "tcp://cluster:8786"\n')
    assert server_setting("dask_scheduler", environ={}, secrets_files=(secrets,)) == "tcp://cluster:8786"
    assert server_setting("dask_scheduler", environ={"WFM_DASK_SCHEDULER": "tcp://env:1"},
                          secrets_files=(secrets,)) == "tcp://env:1"
    assert server_setting("dask_scheduler", environ={"PLANNER_DASK_SCHEDULER": "tcp://old:1"},
                          secrets_files=()) == "tcp://old:1"
    assert server_setting("dask_scheduler", environ={}, secrets_files=(tmp_path / "none.toml",)) is None
    secrets.write_text("[server\n")
    with pytest.raises(ValueError, match="server configuration"):
        server_setting("forecast_backend", environ={}, secrets_files=(secrets,))
