"""The joints check of the usd step: left alone, every door and drawer stays where it is."""

from __future__ import annotations

import mujoco
import numpy as np

from tools.sim import LoadedScene, captured_warnings
from tools.steps import Check

MAX_HINGE_DRIFT_DEG = 1.0
MAX_SLIDE_DRIFT_M = 0.002


def check_joints_hold(
    scene: LoadedScene, duration_s: float = 1.0, open_share: float = 0.0
) -> Check:
    """Simulate the scene untouched: every door and drawer must stay where it was left.

    Args:
        scene: the loaded scene model.
        duration_s: simulated time.
        open_share: where each part is left, as a share of its range (0: closed).

    Returns:
        ok when no hinge turned more than 1 degree and no slide moved more than 2 mm.
    """
    model, data = scene.model, scene.make_data()
    start = {}
    for key, joint in scene.joints.items():
        lo, hi = joint.limits
        start[key] = lo + open_share * (hi - lo)
        data.qpos[joint.qpos_adr] = start[key]
    mujoco.mj_forward(model, data)
    steps = max(1, round(duration_s / model.opt.timestep))
    with captured_warnings() as warnings:
        for _ in range(steps):
            mujoco.mj_step(model, data)
    problems = [f"simulation unstable: {w}" for w in warnings]
    worst_deg = worst_m = 0.0
    for key, joint in sorted(scene.joints.items()):
        drift = abs(float(data.qpos[joint.qpos_adr]) - start[key])
        if joint.kind == "revolute":
            worst_deg = max(worst_deg, float(np.degrees(drift)))
            if np.degrees(drift) > MAX_HINGE_DRIFT_DEG:
                problems.append(f"{key} turned {np.degrees(drift):.2f} deg")
        else:
            worst_m = max(worst_m, drift)
            if drift > MAX_SLIDE_DRIFT_M:
                problems.append(f"{key} slid {drift * 1000:.1f} mm")
    figures = {"joints": len(scene.joints), "max_hinge_deg": worst_deg, "max_slide_m": worst_m}
    detail = f"{len(scene.joints)} joints, {worst_deg:.3f} deg / {worst_m * 1000:.2f} mm"
    return Check("joints_hold", not problems, detail, figures, tuple(problems))
