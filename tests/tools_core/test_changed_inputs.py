"""A changed input is noticed: steps record the files they left, and a file changed outside the
pipeline reruns every step that covers it, while steps rewriting each other's files still skip."""

import json

from tools.run_local_pipeline import run_pipeline
from tools.testing import scratch_step


def _specs(calls: list[str], broken_validation: bool = False):
    def ingest(ctx):  # writes the shared folder (like regen3d writing assets/)
        calls.append("ingest")
        shared = ctx.scene_dir / "shared"
        shared.mkdir(exist_ok=True)
        (shared / "mesh.txt").write_text((ctx.scene_dir / "in.txt").read_text())
        (shared / "manifest.txt").write_text("ingested")

    def ready(ctx):  # rewrites a file of the shared folder in place (like simready)
        calls.append("ready")
        mesh = (ctx.scene_dir / "shared/mesh.txt").read_text()
        (ctx.scene_dir / "shared/manifest.txt").write_text(f"ready {mesh}")
        (ctx.scene_dir / "usd").mkdir(exist_ok=True)
        (ctx.scene_dir / "usd/scene.txt").write_text(f"scene of {mesh}")

    def use(ctx):  # reads what `ready` wrote (like the episodes step)
        calls.append("use")
        (ctx.scene_dir / "out").mkdir(exist_ok=True)
        (ctx.scene_dir / "out/result.txt").write_text((ctx.scene_dir / "usd/scene.txt").read_text())

    def check(ctx):
        if broken_validation:
            raise ValueError("cannot parse usd/scene.txt")
        return {"ok": True, "checks": []}

    steps = [
        scratch_step("ingest", ingest, inputs=("in.txt",), outputs=("shared/",), order=1),
        scratch_step(
            "ready",
            ready,
            depends_on=("ingest",),
            inputs=("shared/",),
            outputs=("shared/", "usd/"),
            validate=check,
            order=2,
        ),
        scratch_step(
            "use", use, depends_on=("ready",), inputs=("usd/",), outputs=("out/",), order=3
        ),
    ]
    return {s.name: s for s in steps}


def _run(scene, calls):
    calls.clear()
    summary = run_pipeline(scene, specs=_specs(calls))
    assert summary["ok"], summary
    return list(calls)


def test_changed_files_rerun_the_steps_that_cover_them(tmp_path):
    scene = tmp_path / "scene"
    scene.mkdir()
    (scene / "in.txt").write_text("cube")
    calls: list[str] = []
    assert _run(scene, calls) == ["ingest", "ready", "use"]
    # `ready` rewrote a file `ingest` wrote: not a change from outside, everything skips.
    assert _run(scene, calls) == []
    (scene / "shared/mesh.txt").unlink()  # a mesh deleted between runs
    assert _run(scene, calls) == ["ingest", "ready", "use"]
    assert (scene / "shared/mesh.txt").read_text() == "cube"
    (scene / "usd/scene.txt").write_text("garbage")  # an output corrupted between runs
    assert _run(scene, calls) == ["ready", "use"]
    assert (scene / "out/result.txt").read_text() == "scene of cube"
    (scene / "shared/extra.txt").write_text("stray")  # a file appeared
    assert _run(scene, calls) == ["ingest", "ready", "use"]
    assert _run(scene, calls) == []
    marker = json.loads((scene / ".markers/ready.complete.json").read_text())
    assert set(marker["files_sha256"]) >= {"shared/mesh.txt", "usd/scene.txt"}


def test_a_validation_that_cannot_run_is_a_failed_report(tmp_path):
    """No traceback out of --validate: the report is written and says what went wrong."""
    scene = tmp_path / "scene"
    scene.mkdir()
    (scene / "in.txt").write_text("cube")
    summary = run_pipeline(scene, specs=_specs([], broken_validation=True), validate=True)
    assert summary["ok"] is False
    report = json.loads((scene / "reports/validation_report.json").read_text())
    (check,) = report["steps"]["ready"]["checks"]
    assert check["ok"] is False and "cannot parse usd/scene.txt" in check["detail"]
