"""Run long-lived children (the Streamlit server and the login gateway of `jizhen dashboard`) so
that they never outlive us.

- Each child runs in its own process group; SIGTERM, SIGINT and SIGHUP sent to us are forwarded
  to every group, then we wait; whatever is still running after `grace` seconds is killed. When
  one child exits, the others are stopped (run_supervised_all).
- On Linux each child also gets PR_SET_PDEATHSIG, so it is stopped even if we are killed with
  SIGKILL (which cannot be forwarded).
- Returns the (first ended) child's exit code, or 128 + the signal number when we were told to stop.
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
    """Run one child until it exits or we are told to stop (see run_supervised_all)."""
    return run_supervised_all([cmd], cwd=cwd, env=env, grace=grace)


def _stop_all(procs: list[subprocess.Popen], grace: float) -> None:
    for proc in procs:
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()


def run_supervised_all(cmds: Sequence[Sequence[str]], *, cwd=None, env=None,
                       grace: float = 10.0) -> int:
    """Run several children together (`jizhen dashboard`: Streamlit and its login gateway): a
    signal to us goes to every child; when one child exits the others are stopped too (the
    gateway alone, or Streamlit alone, is no dashboard). Returns 128 + the signal when we were
    told to stop, else the exit code of the child that ended first."""
    procs: list[subprocess.Popen] = []
    received: list[tuple[int, float]] = []  # (signal, when)

    def forward(signum, _frame) -> None:
        received.append((signum, time.monotonic()))
        for proc in procs:
            _signal_group(proc.pid, signum)

    previous = {}
    for sig in FORWARDED:
        try:
            previous[sig] = signal.signal(sig, forward)
        except (ValueError, OSError):  # not the main thread: nothing to install
            pass
    first_rc = None
    try:
        for cmd in cmds:
            procs.append(subprocess.Popen(list(cmd), cwd=cwd, env=env, start_new_session=True,
                                          preexec_fn=_die_with_parent))
            if received:  # told to stop while starting: start nothing more
                _signal_group(procs[-1].pid, received[0][0])
                break
        while True:
            ended = [p for p in procs if p.poll() is not None]
            if ended and first_rc is None:
                first_rc = ended[0].returncode
            if len(ended) == len(procs):
                break
            if ended and not received:  # one child is gone: stop the others
                received.append((0, time.monotonic()))
                for proc in procs:
                    if proc.poll() is None:
                        _signal_group(proc.pid, signal.SIGTERM)
            if received and time.monotonic() - received[0][1] > grace:
                for proc in procs:
                    if proc.poll() is None:
                        _signal_group(proc.pid, signal.SIGKILL)
            time.sleep(0.1 if received else 0.3)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_all(procs, grace)  # we are leaving for another reason (an exception): stop them
        for proc in procs:
            _signal_group(proc.pid, signal.SIGTERM)  # grandchildren left in the groups
    signalled = [sig for sig, _ in received if sig]
    return 128 + signalled[0] if signalled else (first_rc if first_rc is not None else 0)
