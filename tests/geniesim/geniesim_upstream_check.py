"""Run Genie Sim's own task and asset loading code on an export; print the findings as JSON.

Usage: python geniesim_upstream_check.py <genie_sim data_collection dir> <export dir> <work dir>

Runs in its own process (Genie Sim's modules are top-level `client`/`common` packages and its
logger wraps stdout). What it exercises, unchanged, from Genie Sim v3.2.0:
`client.layout.task_generate.TaskGenerator` (task template -> laid-out task instance, reading
object_parameters.json and each Aligned.usd's meshes), `client.agent.omniagent.load_task_solution`
and `DataCollectionAgent.check_task_file` (interaction.json, grasp_pose.pkl), the pick and place
stage classes (interaction elements), `client.planner.common.get_aligned_pose` (where a
placed object ends up) and `common.data_filter.filter_rules.data_filter.DataFilter` (the
task_metric rules, on the laid-out poses with the task done and not done). Third-party modules
those import that are not installed here are replaced by stand-ins, listed in the output; none
of them is on a code path whose result is checked (see STAND_INS).
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
import traceback
import types
from pathlib import Path
from typing import Any

import numpy as np

# Stand-ins for heavy or GPU-era dependencies, used only when the real module is missing:
# numba.njit -> plain Python (same results); grasp_nms -> raises (Genie Sim only calls it for
# more than 60 grasps, which the export never writes); open3d -> the SDF of key objects (built
# but never read by the layout) as zeros, and farthest point sampling in numpy; pinocchio ->
# empty (imported by the gRPC robot client, never called here); sklearn.cluster.KMeans -> a
# few Lloyd iterations (anchor points of the layout mesh, computed but not used by the layout).
STAND_INS = ("numba", "grasp_nms", "open3d", "pinocchio", "colorama", "sklearn")


def _njit(*args: Any, **kwargs: Any) -> Any:
    if args and callable(args[0]):
        return args[0]
    return lambda f: f


def _nms(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("grasp NMS ran: the export wrote more than 60 grasps")


class _Distances:
    def __init__(self, n: int) -> None:
        self.n = n

    def cpu(self) -> _Distances:
        return self

    def numpy(self) -> np.ndarray:
        return np.zeros(self.n, dtype=np.float32)


class _RaycastingScene:
    def add_triangles(self, *args: Any) -> int:
        return 0

    def compute_signed_distance(self, points: np.ndarray) -> _Distances:
        return _Distances(len(points))


class _PointCloud:
    def __init__(self) -> None:
        self.points: np.ndarray = np.zeros((0, 3))

    def farthest_point_down_sample(self, n: int) -> _PointCloud:
        pts = np.asarray(self.points)
        chosen, dist = [0], np.linalg.norm(pts - pts[0], axis=1)
        for _ in range(n - 1):
            chosen.append(int(np.argmax(dist)))
            dist = np.minimum(dist, np.linalg.norm(pts - pts[chosen[-1]], axis=1))
        out = _PointCloud()
        out.points = pts[chosen]
        return out


class _KMeans:
    def __init__(self, n_clusters: int = 8, **kwargs: Any) -> None:
        self.n_clusters = n_clusters
        self.cluster_centers_: np.ndarray = np.zeros((0, 2))

    def fit(self, x: np.ndarray) -> _KMeans:
        centres = x[np.linspace(0, len(x) - 1, self.n_clusters).astype(int)].astype(float)
        for _ in range(10):
            labels = np.argmin(((x[:, None] - centres[None]) ** 2).sum(-1), axis=1)
            for k in range(self.n_clusters):
                if np.any(labels == k):
                    centres[k] = x[labels == k].mean(axis=0)
        self.cluster_centers_ = centres
        return self


def _stand_in(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    if name == "numba":
        module.njit = _njit  # type: ignore[attr-defined]
    elif name == "grasp_nms":
        module.nms_grasp = _nms  # type: ignore[attr-defined]
    elif name == "open3d":
        dtype = types.SimpleNamespace(Float32=None, UInt32=None)
        module.core = types.SimpleNamespace(Tensor=lambda x, dtype=None: x, Dtype=dtype)  # type: ignore[attr-defined]
        module.t = types.SimpleNamespace(  # type: ignore[attr-defined]
            geometry=types.SimpleNamespace(RaycastingScene=_RaycastingScene)
        )
        module.geometry = types.SimpleNamespace(PointCloud=_PointCloud)  # type: ignore[attr-defined]
        module.utility = types.SimpleNamespace(Vector3dVector=np.asarray)  # type: ignore[attr-defined]
    elif name == "sklearn":
        cluster = types.ModuleType("sklearn.cluster")
        cluster.KMeans = _KMeans  # type: ignore[attr-defined]
        module.cluster = cluster  # type: ignore[attr-defined]
        sys.modules["sklearn.cluster"] = cluster
    elif name == "colorama":
        colours = types.SimpleNamespace(__getattr__=lambda _: "")
        module.Fore = module.Style = colours  # type: ignore[attr-defined]
        module.init = lambda *a, **k: None  # type: ignore[attr-defined]
    return module


def install_stand_ins() -> list[str]:
    """Put a stand-in in sys.modules for each missing module of STAND_INS; returns their names."""
    used = []
    for name in STAND_INS:
        if importlib.util.find_spec(name) is None:
            sys.modules[name] = _stand_in(name)
            used.append(name)
    return used


def _pose(position: list[float], quaternion: list[float]) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    w, x, y, z = quaternion
    pose = np.eye(4)
    pose[:3, :3] = Rotation.from_quat([x, y, z, w]).as_matrix()
    pose[:3, 3] = position
    return pose


def check_task(task_file: Path, work: Path) -> dict[str, Any]:
    """Generate a task instance from a task JSON and load it the way the collector does."""
    from client.agent.omniagent import DataCollectionAgent, load_task_solution
    from client.layout.task_generate import TaskGenerator
    from client.planner.action.grasp import PickStage
    from client.planner.action.place import PlaceStage
    from client.planner.common import get_aligned_pose

    random.seed(0)
    np.random.seed(0)
    instance_file = work / f"{task_file.stem}_0.json"
    generator = TaskGenerator(json.loads(task_file.read_text()))
    generated = any(generator.generate(str(instance_file)) for _ in range(5))  # as generate_tasks
    out: dict[str, Any] = {"generated": generated}
    if not generated:
        return out
    instance = json.loads(instance_file.read_text())
    out["objects"] = {o["object_id"]: o["position"] for o in instance["objects"]}
    out["check_task_file"] = bool(DataCollectionAgent.check_task_file(None, str(instance_file)))
    objects = load_task_solution(json.loads(instance_file.read_text()))
    stages = instance["stages"]
    out["actions"] = [stage["action"] for stage in stages]
    pick = PickStage(stages[0], objects)
    out["pick_grasps"] = int(pick.passive_element["grasp_pose"].shape[0])
    by_id = {o["object_id"]: o for o in instance["objects"]}
    start = {oid: _pose(o["position"], o["quaternion"]) for oid, o in by_id.items()}
    end = dict(start)
    target_id = stages[0]["passive"]["object_id"]
    if len(stages) > 1 and stages[1]["action"] == "place":
        place = PlaceStage(stages[1], objects)
        target, goal = objects[place.active_obj_id], objects[place.passive_obj_id]
        for obj in (target, goal):
            obj.obj_pose = start[obj.name]
        target.update_aligned_info(place.active_element[0])
        goal.update_aligned_info(place.passive_element[0])
        placed = get_aligned_pose(target, goal, N=1)[0]
        landing = goal.obj_pose @ np.array([*place.passive_element[0]["xyz"], 1.0])
        bottom = placed @ np.array([*place.active_element[0]["xyz"], 1.0])
        out["place_error_m"] = float(np.linalg.norm(bottom[:3] - landing[:3]))
        out["placed_upright"] = bool(placed[2, 2] > 0.999)
        end[target_id] = placed
    else:
        lifted = start[target_id].copy()
        lifted[2, 3] += stages[0]["extra_params"]["pick_up_distance"]
        end[target_id] = lifted
    out["metric_done"] = _metric_passes(instance, start, end)
    out["metric_not_done"] = _metric_passes(instance, start, start)
    return out


def _metric_passes(
    instance: dict[str, Any], start: dict[str, np.ndarray], end: dict[str, np.ndarray]
) -> bool:
    """Genie Sim's DataFilter on a two-frame state.json (start, end): do the task_metric rules
    that read object poses pass? (Camera view rules need rendered frames: not run.)"""
    from common.data_filter.filter_rules.data_filter import DataFilter

    frames = [
        {"objects": {oid: {"pose": pose.tolist()} for oid, pose in poses.items()}}
        for poses in (start, end)
    ]
    data_filter = DataFilter({})
    data_filter.state = {"frames": frames}
    rules = instance["task_metric"]["filter_rules"]
    posed = [r for r in rules if r["rule_name"] != "is_gripper_in_view"]
    return bool(posed) and all(getattr(data_filter, r["rule_name"])(**r["params"]) for r in posed)


def main(argv: list[str]) -> int:
    """Check every task of an export; print JSON; 0 unless something crashed."""
    source, export, work = (Path(a).resolve() for a in argv)
    stand_ins = install_stand_ins()
    sys.path.insert(0, str(source))
    import os

    os.environ["SIM_ASSETS"] = str(export)
    report: dict[str, Any] = {"stand_ins": stand_ins, "tasks": {}}
    try:
        for task_file in sorted((export / "tasks").glob("*.json")):
            report["tasks"][task_file.name] = check_task(task_file, work)
    except Exception:
        report["error"] = traceback.format_exc()
    stdout = sys.__stdout__ or sys.stdout  # Genie Sim's logger may have wrapped sys.stdout
    stdout.write("\nGENIESIM-CHECK " + json.dumps(report) + "\n")
    return 0 if "error" not in report else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
