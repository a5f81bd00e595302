"""Load check: N concurrent browser sessions, each re-running a page M times (localhost only).

    python bench/load.py [--sessions 10] [--reruns 5] [--page overview] [--url http://127.0.0.1:PORT]

Starts `streamlit run app.py` on a free localhost port (unless --url points at a running
local server), warms it with one session (loads the sample), then opens N headless
Chromium contexts at once (one browser, Playwright async API). Each session opens the
page (first-load latency) and then re-runs it M times by a real interaction (on the Overview
the "Split by" radio; elsewhere Streamlit's "r" shortcut); a rerun's latency runs from the key press until the script state goes
running -> notRunning. Prints p50/p95/max latency, errors and the server's memory.
Targets (issue 7): p95 <= 5 s under 10 sessions, 0 errors.
Bounded: at most 20 sessions x 20 reruns, each wait 120 s, the whole run --budget s.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server, wait_healthy  # noqa: E402

WAIT_MS = 120_000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children [MB] (Linux /proc)."""
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


class MemoryWatch(threading.Thread):
    def __init__(self, pid: int | None):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self):
        while self.pid and not self.stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.2)


async def wait_idle(page) -> None:
    await page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=WAIT_MS)
    await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=WAIT_MS)


async def trigger_rerun(page, i: int) -> None:
    """A real user rerun: on the Overview flip "Split by" (market <-> queue); elsewhere press "r"."""
    radio = page.locator('[data-testid="stRadio"]').filter(has_text="Split by")
    if await radio.count():
        group = "queue" if i % 2 == 0 else "market"
        await radio.get_by_text(group, exact=True).click()
        # done when the chart re-rendered for the new split
        await page.get_by_text(f"Volume (items/week) by {group}").first.wait_for(timeout=WAIT_MS)
    else:
        await page.locator("h1").first.click()
        await page.keyboard.press("r")


async def session(browser, url: str, reruns: int, first: list, rerun: list, errors: list, n: int) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        started = time.monotonic()
        await page.goto(url, timeout=WAIT_MS)
        await wait_idle(page)
        first.append(time.monotonic() - started)
        for i in range(reruns):
            t0 = time.monotonic()
            await trigger_rerun(page, i)
            await wait_idle(page)
            rerun.append(time.monotonic() - t0)
            if await page.locator('[data-testid="stException"]').count():
                errors.append(f"session {n} rerun {i}: exception box shown")
    except Exception as exc:  # counted and reported, never a traceback
        detail = (str(exc).splitlines() or ["(no message)"])[0][:160]
        errors.append(f"session {n}: {type(exc).__name__}: {detail}")
    finally:
        await context.close()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


async def run(url: str, sessions: int, reruns: int, server_pid: int | None) -> int:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        warm: list = []
        warm_errors: list = []
        t0 = time.monotonic()
        await session(browser, url, 0, warm, [], warm_errors, -1)
        print(f"warm-up (cold load incl. sample): {time.monotonic() - t0:.1f} s; errors {len(warm_errors)}")
        before = rss_mb(server_pid) if server_pid else float("nan")
        watch = MemoryWatch(server_pid)
        watch.start()
        first: list[float] = []
        rerun: list[float] = []
        errors: list[str] = warm_errors
        t0 = time.monotonic()
        await asyncio.gather(*(session(browser, url, reruns, first, rerun, errors, n) for n in range(sessions)))
        wall = time.monotonic() - t0
        watch.stop.set()
        await browser.close()
    after = rss_mb(server_pid) if server_pid else float("nan")
    print(f"sessions {sessions} x reruns {reruns} on {url} in {wall:.1f} s wall")
    print(f"first load  (n={len(first)}): p50 {pct(first, .5):.2f} s  p95 {pct(first, .95):.2f} s  "
          f"max {max(first, default=float('nan')):.2f} s")
    print(f"rerun       (n={len(rerun)}): p50 {pct(rerun, .5):.2f} s  p95 {pct(rerun, .95):.2f} s  "
          f"max {max(rerun, default=float('nan')):.2f} s")
    print(f"errors {len(errors)}" + "".join(f"\n  {e}" for e in errors[:10]))
    print(f"server memory (RSS): before {before:.0f} MB, peak {max(watch.peak, before):.0f} MB, after {after:.0f} MB")
    worst = max(rerun + first, default=float("inf"))
    return 0 if not errors and pct(rerun, .95) <= 5.0 and worst < float("inf") else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--reruns", type=int, default=5)
    ap.add_argument("--page", default="", help="url path of the page (default: the default page)")
    ap.add_argument("--url", default="", help="a running local server, e.g. http://127.0.0.1:8501")
    ap.add_argument("--budget", type=float, default=600.0, help="hard limit for the whole run [s]")
    args = ap.parse_args(argv)
    if not (1 <= args.sessions <= 20 and 1 <= args.reruns <= 20):
        ap.error("sessions and reruns must be between 1 and 20 (this is a bounded local check)")
    proc = None
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"planner-load-{os.getpid()}.log"
    try:
        if args.url:
            if urlparse(args.url).hostname not in LOCAL_HOSTS:
                ap.error("--url must be a localhost address: this check never loads a remote server")
            base, pid = args.url.rstrip("/"), None
        else:
            proc, base = start_server(log)
            print(f"server healthy after {wait_healthy(base, proc, 90, log):.1f} s (log {log})")
            pid = proc.pid
        url = f"{base}/{args.page}" if args.page else base
        return asyncio.run(asyncio.wait_for(run(url, args.sessions, args.reruns, pid), args.budget))
    except (asyncio.TimeoutError, TimeoutError):
        print(f"load check exceeded its {args.budget:.0f} s budget", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"load check could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        if proc is not None:
            stop_server(proc)


if __name__ == "__main__":
    raise SystemExit(main())
