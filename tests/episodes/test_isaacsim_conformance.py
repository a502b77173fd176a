"""The Isaac Sim backend and replicator script call only what Isaac Sim 5.1's own sources offer."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.git_repos import commit_and_tag
from tools.isaacsim_api_check import (
    SNAPSHOT_PATH,
    check_calls,
    generate,
    load_snapshot,
    module_calls,
    wrapper_returns,
)
from tools.isaacsim_api_check.source_tree import module_name, premake_rules

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "episode-generation-job/backends/isaacsim_api.py"
API_MODULE = "episode_generation_job.backends.isaacsim_api"
ISAAC_MODULES = {
    API: API_MODULE,
    ROOT
    / "episode-generation-job/backends/isaacsim_backend.py": (
        "episode_generation_job.backends.isaacsim_backend"
    ),
    ROOT
    / "episode-generation-job/backends/isaacsim_stage.py": (
        "episode_generation_job.backends.isaacsim_stage"
    ),
    ROOT / "replicator-job/isaac_replicator_script.py": "",
}


def _calls(path: Path, module: str):
    return module_calls(
        path.read_text(), module=module, returns=wrapper_returns(API.read_text(), API_MODULE)
    )


def _problems(source: str) -> list[str]:
    calls = module_calls(textwrap.dedent(source), returns={})
    assert calls, "the snippet reaches no Isaac Sim call"
    return check_calls(calls, load_snapshot())


def test_snapshot_is_of_the_pinned_release():
    """The snapshot was generated from the IsaacSim repository at the image's tag."""
    snapshot = load_snapshot()
    assert snapshot["tag"] == "v5.1.0" and len(snapshot["commit"]) == 40
    assert (
        "nvcr.io/nvidia/isaac-sim:5.1.0"
        in (ROOT / "episode-generation-job/Dockerfile.isaacsim").read_text()
    )
    assert "isaacsim.core.simulation_manager" in snapshot["modules"]


@pytest.mark.parametrize("path", sorted(ISAAC_MODULES), ids=lambda p: p.name)
def test_every_isaac_call_exists_in_isaac_sim_5_1(path):
    """Each isaacsim/omni/carb call: module and name exist, arguments and keywords accepted."""
    calls = _calls(path, ISAAC_MODULES[path])
    assert check_calls(calls, load_snapshot()) == []


def test_the_checker_sees_the_backend_calls():
    """The calls that matter are found (the check cannot pass by seeing nothing)."""
    chains = {c.chain for path, module in ISAAC_MODULES.items() for c in _calls(path, module)}
    expected = {
        "isaacsim.SimulationApp",
        "isaacsim.core.experimental.prims.Articulation().set_dof_gains",
        "isaacsim.core.experimental.prims.Articulation().set_dof_position_targets",
        "isaacsim.core.experimental.prims.RigidPrim().set_velocities",
        "isaacsim.core.simulation_manager.SimulationManager.get_num_physics_steps",
        "isaacsim.core.utils.stage.is_stage_loading",
        "omni.timeline.get_timeline_interface().play",
        "omni.physx.get_physx_simulation_interface().get_contact_report",
        "omni.replicator.core.orchestrator.step",
        "omni.usd.get_context().get_stage_loading_status",
    }
    assert expected <= chains
    steps = [c for path, m in ISAAC_MODULES.items() for c in _calls(path, m)
             if c.chain == "omni.replicator.core.orchestrator.step"]  # fmt: skip
    assert steps and all("delta_time" in c.keywords for c in steps)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (  # 6.x only
            """
            from isaacsim.core.simulation_manager import SimulationManager
            SimulationManager.setup_simulation(dt=1 / 600, device="cpu")
            """,
            "has no 'setup_simulation'",
        ),
        (  # 6.x only
            """
            import isaacsim.core.experimental.utils.app as app_utils
            app_utils.update_app(steps=1)
            """,
            "has no 'app'",
        ),
        (  # 6.x only; 5.1 has it in isaacsim.core.utils.stage
            """
            import isaacsim.core.experimental.utils.stage as stage_utils
            stage_utils.is_stage_loading()
            """,
            "has no 'is_stage_loading'",
        ),
        (  # 5.1 declares it without @classmethod: the dt would bind to `cls`
            """
            from isaacsim.core.simulation_manager import SimulationManager
            SimulationManager.set_physics_dt(1 / 600)
            """,
            "not a classmethod",
        ),
        (
            """
            from isaacsim.core.experimental.prims import Articulation
            Articulation("/World/Robot").set_dof_gains(kp=[1.0])
            """,
            "no parameter 'kp'",
        ),
        (
            """
            from isaacsim.core.experimental.materials import RigidBodyMaterial
            RigidBodyMaterial("/m").set_friction_combine_modes(["max"])
            """,
            "has no 'set_friction_combine_modes'",
        ),
        (
            """
            from isaacsim import SimulationApp
            SimulationApp({}).close(fast=True)
            """,
            "no parameter 'fast'",
        ),
        (
            """
            import omni.replicator.core as rep
            rep.orchestrator.step(frames=2)
            """,
            "keyword 'frames' never passed there",
        ),
        (
            """
            import omni.timeline
            timeline = omni.timeline.get_timeline_interface()
            timeline.play_and_wait()
            """,
            "never called so",
        ),
    ],
)
def test_a_wrong_call_fails(source, problem):
    """Renamed, removed, 6.x-only and mis-bound calls are reported with the reason."""
    problems = _problems(source)
    assert any(problem in p for p in problems), problems


def test_module_names_follow_premake_rules():
    """Files map to the module path the extension's premake5.lua links or copies them to."""
    rules = premake_rules(
        '{ "python/impl/*.py", ext.target_dir .. "/isaacsim/core/utils" },\n'
        '{ "python/impl/numpy", ext.target_dir .. "/isaacsim/core/utils/numpy" },\n'
        '{ "docs", ext.target_dir .. "/docs" },'
    )
    base = "source/extensions/isaacsim.core.utils/"
    assert module_name(base + "python/impl/stage.py", rules) == "isaacsim.core.utils.stage"
    assert (
        module_name(base + "python/impl/numpy/maths.py", rules) == "isaacsim.core.utils.numpy.maths"
    )
    assert module_name(base + "python/tests/test_x.py", rules) is None
    assert module_name("source/python_packages/isaacsim/__init__.py") == "isaacsim"
    other = "source/extensions/isaacsim.core.version/isaacsim/core/version/extension.py"
    assert module_name(other) == "isaacsim.core.version.extension"


def test_generator_writes_a_snapshot_from_a_git_tree(tmp_path):
    """The generator reads a tagged tree and records names, signatures, bindings and usages."""
    repo = tmp_path / "IsaacSim"
    ext = repo / "source/extensions/isaacsim.demo"
    (ext / "python/impl").mkdir(parents=True)
    (ext / "premake5.lua").write_text(
        'repo_build.prebuild_link { { "python/impl", ext.target_dir .. "/isaacsim/demo/impl" } }\n'
        'repo_build.prebuild_copy { { "python/*.py", ext.target_dir .. "/isaacsim/demo" } }\n'
    )
    (ext / "python/__init__.py").write_text("from .impl.manager import Manager\n")
    (ext / "python/impl/manager.py").write_text(
        "import omni.timeline\n"
        "class Manager:\n"
        "    @classmethod\n"
        "    def step(cls, dt: float = 0.1, *, render: bool = False): ...\n"
        "    def plain(cls, dt=1.0): ...\n"
        "def go():\n"
        "    omni.timeline.get_timeline_interface().play()\n"
    )
    commit_and_tag(repo, "v9.9.9")
    out = tmp_path / "snapshot.json"
    assert (
        generate.main(["--git-dir", str(repo / ".git"), "--tag", "v9.9.9", "--out", str(out)]) == 0
    )
    snapshot = json.loads(out.read_text())
    assert snapshot["modules"]["isaacsim.demo"]["Manager"] == "c:isaacsim.demo.impl.manager.Manager"
    methods = snapshot["classes"]["isaacsim.demo.impl.manager.Manager"]["methods"]
    assert methods["step"]["kind"] == "classmethod" and methods["plain"]["kind"] == "method"
    assert ["render", "ko", True] in methods["step"]["params"]
    assert "omni.timeline.get_timeline_interface().play" in snapshot["usages"]
    assert SNAPSHOT_PATH.name == "isaacsim-5.1.0.json"
