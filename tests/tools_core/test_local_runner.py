"""The local runner: dependency graph, skipping, --force, failure handling and validation."""

import dataclasses
import json
from pathlib import Path

import pytest

from tools.errors import ConfigError, InputError
from tools.pipeline_graph import dependants, resolve_steps
from tools.run_local_pipeline import main, run_pipeline
from tools.steps import registered_steps
from tools.testing import scratch_step


def _writer(name: str, calls: list[str], source: str = "in.txt"):
    def run(ctx):
        calls.append(name)
        src = ctx.scene_dir / source
        text = src.read_text() if src.exists() else ""
        out = ctx.scene_dir / name / "out.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + name)
        return {"wrote": str(out.relative_to(ctx.scene_dir))}

    return run


def _chain(calls: list[str], fail: str | None = None):
    sources = {"a": "in.txt", "b": "a/out.txt", "c": "b/out.txt", "d": "in.txt"}

    def maybe_fail(name):
        inner = _writer(name, calls, sources[name])

        def run(ctx):
            if name == fail:
                calls.append(name)
                raise InputError(f"{name}/in", "broken on purpose")
            return inner(ctx)

        return run

    a = scratch_step("a", maybe_fail("a"), inputs=("in.txt",), outputs=("a/",), order=1)
    b = scratch_step(
        "b", maybe_fail("b"), depends_on=("a",), inputs=("a/",), outputs=("b/",), order=2
    )
    c = scratch_step(
        "c", maybe_fail("c"), depends_on=("b",), inputs=("b/",), outputs=("c/",), order=3
    )
    d = scratch_step("d", maybe_fail("d"), inputs=("in.txt",), outputs=("d/",), order=4)
    return {s.name: s for s in (a, b, c, d)}


def test_resolve_pulls_dependencies_first():
    """Asking for `c` runs a, b, c in dependency order."""
    specs = _chain([])
    assert resolve_steps(["c"], specs) == ["a", "b", "c"]
    assert resolve_steps(None, specs) == ["a", "b", "c", "d"]
    assert dependants("a", ["a", "b", "c", "d"], specs) == {"b", "c"}


def test_unknown_step_lists_valid_ones():
    """An unknown step is refused with the list of valid steps."""
    with pytest.raises(ConfigError) as info:
        resolve_steps(["a", "bogus"], _chain([]))
    assert "bogus" in str(info.value) and "valid steps: a, b, c, d" in str(info.value)


def test_cycle_is_refused():
    """A dependency cycle is a configuration error."""
    x = scratch_step("x", lambda ctx: {}, depends_on=("y",))
    y = scratch_step("y", lambda ctx: {}, depends_on=("x",))
    with pytest.raises(ConfigError, match="cycle"):
        resolve_steps(["x"], {"x": x, "y": y})


def test_unchanged_inputs_are_skipped_and_force_reruns(tmp_path: Path):
    """A completed step with unchanged inputs is skipped; --force or a changed input reruns it."""
    (tmp_path / "in.txt").write_text("v1:")
    calls: list[str] = []
    specs = _chain(calls)
    assert run_pipeline(tmp_path, specs=specs)["ok"]
    assert calls == ["a", "b", "c", "d"]
    calls.clear()
    summary = run_pipeline(tmp_path, specs=specs)
    assert calls == [] and {s["status"] for s in summary["steps"].values()} == {"skipped"}
    run_pipeline(tmp_path, steps=["b"], force=True, specs=specs)
    assert calls == ["a", "b"]
    calls.clear()
    (tmp_path / "in.txt").write_text("v2:")
    run_pipeline(tmp_path, specs=specs)
    assert calls == ["a", "b", "c", "d"]
    assert (tmp_path / "c/out.txt").read_text() == "v2:abc"


def test_deleted_output_reruns_step(tmp_path: Path):
    """A step whose outputs were deleted is not skipped."""
    (tmp_path / "in.txt").write_text("x")
    calls: list[str] = []
    specs = _chain(calls)
    run_pipeline(tmp_path, steps=["a"], specs=specs)
    (tmp_path / "a/out.txt").unlink()
    (tmp_path / "a").rmdir()
    calls.clear()
    run_pipeline(tmp_path, steps=["a"], specs=specs)
    assert calls == ["a"]


def test_failing_step_blocks_dependants_only(tmp_path: Path):
    """A failing step leaves a failure marker, no completion marker; dependants do not run."""
    (tmp_path / "in.txt").write_text("x")
    calls: list[str] = []
    summary = run_pipeline(tmp_path, specs=_chain(calls, fail="b"))
    assert not summary["ok"]
    assert calls == ["a", "b", "d"]
    assert summary["steps"]["b"]["status"] == "failed"
    assert summary["steps"]["b"]["exit_code"] == 2
    assert summary["steps"]["c"]["status"] == "blocked"
    markers = tmp_path / ".markers"
    assert (markers / "b.failed-0.json").exists()
    assert not (markers / "b.complete.json").exists()
    assert not (markers / "c.complete.json").exists()
    assert (markers / "d.complete.json").exists()
    marker = json.loads((markers / "b.failed-0.json").read_text())
    assert "broken on purpose" in marker["error_message"]


def test_rerun_after_failure_removes_stale_completion(tmp_path: Path):
    """A step that completed once and then fails no longer has a completion marker."""
    (tmp_path / "in.txt").write_text("x")
    run_pipeline(tmp_path, specs=_chain([]))
    assert (tmp_path / ".markers/b.complete.json").exists()
    run_pipeline(tmp_path, force=True, specs=_chain([], fail="b"))
    assert not (tmp_path / ".markers/b.complete.json").exists()


def test_validate_writes_report(tmp_path: Path):
    """--validate runs each step's validation and writes reports/validation_report.json."""
    (tmp_path / "in.txt").write_text("x")

    def check(ctx):
        return {"ok": (ctx.scene_dir / "v/out.txt").exists(), "checks": []}

    v = scratch_step("v", _writer("v", []), inputs=("in.txt",), outputs=("v/",), validate=check)
    summary = run_pipeline(tmp_path, validate=True, specs={"v": v})
    report = json.loads((tmp_path / "reports/validation_report.json").read_text())
    assert summary["ok"] and report["ok"] and report["steps"]["v"]["ok"]


def test_failed_validation_names_its_checks(tmp_path: Path, capsys):
    """A failed validation's progress line names each failed check and its detail."""
    (tmp_path / "in.txt").write_text("x")

    def check(ctx):
        checks = [
            {"name": "tasks", "ok": False, "detail": "no task derived"},
            {"name": "regions", "ok": True, "detail": "3 regions"},
        ]
        return {"ok": False, "checks": checks}

    v = scratch_step("v", _writer("v", []), inputs=("in.txt",), outputs=("v/",), validate=check)
    assert not run_pipeline(tmp_path, validate=True, specs={"v": v})["ok"]
    err = capsys.readouterr().err
    assert "validation FAILED: tasks: no task derived" in err and "regions" not in err


def test_cli_unknown_step_exit_code(tmp_path: Path, capsys):
    """The CLI refuses an unknown step with exit code 2 and lists the valid steps."""
    code = main(["--scene-dir", str(tmp_path), "--steps", "nope"])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown step(s) nope" in err and "regen3d" in err


def test_cli_missing_scene_dir(tmp_path: Path, capsys):
    """A scene folder that does not exist is a configuration error."""
    assert main(["--scene-dir", str(tmp_path / "missing")]) == 2


def test_real_steps_are_registered():
    """Installed job packages register their steps through entry points."""
    assert "regen3d" in registered_steps()


def test_steps_sharing_a_file_settle_into_skipping(tmp_path: Path):
    """Steps writing into a shared folder (like assets/) are all skipped on the next run."""
    (tmp_path / "in.txt").write_text("x")

    def append(tag: str):
        def run(ctx):
            shared = ctx.scene_dir / "shared/manifest.txt"
            shared.parent.mkdir(exist_ok=True)
            old = shared.read_text() if shared.exists() and tag != "first" else ""
            shared.write_text(old + tag)
            return {}

        return run

    first = scratch_step("first", append("first"), inputs=("in.txt",), outputs=("shared/",))
    second = scratch_step(
        "second",
        append("+second"),
        depends_on=("first",),
        inputs=("shared/",),
        outputs=("shared/",),
    )
    specs = {"first": first, "second": second}
    run_pipeline(tmp_path, specs=specs)
    summary = run_pipeline(tmp_path, specs=specs)
    assert {s["status"] for s in summary["steps"].values()} == {"skipped"}
    assert (tmp_path / "shared/manifest.txt").read_text() == "first+second"


def test_a_step_awaiting_a_delivered_input_waits_in_a_full_run(tmp_path: Path):
    """Running every step, a step whose delivered input (Genie Sim's results) is missing is
    reported as waiting with the path, not failed, and the run exits 0; named with --steps it
    runs and fails as usual; once the file is there it runs."""
    (tmp_path / "in.txt").write_text("v1:")
    calls: list[str] = []
    specs = _chain(calls)
    specs["d"] = dataclasses.replace(specs["d"], awaits=lambda settings: "delivered/results.tar")
    summary = run_pipeline(tmp_path, specs=specs)
    assert summary["ok"] and calls == ["a", "b", "c"]
    waiting = summary["steps"]["d"]
    assert waiting["status"] == "waiting"
    assert "delivered/results.tar" in waiting["detail"] and "--steps d" in waiting["detail"]
    (tmp_path / "delivered").mkdir()
    (tmp_path / "delivered" / "results.tar").write_bytes(b"x")
    assert run_pipeline(tmp_path, specs=specs)["steps"]["d"]["status"] == "completed"
    assert calls[-1] == "d"


def test_the_import_step_waits_for_genie_sim_results_in_a_full_local_run(tmp_path: Path):
    """The registered Genie Sim import step names its results archive as delivered input."""
    from tools.config import load_settings

    spec = registered_steps()["geniesim-import"]
    assert spec.awaits is not None
    settings = load_settings(spec.settings_cls, {"SCENE_ID": "s", "SCENE_DIR": str(tmp_path)})
    assert spec.awaits(settings) == "geniesim/results.tar.gz"
