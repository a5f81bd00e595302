"""Regenerate the README screenshots (docs/screenshots/*.png) from the running app.

Usage: .venv/bin/python scripts/screenshots.py   (needs Debian's chromium; localhost only)
Starts `streamlit run app.py` on a free port, opens the Overview and the Plan page in
headless Chromium and saves full-page screenshots.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.conftest import CHROMIUM_ARGS, start_server, stop_server, wait_for_app  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PAGES = {"overview": "", "plan": "plan"}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    proc, base = start_server(Path("/tmp/screenshots-server.log"))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            for name, path in PAGES.items():
                page.goto(f"{base}/{path}", timeout=900_000)
                wait_for_app(page, timeout_ms=900_000)
                page.wait_for_timeout(1500)
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
                print("wrote", OUT / f"{name}.png")
            browser.close()
    finally:
        stop_server(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
