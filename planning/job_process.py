"""Process lifetime for the job runner (``planning.jobs``): children started from one
long-lived launcher thread with ``PR_SET_PDEATHSIG`` (they die with the server), a watchdog
that kills a job's whole process group when the job is gone or nobody polls it, and the
sweep of folders whose owner died.  Standard library only, so a solver child can use it too.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path



FOLDER_PREFIX = "plan-solve-"
IDLE_SECONDS = float(os.environ.get("WFM_JOB_IDLE_SECONDS", "120"))
"""A job not polled for this long stops itself [s] (the Shift plan page polls every second)."""
_HEARTBEAT = "polled"  # the parent touches DIR/polled; the watchdog reads its mtime
_ABANDONED = "abandoned"  # written by the watchdog when it stops an unpolled job
_WATCH_SECONDS = 0.25  # the watchdog's polling period [s]
_FOLDER_ENV = "WFM_JOB_FOLDER"  # set in the child (inherited by its children): whose leftovers they are
_LEGACY_AGE_SECONDS = 6 * 3600  # folders from before owner files: removed when this old [s]

# One thread that lives as long as the process forks every child (see the module docstring).
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planning-jobs-launcher")


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (another user's process counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _kill_leftover_group(folder: Path) -> None:
    """Kill what is left of a dead owner's job: the members of the job's process group that
    carry this folder in their environment (so a reused pid is never hit)."""
    try:
        pgid = int((folder / "job").read_text())
    except (OSError, ValueError):
        return
    mark = f"{_FOLDER_ENV}={folder}".encode()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            if mark in (entry / "environ").read_bytes().split(b"\0"):
                _kill_group(pgid)
                return
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours


def sweep_stale_folders(root: Path | None = None) -> int:
    """Remove job folders whose owning process is gone (a server killed with SIGKILL, and its
    watchdog with it, cannot remove its own; each holds a pickle of the whole operation).
    Folders without an owner file (written before owners were recorded) are removed once
    they are ``_LEGACY_AGE_SECONDS`` old.  Returns how many were removed."""
    removed = 0
    for folder in Path(root or tempfile.gettempdir()).glob(FOLDER_PREFIX + "*"):
        try:
            if not folder.is_dir() or folder.stat().st_uid != os.geteuid():
                continue
            owner_file = folder / "owner"
            if owner_file.exists():
                stale = not alive(int(owner_file.read_text().split()[0]))
            else:  # still being created, or from an older version
                stale = time.time() - folder.stat().st_mtime > _LEGACY_AGE_SECONDS
        except (OSError, ValueError, IndexError):
            continue  # vanished meanwhile, or not ours to judge
        if stale:
            _kill_leftover_group(folder)
            shutil.rmtree(folder, ignore_errors=True)
            removed += not folder.exists()
    return removed


def _libc_prctl(option: int, value: int) -> None:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(option, value)


def _child_setup(parent: int) -> None:  # runs in the child between fork and exec (Linux)
    try:
        _libc_prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        return  # no prctl (not glibc): the watchdog's owner check still ends the job
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _launch(argv: list[str], **kwargs) -> subprocess.Popen:
    parent = os.getpid()
    if sys.platform.startswith("linux"):
        kwargs["preexec_fn"] = lambda: _child_setup(parent)
    return _LAUNCHER.submit(subprocess.Popen, argv, start_new_session=True, **kwargs).result()


def _kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the group is empty already


def _watch(folder: Path, job: int, owner: int, idle: float) -> None:
    """The watchdog's loop (a forked copy of the child, before anything heavy is loaded)."""
    group_killed = False
    while True:
        time.sleep(_WATCH_SECONDS)
        if not folder.exists():  # the parent collected the result (or cancelled) and cleaned up
            return
        owner_gone = not alive(owner)
        try:
            idle_for = time.time() - (folder / _HEARTBEAT).stat().st_mtime
        except OSError:
            idle_for = 0.0
        if os.getppid() != job:  # the job is gone (done, crashed or killed): no grandchild may stay
            if not group_killed:
                _kill_group(job)
                group_killed = True
            if owner_gone or idle_for > idle:
                shutil.rmtree(folder, ignore_errors=True)  # nobody will collect it
                return
        elif owner_gone or idle_for > idle:
            if not owner_gone:
                (folder / _ABANDONED).write_text(f"not polled for {idle_for:.0f} s")
            _kill_group(job)


def _start_watchdog(folder: Path) -> None:
    """Fork the watchdog.  Only a group leader's group is ever killed, so a child started
    any other way (by hand) goes without one."""
    job = os.getpid()
    if os.getpgid(0) != job:
        return
    try:
        owner = int((folder / "owner").read_text().split()[0])
        idle = float((folder / "idle").read_text())
    except (OSError, ValueError, IndexError):
        return
    if os.fork():
        return
    try:
        os.setpgid(0, 0)  # out of the job's group, so killing that group spares the watchdog
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 1)  # the parent reads the child's stdout until EOF: do not hold it open
        _watch(folder, job, owner, idle)
    finally:
        os._exit(0)
