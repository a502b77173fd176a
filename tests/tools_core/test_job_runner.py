"""The shared job runner: exit codes, SIGTERM, permanent failures, tracing across steps."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tools.config import JobSettings, load_settings
from tools.errors import InputError
from tools.job_runner import PermanentFailureSeenError, execute_step, exit_code_for
from tools.run_local_pipeline import run_pipeline
from tools.testing import scratch_step
from tools.tracing import configure_tracing, current_traceparent, span

JOB_SCRIPT = textwrap.dedent("""
    import sys, time
    from tools.job_runner import run_job_main
    from tools.testing import scratch_step

    def work(ctx):
        (ctx.scene_dir / "started").write_text("yes")
        mode = sys.argv[1]
        if mode == "sleep":
            time.sleep(60)
        if mode == "crash":
            raise RuntimeError("injected failure")
        if mode == "swallow":  # a C extension swallows what the SIGTERM handler raises
            import os, signal
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            except Exception:
                pass
        return {"ok": True}

    run_job_main(scratch_step("demo", work))
    """)


def _run_job(tmp_path: Path, mode: str, **extra_env: str) -> subprocess.Popen:
    script = tmp_path / "job.py"
    script.write_text(JOB_SCRIPT)
    scene = tmp_path / "scene"
    scene.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SCENE_ID": "scene",
        "SCENE_DIR": str(scene),
        "STRUCTURED_LOGGING": "true",
        **extra_env,
    }
    return subprocess.Popen(
        [sys.executable, str(script), mode],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_success_exit_0_and_completion_marker(tmp_path):
    """A successful job exits 0, writes its completion marker and logs duration_s."""
    proc = _run_job(tmp_path, "ok")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    marker = json.loads((tmp_path / "scene/.markers/demo.complete.json").read_text())
    assert marker["result"] == {"ok": True}
    last = json.loads(out.strip().splitlines()[-1])
    assert last["duration_s"] >= 0 and last["status"] == "ok"


def test_crash_exit_1_with_marker(tmp_path):
    """An injected failure exits 1 and leaves a failure marker with the stack trace."""
    proc = _run_job(tmp_path, "crash")
    proc.communicate(timeout=120)
    assert proc.returncode == 1
    marker = json.loads((tmp_path / "scene/.markers/demo.failed-0.json").read_text())
    assert "injected failure" in marker["stack_trace"]
    assert not (tmp_path / "scene/.markers/demo.complete.json").exists()


def test_sigterm_writes_marker_quickly(tmp_path):
    """SIGTERM during a long step leaves a failure marker and exits within the grace period."""
    proc = _run_job(tmp_path, "sleep")
    started = tmp_path / "scene/started"
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists()
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert time.monotonic() - sent < 5
    assert proc.returncode == 1
    marker = json.loads((tmp_path / "scene/.markers/demo.failed-0.json").read_text())
    assert marker["error_type"] == "JobTerminatedError" and marker["retryable"] is True


def test_a_swallowed_sigterm_still_fails_the_step(tmp_path):
    """A step that goes on after SIGTERM (its exception swallowed) never reports success."""
    proc = _run_job(tmp_path, "swallow")
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert not (tmp_path / "scene/.markers/demo.complete.json").exists()
    marker = json.loads((tmp_path / "scene/.markers/demo.failed-0.json").read_text())
    assert marker["error_type"] == "JobTerminatedError"
    assert "not completed" in marker["error_message"]


def test_permanent_failure_stops_later_attempts(tmp_path, monkeypatch):
    """On Cloud Run, an attempt after a permanent failure stops before doing any work."""
    monkeypatch.setenv("CLOUD_RUN_EXECUTION", "exec-9")
    calls = []

    def bad(ctx):
        calls.append(1)
        raise InputError("regen3d/x", "bad input")

    spec = scratch_step("perm", bad)
    settings = load_settings(JobSettings, {"SCENE_ID": "s", "SCENE_DIR": str(tmp_path)})
    monkeypatch.setenv("CLOUD_RUN_TASK_ATTEMPT", "0")
    with pytest.raises(InputError):
        execute_step(spec, settings)
    monkeypatch.setenv("CLOUD_RUN_TASK_ATTEMPT", "1")
    with pytest.raises(PermanentFailureSeenError) as info:
        execute_step(spec, settings)
    assert calls == [1]
    assert exit_code_for(info.value) == 2


def test_one_trace_across_steps(tmp_path):
    """Every step span of one local run shares the pipeline run's trace id."""
    exporter = InMemorySpanExporter()
    configure_tracing("test", exporter=exporter)
    (tmp_path / "in.txt").write_text("x")
    a = scratch_step("ta", lambda ctx: {}, inputs=("in.txt",))
    b = scratch_step("tb", lambda ctx: {}, depends_on=("ta",))
    run_pipeline(tmp_path, specs={"ta": a, "tb": b}, force=True)
    spans = {s.name: s for s in exporter.get_finished_spans()}
    trace_ids = {spans[n].context.trace_id for n in ("pipeline.run", "step.ta", "step.tb")}
    assert len(trace_ids) == 1


def test_traceparent_round_trip():
    """current_traceparent() yields a W3C header for the active span."""
    configure_tracing("test")
    with span("outer") as outer:
        header = current_traceparent()
    assert header is not None
    assert format(outer.get_span_context().trace_id, "032x") in header


def test_step_on_gcs_stages_inputs_and_uploads_outputs(gcs_emulator, monkeypatch, tmp_path):
    """With BUCKET set, the runner stages inputs from GCS, uploads outputs and the markers."""
    from tools.storage.gcs import GCSStorage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.url)
    bucket = gcs_emulator.create_bucket()
    scene = GCSStorage(bucket, "scenes/s1")
    scene.write_bytes("in/data.txt", b"hello")
    scene.write_bytes("unrelated/big.bin", b"x" * 10)

    def work(ctx):
        staged = sorted(
            p.relative_to(ctx.scene_dir).as_posix() for p in ctx.scene_dir.rglob("*") if p.is_file()
        )
        out = ctx.scene_dir / "out/result.txt"
        out.parent.mkdir(parents=True)
        out.write_text((ctx.scene_dir / "in/data.txt").read_text().upper())
        return {"staged": staged}

    spec = scratch_step("upper", work, inputs=("in/",), outputs=("out/",))
    settings = load_settings(JobSettings, {"SCENE_ID": "s1", "BUCKET": bucket})
    outcome = execute_step(spec, settings)
    assert outcome.result["staged"] == ["in/data.txt"]
    assert scene.read_bytes("out/result.txt") == b"HELLO"
    assert scene.read_json(".markers/upper.complete.json")["status"] == "complete"
    assert execute_step(spec, settings).status == "skipped"


def test_failure_marker_on_gcs(gcs_emulator, monkeypatch):
    """A failing step on GCS writes its failure marker to the bucket and no completion marker."""
    from tools.storage.gcs import GCSStorage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.url)
    bucket = gcs_emulator.create_bucket()

    def bad(ctx):
        raise RuntimeError("disk on fire")

    settings = load_settings(JobSettings, {"SCENE_ID": "s2", "BUCKET": bucket})
    with pytest.raises(RuntimeError):
        execute_step(scratch_step("bad", bad), settings)
    scene = GCSStorage(bucket, "scenes/s2")
    assert scene.list(".markers") == [".markers/bad.failed-0.json"]
    assert "disk on fire" in scene.read_json(".markers/bad.failed-0.json")["error_message"]
