"""Load check: N concurrent sessions, each re-running a page M times (localhost only).

    python bench/load.py [--sessions 10] [--reruns 5] [--page NAME] [--url http://127.0.0.1:PORT]
                         [--cache-dir DIR] [--browser]

Default (websocket mode): each session is a Streamlit protocol client on
ws://127.0.0.1:PORT/_stcore/stream. It sends BackMsg ``rerun_script`` exactly like the
browser does (first run: empty page hash + the URL's page name; later runs: the page hash
the server announced in its ``navigation`` message) and times the run until ForwardMsg
``script_finished``. Reruns are real interactions where the page has one: on the Overview
each rerun flips the "Split by" radio (market <-> queue) by sending its widget state;
elsewhere they are plain reruns. Errors: exception elements, ``st.error`` boxes, script
compile errors, runs that do not finish successfully, lost connections, timeouts.

Phases (a server this script starts on a free localhost port, ``WFM_CACHE_DIR`` = --cache-dir,
default a fresh empty folder so the first phase really is cold):
 1. cold: start the server, time one session's first run of the page (loads the sample and,
    with an empty cache, computes the baseline plan and stores it on disk); stop the server;
 2. warm: start it again, time one session's first run after /_stcore/health answers
    (the plan now comes from disk): "first page interactive after the server is up";
 3. load: N sessions at once, each a first run and then M reruns; p50/p95/max latency,
    errors and the server's peak memory (RSS of the server process tree, sampled every 0.2 s).
With --url (a server already running on localhost) phases 1-2 are replaced by one warm-up
session. --browser drives N headless Chromium contexts instead (Playwright; the browsers'
own rendering on a small machine then dominates the latency).

Targets (issue 7): first page interactive <= 5 s after the server is up with the cached plan;
rerun p95 <= 5 s under 10 sessions; 0 errors. Exit code 0 when all are met, else 1.
Bounded: at most 20 sessions x 20 reruns, each run waits at most 300 s, the whole check --budget s.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server, wait_healthy  # noqa: E402

WAIT_S = 300.0  # one run (the cold one may compute the baseline plan)
WAIT_MS = 120_000  # browser mode
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TARGET_FIRST_S = 5.0
TARGET_P95_S = 5.0
SPLIT_LABEL = "Split by"  # the Overview radio a rerun flips

# --- server memory -------------------------------------------------------------------


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


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


# --- the Streamlit protocol client ---------------------------------------------------


@dataclass
class RunOutcome:
    """What one script run sent back, from the ForwardMsgs between rerun_script and script_finished."""

    finished: bool = False
    status: str = ""  # ScriptFinishedStatus name
    exceptions: list[str] = field(default_factory=list)  # Exception elements (type: message)
    error_boxes: list[str] = field(default_factory=list)  # st.error alerts
    session_errors: list[str] = field(default_factory=list)  # compile errors, page not found
    page_script_hash: str = ""  # from the navigation message
    radios: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # label -> (widget id, options)
    messages: int = 0

    @property
    def errors(self) -> list[str]:
        out = [f"exception {e}" for e in self.exceptions] + [f"error box: {e}" for e in self.error_boxes]
        out += self.session_errors
        if self.finished and self.status != "FINISHED_SUCCESSFULLY":
            out.append(f"script finished with {self.status}")
        return out


def read_forward_msg(outcome: RunOutcome, data: bytes) -> bool:
    """Parse one ForwardMsg into ``outcome``; True when it ends the run (script_finished)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    msg.ParseFromString(data)
    outcome.messages += 1
    kind = msg.WhichOneof("type")
    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
        element = msg.delta.new_element
        which = element.WhichOneof("type")
        if which == "exception":
            outcome.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:200])
        elif which == "alert" and element.alert.format == element.alert.ERROR:
            outcome.error_boxes.append(element.alert.body[:200])
        elif which == "radio":
            outcome.radios[element.radio.label] = (element.radio.id, list(element.radio.options))
    elif kind == "navigation":
        outcome.page_script_hash = msg.navigation.page_script_hash
    elif kind == "page_not_found":
        outcome.session_errors.append(f"page not found: {msg.page_not_found.page_name!r}")
    elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
        exc = msg.session_event.script_compilation_exception
        outcome.session_errors.append(f"compile error {exc.type}: {exc.message}"[:200])
    elif kind == "script_finished":
        outcome.finished = True
        outcome.status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
        # a run cut short by a rerun the server queued is followed by that rerun's messages
        return msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
    return False


def rerun_backmsg(page_script_hash: str, page_name: str, url: str,
                  widgets: dict[str, str] | None = None) -> bytes:
    """A serialized BackMsg rerun_script as the frontend sends it (string widget values, e.g. radios)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = ""
    state.page_script_hash = page_script_hash
    state.page_name = page_name
    state.is_auto_rerun = False
    info = state.context_info
    info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
    info.url, info.is_embedded, info.color_scheme = url, False, "light"
    for widget_id, value in (widgets or {}).items():
        ws = state.widget_states.widgets.add()
        ws.id = widget_id
        ws.string_value = value
    return msg.SerializeToString()


class ProtocolSession:
    """One Streamlit session over the websocket, as a browser tab would hold it."""

    def __init__(self, base_url: str, page: str = ""):
        self.base_url, self.page = base_url.rstrip("/"), page
        self.ws = None
        self.page_script_hash = ""
        self.widgets: dict[str, str] = {}
        self.radios: dict[str, tuple[str, list[str]]] = {}

    async def connect(self) -> None:
        from tornado.websocket import websocket_connect

        ws_url = "ws" + self.base_url[len("http"):] + "/_stcore/stream"
        self.ws = await asyncio.wait_for(
            websocket_connect(ws_url, subprotocols=["streamlit"], max_message_size=512 * 1024 * 1024), 30)

    async def run(self, widgets: dict[str, str] | None = None) -> tuple[float, RunOutcome]:
        """Send one rerun_script and read until script_finished; returns (seconds, outcome)."""
        if widgets:
            self.widgets.update(widgets)
        first = not self.page_script_hash
        data = rerun_backmsg(self.page_script_hash, self.page if first else "",
                             f"{self.base_url}/{self.page}", self.widgets)
        outcome = RunOutcome()
        started = time.monotonic()
        await self.ws.write_message(data, binary=True)
        deadline = started + WAIT_S
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no script_finished within {WAIT_S:.0f} s")
            raw = await asyncio.wait_for(self.ws.read_message(), left)
            if raw is None:
                raise ConnectionError("the server closed the websocket")
            if isinstance(raw, bytes) and read_forward_msg(outcome, raw):
                break
        seconds = time.monotonic() - started
        self.page_script_hash = outcome.page_script_hash or self.page_script_hash
        self.radios.update(outcome.radios)
        return seconds, outcome

    def flip(self, label: str, i: int) -> dict[str, str] | None:
        """The widget state of a real click on radio ``label`` (cycles its options), or None."""
        if label not in self.radios:
            return None
        widget_id, options = self.radios[label]
        return {widget_id: options[(i + 1) % len(options)]} if options else None

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


@dataclass
class Tally:
    first: list[float] = field(default_factory=list)
    rerun: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    interactions: int = 0


async def ws_session(base_url: str, page: str, reruns: int, tally: Tally, n: int) -> None:
    session = ProtocolSession(base_url, page)
    try:
        started = time.monotonic()
        await session.connect()
        _, outcome = await session.run()
        tally.first.append(time.monotonic() - started)
        tally.errors += [f"session {n} first run: {e}" for e in outcome.errors]
        for i in range(reruns):
            change = session.flip(SPLIT_LABEL, i)
            tally.interactions += change is not None
            seconds, outcome = await session.run(change)
            tally.rerun.append(seconds)
            tally.errors += [f"session {n} rerun {i}: {e}" for e in outcome.errors]
    except Exception as exc:  # counted and reported, never a traceback
        detail = (str(exc).splitlines() or ["(no message)"])[0][:160]
        tally.errors.append(f"session {n}: {type(exc).__name__}: {detail}")
    finally:
        session.close()


async def one_first_run(base_url: str, page: str) -> tuple[float, list[str]]:
    tally = Tally()
    await ws_session(base_url, page, 0, tally, -1)
    return (tally.first[0] if tally.first else float("nan")), tally.errors


# --- browser mode (Playwright + Debian's chromium) -----------------------------------


async def wait_idle(page) -> None:
    await page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=WAIT_MS)
    await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=WAIT_MS)


async def has_split_radio(page) -> bool:
    """Whether the page shows the "Split by" radio (its component loads lazily after the run; untimed)."""
    try:
        await page.locator('[data-testid="stRadio"]').filter(has_text=SPLIT_LABEL).first.wait_for(timeout=10_000)
        return True
    except Exception as exc:  # playwright's TimeoutError: not this page
        if os.environ.get("LOAD_DEBUG"):
            print(f"no Split by radio: {type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
        return False


async def trigger_rerun(page, i: int, radio_shown: bool) -> bool:
    """A real user rerun: on the Overview flip "Split by" (market <-> queue); elsewhere press "r"."""
    radio = page.locator('[data-testid="stRadio"]').filter(has_text=SPLIT_LABEL)
    if radio_shown:
        group = "queue" if i % 2 == 0 else "market"
        await radio.get_by_text(group, exact=True).click()
        # done when the chart re-rendered for the new split
        await page.get_by_text(f"Volume (items/week) by {group}").first.wait_for(timeout=WAIT_MS)
        return True
    await page.locator("h1").first.click()
    await page.keyboard.press("r")
    return False


async def browser_session(browser, url: str, reruns: int, tally: Tally, n: int) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        started = time.monotonic()
        await page.goto(url, timeout=WAIT_MS)
        await wait_idle(page)
        tally.first.append(time.monotonic() - started)
        radio_shown = reruns > 0 and await has_split_radio(page)
        for i in range(reruns):
            t0 = time.monotonic()
            clicked = await trigger_rerun(page, i, radio_shown)  # (not `+= await`: reads the count first)
            tally.interactions += clicked
            await wait_idle(page)
            tally.rerun.append(time.monotonic() - t0)
            if await page.locator('[data-testid="stException"]').count():
                tally.errors.append(f"session {n} rerun {i}: exception box shown")
    except Exception as exc:  # counted and reported, never a traceback
        detail = (str(exc).splitlines() or ["(no message)"])[0][:160]
        tally.errors.append(f"session {n}: {type(exc).__name__}: {detail}")
    finally:
        await context.close()


async def browser_load(url: str, sessions: int, reruns: int, pid: int | None, warm_up: bool) -> tuple[Tally, float, float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        if warm_up:
            warm = Tally()
            await browser_session(browser, url, 0, warm, -1)
            print(f"warm-up session (browser): {warm.first[0] if warm.first else float('nan'):.1f} s; "
                  f"errors {len(warm.errors)}")
        tally = Tally()
        wall, peak = await _measured((browser_session(browser, url, reruns, tally, n) for n in range(sessions)), pid)
        await browser.close()
    return tally, wall, peak


async def _measured(sessions, pid: int | None) -> tuple[float, float]:
    """Run the sessions at once: (wall seconds, peak server RSS MB)."""
    watch = MemoryWatch(pid)
    watch.start()
    t0 = time.monotonic()
    await asyncio.gather(*sessions)
    wall = time.monotonic() - t0
    watch.stop.set()
    return wall, watch.peak


async def ws_load(base_url: str, page: str, sessions: int, reruns: int, pid: int | None) -> tuple[Tally, float, float]:
    tally = Tally()
    wall, peak = await _measured((ws_session(base_url, page, reruns, tally, n) for n in range(sessions)), pid)
    return tally, wall, peak


# --- the check -----------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(tally: Tally, wall: float, sessions: int, reruns: int, url: str, mode: str,
           before: float, peak: float, after: float, first_interactive: float | None) -> int:
    print(f"load ({mode}): {sessions} sessions x {reruns} reruns on {url} in {wall:.1f} s wall; "
          f"{tally.interactions} of {len(tally.rerun)} reruns were widget interactions")
    print(f"first load  (n={len(tally.first)}): p50 {pct(tally.first, .5):.2f} s  p95 {pct(tally.first, .95):.2f} s  "
          f"max {max(tally.first, default=float('nan')):.2f} s")
    print(f"rerun       (n={len(tally.rerun)}): p50 {pct(tally.rerun, .5):.2f} s  p95 {pct(tally.rerun, .95):.2f} s  "
          f"max {max(tally.rerun, default=float('nan')):.2f} s")
    print(f"errors {len(tally.errors)}" + "".join(f"\n  {e}" for e in tally.errors[:10]))
    print(f"server memory (RSS): before {before:.0f} MB, peak {max(peak, before):.0f} MB, after {after:.0f} MB")
    p95 = pct(tally.rerun, .95)
    complete = len(tally.rerun) == sessions * reruns
    checks = []
    if first_interactive is not None:
        checks.append((f"first page interactive <= {TARGET_FIRST_S:.0f} s after the server is up (cached plan)",
                       f"{first_interactive:.2f} s", first_interactive <= TARGET_FIRST_S))
    checks.append((f"rerun p95 <= {TARGET_P95_S:.0f} s under {sessions} sessions",
                   f"{p95:.2f} s" + ("" if complete else f" ({len(tally.rerun)} of {sessions * reruns} reruns ran)"),
                   complete and p95 <= TARGET_P95_S))
    checks.append(("0 errors", f"{len(tally.errors)}", not tally.errors))
    for name, value, ok in checks:
        print(f"target {name}: {value} -> {verdict(ok)}")
    return 0 if all(ok for *_, ok in checks) else 1


def started_server(log: Path) -> tuple:
    proc, base = start_server(log)
    healthy = wait_healthy(base, proc, 90, log)
    return proc, base, healthy


async def check(args, cache_dir: Path) -> int:
    page, proc = args.page, None
    log = Path(tempfile.gettempdir()) / f"planner-load-{os.getpid()}.log"
    try:
        first_interactive = None
        if args.url:
            base, pid = args.url.rstrip("/"), None
            seconds, errors = await one_first_run(base, page)
            print(f"warm-up session on the running server: {seconds:.1f} s; errors {len(errors)}"
                  + "".join(f"\n  {e}" for e in errors[:5]))
        else:
            print(f"plan cache (WFM_CACHE_DIR): {cache_dir} "
                  f"({'empty' if not any(cache_dir.glob('baseline-*.pkl')) else 'holds a baseline plan'})")
            proc, base, healthy = started_server(log)
            seconds, errors = await one_first_run(base, page)
            print(f"cold: server healthy after {healthy:.1f} s; first run (loads the sample, computes or reads "
                  f"the plan) {seconds:.1f} s; errors {len(errors)}" + "".join(f"\n  {e}" for e in errors[:5]))
            stop_server(proc)
            proc, base, healthy = started_server(log)
            seconds, errors = await one_first_run(base, page)
            first_interactive = seconds
            print(f"warm: server restarted, healthy after {healthy:.1f} s; first run {seconds:.2f} s after "
                  f"healthy (plan read from disk); errors {len(errors)}" + "".join(f"\n  {e}" for e in errors[:5]))
            pid = proc.pid
            if errors:
                first_interactive = float("inf")
        url = f"{base}/{page}" if page else base
        before = rss_mb(pid) if pid else float("nan")
        if args.browser:
            tally, wall, peak = await browser_load(url, args.sessions, args.reruns, pid, warm_up=False)
        else:
            tally, wall, peak = await ws_load(base, page, args.sessions, args.reruns, pid)
        after = rss_mb(pid) if pid else float("nan")
        if pid is None:
            print("(server memory not measured: --url points at a server this check did not start)")
        return report(tally, wall, args.sessions, args.reruns, url, "browser" if args.browser else "websocket",
                      before, peak, after, first_interactive)
    finally:
        if proc is not None:
            stop_server(proc)
        print(f"server log: {log}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--reruns", type=int, default=5)
    ap.add_argument("--page", default="", help="url path of the page (default: the default page, the Overview)")
    ap.add_argument("--url", default="", help="a running local server, e.g. http://127.0.0.1:8501")
    ap.add_argument("--cache-dir", default="", help="WFM_CACHE_DIR for the started server (default: a fresh "
                    "empty folder, so the cold phase computes the plan; var/cache reuses the app's)")
    ap.add_argument("--browser", action="store_true", help="drive headless Chromium instead of protocol clients")
    ap.add_argument("--budget", type=float, default=900.0, help="hard limit for the whole run [s]")
    args = ap.parse_args(argv)
    if not (1 <= args.sessions <= 20 and 1 <= args.reruns <= 20):
        ap.error("sessions and reruns must be between 1 and 20 (this is a bounded local check)")
    if args.url and urlparse(args.url).hostname not in LOCAL_HOSTS:
        ap.error("--url must be a localhost address: this check never loads a remote server")
    with tempfile.TemporaryDirectory(prefix="planner-load-cache-") as tmp:
        cache_dir = Path(args.cache_dir).resolve() if args.cache_dir else Path(tmp)
        if not args.url:
            os.environ["WFM_CACHE_DIR"] = str(cache_dir)  # inherited by the servers this check starts
        try:
            return asyncio.run(asyncio.wait_for(check(args, cache_dir), args.budget))
        except (asyncio.TimeoutError, TimeoutError):
            print(f"load check exceeded its {args.budget:.0f} s budget", file=sys.stderr)
            return 1
        except RuntimeError as exc:
            print(f"load check could not start: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    raise SystemExit(main())
