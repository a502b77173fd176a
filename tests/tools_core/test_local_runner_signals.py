"""The local runner under SIGTERM / Ctrl-C and with STRUCTURED_LOGGING, as a user runs it."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

CHILD = """
import sys, time
from pathlib import Path
import tools.run_local_pipeline as runner
from tools.testing import scratch_step

def slow(ctx):
    (Path(sys.argv[1]) / "started").write_text("1")
    time.sleep(float(sys.argv[2]))

runner.registered_steps = lambda: {"slow": scratch_step("slow", slow, outputs=("out/",))}
sys.exit(runner.main(["--scene-dir", sys.argv[1]]))
"""


def _start(scene, seconds: float, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(scene), str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"STRUCTURED_LOGGING": "false"} | env,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_fails_the_running_step_with_a_marker(tmp_path, signum):
    scene = tmp_path / "scene"
    scene.mkdir()
    proc = _start(scene, 120)
    deadline = time.monotonic() + 60
    while not (scene / "started").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sent = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 10
    assert proc.returncode == 1, err
    assert f"received signal {signal.Signals(signum).name}" in err
    assert "Traceback" not in err
    (marker,) = (scene / ".markers").glob("slow.failed-*.json")
    record = json.loads(marker.read_text())
    assert record["error_type"] == "JobTerminatedError" and record["retryable"] is True


def test_structured_logging_makes_json_lines_and_keeps_stdout_for_the_summary(tmp_path):
    scene = tmp_path / "scene"
    scene.mkdir()
    proc = _start(scene, 0, STRUCTURED_LOGGING="true")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert json.loads(out)["ok"] is True
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any("step slow completed" in r["message"] for r in records)
    assert all(r["severity"] and r["logging.googleapis.com/labels"]["job"] for r in records)
