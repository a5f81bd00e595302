"""Dependencies and deployment settings (issue 17, finding 10).

pip-audit needs the network, so the suite checks offline what it can: every requirement
has an upper bound, the security floors exclude the known CVE ranges, the installed
versions satisfy the ranges (so nothing reinstalls), and the Streamlit config turns off
the file watcher and caps uploads at the max_upload_mb default.  README, "Dependencies":
how to run pip-audit.
"""
from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
# package -> (first fixed version, advisories below it)
SECURITY_FLOORS = {
    "streamlit": ("1.43.2", "CVE-2025-1684 upload type restriction"),
    "tornado": ("6.5", "CVE-2024-52804, CVE-2025-47287"),
}


def requirements(name: str) -> list[Requirement]:
    lines = (ROOT / name).read_text().splitlines()
    return [Requirement(line.split("#")[0].strip()) for line in lines
            if line.split("#")[0].strip() and not line.startswith("-r")]


ALL = [r for name in ("requirements.txt", "requirements-dev.txt") for r in requirements(name)]


@pytest.mark.parametrize("req", ALL, ids=str)
def test_every_requirement_has_an_upper_bound(req):
    assert any(s.operator in ("<", "<=", "~=", "==") for s in req.specifier), f"{req}: add an upper bound"


@pytest.mark.parametrize("package", sorted(SECURITY_FLOORS))
def test_floors_exclude_the_vulnerable_ranges(package):
    fixed, advisory = SECURITY_FLOORS[package]
    req = next(r for r in requirements("requirements.txt") if r.name == package)
    assert not req.specifier.contains(_just_below(fixed)), f"{req} admits {advisory}"
    assert req.specifier.contains(version(package)), f"installed {package} {version(package)} is outside {req}"


def _just_below(fixed: str) -> str:
    release = list(Version(fixed).release)
    release[-1] -= 1
    return ".".join(map(str, release)) + ".99"


@pytest.mark.parametrize("req", requirements("requirements.txt"), ids=str)
def test_installed_versions_satisfy_the_ranges(req):
    assert req.specifier.contains(version(req.name), prereleases=True), f"{req.name} {version(req.name)}"


def test_the_checks_can_fail():
    assert not any(s.operator == "<" for s in Requirement("dask[distributed]>=2024.1").specifier)
    assert Requirement("streamlit>=1.40,<2").specifier.contains(_just_below("1.43.2"))


def test_streamlit_config_for_production():
    from planning.domain import Settings

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server = config["server"]
    assert server["fileWatcherType"] == "none" and server["runOnSave"] is False
    assert server["maxUploadSize"] == Settings().max_upload_mb
    assert server["enableXsrfProtection"] is True and server["enableCORS"] is True
    assert config["client"]["showErrorDetails"] == "none"
