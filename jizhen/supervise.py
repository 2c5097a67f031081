"""Run a long-lived child (the Streamlit server of `jizhen dashboard`) so that it never outlives us.

- The child runs in its own process group; SIGTERM, SIGINT and SIGHUP sent to us are forwarded to
  the whole group, then we wait; whatever is still running after `grace` seconds is killed.
- On Linux the child also gets PR_SET_PDEATHSIG, so it is stopped even if we are killed with
  SIGKILL (which cannot be forwarded).
- Returns the child's exit code, or 128 + the signal number when we were told to stop.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Sequence

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except Exception:
            pass


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_supervised(cmd: Sequence[str], *, cwd=None, env=None, grace: float = 10.0) -> int:
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, start_new_session=True,
                            preexec_fn=_die_with_parent)
    received: list[tuple[int, float]] = []  # (signal, when)

    def forward(signum, _frame) -> None:
        received.append((signum, time.monotonic()))
        _signal_group(proc.pid, signum)

    previous = {}
    for sig in FORWARDED:
        try:
            previous[sig] = signal.signal(sig, forward)
        except (ValueError, OSError):  # not the main thread: nothing to install
            pass
    rc = None
    try:
        while rc is None:
            try:
                rc = proc.wait(timeout=0.5 if not received else 0.2)
            except subprocess.TimeoutExpired:
                if received and time.monotonic() - received[0][1] > grace:
                    _signal_group(proc.pid, signal.SIGKILL)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:  # we are leaving for another reason (an exception): stop it
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
        _signal_group(proc.pid, signal.SIGTERM)  # grandchildren left in the group
    return 128 + received[0][0] if received else rc
