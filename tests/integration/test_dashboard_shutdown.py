"""`jizhen dashboard` never leaves its Streamlit server behind: SIGTERM (and SIGINT) to the
command stops the server, and so does SIGKILL (the server dies with its parent)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

START_TIMEOUT = 120  # a loaded 2-core machine can take a while to import Streamlit
STOP_TIMEOUT = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped running


def _wait(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _start(tmp_path):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'jizhen.db'}",
               JIZHEN_VAR_DIR=str(tmp_path), JIZHEN_TILES="none")
    jizhen = Path(sys.executable).with_name("jizhen")
    parent = subprocess.Popen([str(jizhen), "dashboard", "--port", str(port), "--host", "127.0.0.1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        child = _wait(lambda: _children(parent.pid), START_TIMEOUT, "the Streamlit child")[0]
        _wait(lambda: _healthy(port), START_TIMEOUT, "the server to answer")
    except BaseException:
        _stop_everything(parent)
        raise
    return parent, child, port


def _stop_everything(parent) -> None:
    for pid in _children(parent.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if parent.poll() is None:
        parent.kill()
    parent.wait(timeout=STOP_TIMEOUT)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_streamlit_child(tmp_path, sig):
    parent, child, port = _start(tmp_path)
    try:
        assert _alive(child)
        parent.send_signal(sig)
        rc = parent.wait(timeout=STOP_TIMEOUT)
        _wait(lambda: not _alive(child), STOP_TIMEOUT, f"child {child} to stop")
        assert rc == 128 + sig
        assert not _healthy(port)
    finally:
        if parent.poll() is None or _alive(child):
            _stop_everything(parent)
            if _alive(child):
                os.kill(child, signal.SIGKILL)


def test_sigkill_of_the_command_still_stops_the_child(tmp_path):
    parent, child, port = _start(tmp_path)
    try:
        parent.kill()
        parent.wait(timeout=STOP_TIMEOUT)
        _wait(lambda: not _alive(child), STOP_TIMEOUT, f"child {child} to stop after its parent was killed")
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)
