"""`jizhen dashboard` never leaves its children behind (the Streamlit server on a loopback port
and the login gateway on the public one): SIGTERM (and SIGINT) to the command stops both, so does
SIGKILL (they die with their parent), and when one child dies the other is stopped too."""
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


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _start(tmp_path):
    """The command, its two children {"streamlit": pid, "gateway": pid}, public and internal ports."""
    port, internal = _free_port(), _free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'jizhen.db'}",
               JIZHEN_VAR_DIR=str(tmp_path), JIZHEN_TILES="none")
    jizhen = Path(sys.executable).with_name("jizhen")
    parent = subprocess.Popen([str(jizhen), "dashboard", "--port", str(port), "--host", "127.0.0.1",
                               "--internal-port", str(internal)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        pids = _wait(lambda: len(_children(parent.pid)) == 2 and _children(parent.pid),
                     START_TIMEOUT, "the two children")
        children = {("gateway" if "jizhen.gateway" in _cmdline(pid) else "streamlit"): pid
                    for pid in pids}
        assert set(children) == {"gateway", "streamlit"}, [_cmdline(p) for p in pids]
        assert "streamlit" in _cmdline(children["streamlit"])
        _wait(lambda: _healthy(port), START_TIMEOUT, "the gateway to answer")
        _wait(lambda: _healthy(internal), START_TIMEOUT, "Streamlit to answer")
    except BaseException:
        _stop_everything(parent)
        raise
    return parent, children, port, internal


def _stop_everything(parent) -> None:
    for pid in _children(parent.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if parent.poll() is None:
        parent.kill()
    parent.wait(timeout=STOP_TIMEOUT)


def _cleanup(parent, children: dict) -> None:
    if parent.poll() is None:
        _stop_everything(parent)
    for pid in children.values():
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_both_children(tmp_path, sig):
    parent, children, port, internal = _start(tmp_path)
    try:
        assert all(_alive(pid) for pid in children.values())
        parent.send_signal(sig)
        rc = parent.wait(timeout=STOP_TIMEOUT)
        for name, pid in children.items():
            _wait(lambda pid=pid: not _alive(pid), STOP_TIMEOUT, f"the {name} ({pid}) to stop")
        assert rc == 128 + sig
        assert not _healthy(port) and not _healthy(internal)
    finally:
        _cleanup(parent, children)


def test_sigkill_of_the_command_still_stops_both_children(tmp_path):
    parent, children, port, internal = _start(tmp_path)
    try:
        parent.kill()
        parent.wait(timeout=STOP_TIMEOUT)
        for name, pid in children.items():
            _wait(lambda pid=pid: not _alive(pid), STOP_TIMEOUT,
                  f"the {name} ({pid}) to stop after its parent was killed")
    finally:
        _cleanup(parent, children)


def test_when_the_gateway_dies_streamlit_is_stopped_too(tmp_path):
    """No Streamlit left without its door (or reachable on its own) after the gateway crashed."""
    parent, children, port, internal = _start(tmp_path)
    try:
        os.kill(children["gateway"], signal.SIGKILL)
        parent.wait(timeout=STOP_TIMEOUT)
        _wait(lambda: not _alive(children["streamlit"]), STOP_TIMEOUT, "Streamlit to stop")
        assert parent.returncode != 0
        assert not _healthy(internal)
    finally:
        _cleanup(parent, children)
