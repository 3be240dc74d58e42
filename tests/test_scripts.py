"""The development scripts' failure messages: a taken port or a failing service is named
together with its log file (plain subprocesses, no CKAN)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parent.parent


def _bash(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f"source {ROOT}/scripts/lib.sh; {script}"],
        env={"CDX_VAR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_taken_port_stops_the_start_naming_the_service_and_the_variable(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = _bash(f"require_free_port solr {port} CDX_SOLR_PORT; echo started", tmp_path)
    assert result.returncode == 1
    assert "started" not in result.stdout
    assert f"solr: port {port} on 127.0.0.1 is already taken" in result.stderr
    assert "CDX_SOLR_PORT=<port>" in result.stderr


def test_a_failing_service_is_reported_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "log" / "redis.log"
    result = _bash(f"echo 'FATAL: cannot bind' > {log}; die redis 'did not start' {log}", tmp_path)
    assert result.returncode == 1
    assert "error: redis: did not start" in result.stderr
    assert str(log) in result.stderr and "FATAL: cannot bind" in result.stderr


def test_a_free_port_passes(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert (
        _bash(f"require_free_port solr {port} CDX_SOLR_PORT && echo ok", tmp_path).stdout.strip()
        == "ok"
    )
