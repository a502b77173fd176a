"""Omniverse Replicator randomization of a BlueprintPipeline scene; runs inside Isaac Sim.

This file is copied into each bundle as `replicator/scripts/replicator_randomize.py`. It needs
only the Isaac Sim Python (`/isaac-sim/python.sh`): the standard library, pxr and omni.*.

Usage, from the scene folder inside the Isaac Sim container:
    /isaac-sim/python.sh replicator/scripts/replicator_randomize.py \
        --config replicator/configs/pick_and_place.json \
        [--mode replay|native] [--episodes N] [--frames-per-episode F] [--output DIR]

replay (default): applies the episodes recorded in `replicator/samples/<policy>.json` (the
    values the embedded MuJoCo engine samples, checked there for penetration) with pxr, then
    captures frames; randomizers configured per frame are drawn by Replicator each frame.
native: builds a Replicator graph from the config's distributions: scatter_2d on the placement
    region meshes, modify.pose, and modify.attribute on the USD physics attributes (mass,
    frictions), triggered per episode by a custom event and per frame by on_frame; distractor
    slots are colliding rigid boxes authored with pxr, scattered and resized per episode.
Captures never advance the timeline (`orchestrator.step(delta_time=0.0)`): physics stays where
each episode's values put it. Written for Isaac Sim 5.1 (the calls are checked against its
sources by the project's `tests/episodes/test_isaacsim_conformance.py`).
Exit codes: 0 done, 2 bad arguments or a prim the config names is missing from the stage.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

EPISODE_EVENT = "blueprint_episode"  # = tools.randomization.layout.EPISODE_EVENT
DISTRACTOR_ROOT = "/World/Distractors"  # = tools.randomization.layout.DISTRACTOR_ROOT_PRIM
PRIM_ROOT = "/World"
_WRITER_ANNOTATORS = {
    "rgb": True,
    "semantic_segmentation": True,
    "instance_segmentation": True,
    "bounding_box_2d_tight": True,
    "distance_to_image_plane": True,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line arguments (see the module docstring)."""
    parser = argparse.ArgumentParser(description="Replicator randomization of a scene")
    parser.add_argument("--config", required=True, type=Path, help="replicator/configs/<p>.json")
    parser.add_argument("--mode", choices=("replay", "native"), default="replay")
    parser.add_argument("--samples", type=Path, help="default: replicator/samples/<policy>.json")
    parser.add_argument("--episodes", type=int, default=0, help="0: every recorded sample (replay)")
    parser.add_argument("--frames-per-episode", type=int, default=4)
    parser.add_argument("--resolution", type=int, nargs=2, default=(640, 480))
    parser.add_argument("--rt-subframes", type=int, default=4, help="render subframes per capture")
    parser.add_argument("--output", type=Path, default=Path("replicator_output"))
    parser.add_argument("--gui", action="store_true", help="run with a window (default headless)")
    return parser.parse_args(argv)


def load_json(path: Path) -> Any:
    """A JSON file's content."""
    return json.loads(path.read_text())


def scene_dir_of(config_path: Path) -> Path:
    """The scene folder of `replicator/configs/<policy>.json`."""
    return config_path.resolve().parents[2]


def prim_paths(value: Any) -> set[str]:
    """Every string under `value` that names a scene prim (below /World)."""
    if isinstance(value, str):
        return {value} if value.startswith(PRIM_ROOT + "/") else set()
    if isinstance(value, dict):
        return set().union(*(prim_paths(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(prim_paths(v) for v in value)) if value else set()
    return set()


def missing_prims(stage: Any, paths: set[str]) -> list[str]:
    """The paths with no valid prim on the stage (created distractors excepted)."""
    wanted = (p for p in paths if not p.startswith(DISTRACTOR_ROOT))
    return sorted(p for p in wanted if not stage.GetPrimAtPath(p).IsValid())


def _op(prim: Any, op_type: Any, add: Any) -> Any:
    from pxr import UsdGeom

    for op in UsdGeom.Xformable(prim).GetOrderedXformOps():
        if op.GetOpType() == op_type:
            return op
    return add(UsdGeom.XformOp.PrecisionDouble)


def set_pose(prim: Any, position: list[float], wxyz: list[float]) -> None:
    """Author translate and orient (keeping existing op precisions) on a prim."""
    from pxr import Gf, UsdGeom

    xformable = UsdGeom.Xformable(prim)
    translate = _op(prim, UsdGeom.XformOp.TypeTranslate, xformable.AddTranslateOp)
    orient = _op(prim, UsdGeom.XformOp.TypeOrient, xformable.AddOrientOp)
    translate.Set(Gf.Vec3d(*position))
    w, x, y, z = wxyz
    double = orient.GetPrecision() == UsdGeom.XformOp.PrecisionDouble
    orient.Set(Gf.Quatd(w, Gf.Vec3d(x, y, z)) if double else Gf.Quatf(w, Gf.Vec3f(x, y, z)))


def _define_distractor(stage: Any, sample: dict[str, Any]) -> None:
    from pxr import Gf, UsdGeom, UsdPhysics, UsdShade

    path = f"{DISTRACTOR_ROOT}/{sample['name']}"
    sx, sy, sz = sample["size_m"]
    if sample["shape"] == "box":
        gprim = UsdGeom.Cube.Define(stage, path)
        gprim.CreateSizeAttr(1.0)
        UsdGeom.Xformable(gprim).AddScaleOp().Set(Gf.Vec3f(sx, sy, sz))
    elif sample["shape"] == "cylinder":
        gprim = UsdGeom.Cylinder.Define(stage, path)
        gprim.CreateRadiusAttr(sx / 2.0)
        gprim.CreateHeightAttr(sz)
        gprim.CreateAxisAttr(UsdGeom.Tokens.z)
    else:
        gprim = UsdGeom.Sphere.Define(stage, path)
        gprim.CreateRadiusAttr(sx / 2.0)
    prim = gprim.GetPrim()
    xformable = UsdGeom.Xformable(prim)
    ops = xformable.GetOrderedXformOps()
    translate = xformable.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble)
    orient = xformable.AddOrientOp(UsdGeom.XformOp.PrecisionDouble)
    xformable.SetXformOpOrder([translate, orient, *ops])  # scale (box) applies first
    set_pose(prim, sample["pose"]["position"], sample["pose"]["rotation_wxyz"])
    gprim.CreateDisplayColorAttr([Gf.Vec3f(*sample["rgb"])])
    UsdPhysics.RigidBodyAPI.Apply(prim)
    UsdPhysics.CollisionAPI.Apply(prim)
    UsdPhysics.MassAPI.Apply(prim).CreateMassAttr(sample["mass_kg"])
    material = UsdShade.Material.Define(stage, f"{path}_material")
    friction = UsdPhysics.MaterialAPI.Apply(material.GetPrim())
    friction.CreateStaticFrictionAttr(sample["friction"])
    friction.CreateDynamicFrictionAttr(sample["friction"])
    binding = UsdShade.MaterialBindingAPI.Apply(prim)
    binding.Bind(material, UsdShade.Tokens.weakerThanDescendants, "physics")
    try:  # UsdSemantics ships with the USD of Isaac Sim 5; older releases keep customData only
        from pxr import UsdSemantics

        UsdSemantics.LabelsAPI.Apply(prim, "class").CreateLabelsAttr([sample["label"]])
    except (ImportError, AttributeError):
        prim.SetCustomDataByKey("blueprint:semanticClass", sample["label"])


def _set_input(stage: Any, shader_path: str, name: str, rgb: list[float]) -> None:
    from pxr import Gf

    attribute = stage.GetPrimAtPath(shader_path).GetAttribute(name)
    value = Gf.Vec4f(*rgb, 1.0) if name == "inputs:scale" else Gf.Vec3f(*rgb)
    attribute.Set(value)


def apply_episode(stage: Any, episode: dict[str, Any]) -> None:
    """Author one recorded episode randomization on the open stage (pxr only).

    Args:
        stage: the stage (scene.usda with the regions layer).
        episode: an `EpisodeRandomization` as JSON (replicator/samples/<policy>.json).
    """
    from pxr import Gf, UsdGeom, UsdLux, UsdPhysics

    # objects kept at rest go back there, wherever an earlier episode put them
    for placement in [*episode["placements"], *episode.get("kept_at_rest", [])]:
        pose = placement["pose"]
        set_pose(
            stage.GetPrimAtPath(placement["prim_path"]), pose["position"], pose["rotation_wxyz"]
        )
    stage.RemovePrim(DISTRACTOR_ROOT)
    UsdGeom.Scope.Define(stage, DISTRACTOR_ROOT)
    for distractor in episode["distractors"]:
        _define_distractor(stage, distractor)
    light = episode.get("light")
    if light:
        prim = stage.GetPrimAtPath(light["prim_path"])
        api = UsdLux.LightAPI(prim)
        api.GetIntensityAttr().Set(light["intensity"])
        api.CreateEnableColorTemperatureAttr().Set(True)
        api.CreateColorTemperatureAttr().Set(light["color_temperature_k"])
        rotate = _op(prim, UsdGeom.XformOp.TypeRotateXYZ, UsdGeom.Xformable(prim).AddRotateXYZOp)
        double = rotate.GetPrecision() == UsdGeom.XformOp.PrecisionDouble
        angles = light["rotation_xyz_deg"]
        rotate.Set(Gf.Vec3d(*angles) if double else Gf.Vec3f(*angles))
    for color in episode["colors"]:
        _set_input(stage, color["shader_path"], color["shader_input"], color["rgb"])
    camera = episode.get("camera")
    if camera:
        pose = camera["pose"]
        set_pose(stage.GetPrimAtPath(camera["prim_path"]), pose["position"], pose["rotation_wxyz"])
    for physics in episode["physics"]:
        if physics["mass_kg"] is not None:
            mass = UsdPhysics.MassAPI(stage.GetPrimAtPath(physics["prim_path"]))
            nominal = mass.GetMassAttr().Get() or physics["mass_kg"]
            inertia = mass.GetDiagonalInertiaAttr().Get()
            mass.GetMassAttr().Set(physics["mass_kg"])
            if inertia is not None:
                mass.GetDiagonalInertiaAttr().Set(inertia * (physics["mass_kg"] / nominal))
        material = UsdPhysics.MaterialAPI(stage.GetPrimAtPath(physics["material_path"]))
        material.GetStaticFrictionAttr().Set(physics["static_friction"])
        material.GetDynamicFrictionAttr().Set(physics["dynamic_friction"])


def exact(paths: list[str]) -> str:
    """A path_pattern regular expression matching exactly these prim paths."""
    return "^(?:" + "|".join(re.escape(p) for p in sorted(paths)) + ")$"


def _uniform(rep: Any, low: Any, high: Any) -> Any:
    return rep.distribution.uniform(low, high)


def build_frame_graph(rep: Any, config: dict[str, Any], frequencies: tuple[str, ...]) -> None:
    """Replicator randomizers of light, colours and camera for the given frequencies.

    Args:
        rep: the `omni.replicator.core` module.
        config: a `configs/<policy>.json` as JSON.
        frequencies: which randomizers to build ("per_episode" fire on the episode event,
            "per_frame" on every frame).
    """
    r = config["randomizers"]

    def trigger(frequency: str) -> Any:
        if frequency == "per_frame":
            return rep.trigger.on_frame()
        return rep.trigger.on_custom_event(event_name=EPISODE_EVENT)

    light = r.get("lighting")
    if light and light["enabled"] and light["frequency"] in frequencies:
        with trigger(light["frequency"]), rep.get.prims(path_pattern=exact([light["prim_path"]])):
            rep.modify.attribute("inputs:intensity", _uniform(rep, *light["intensity"]))
            rep.modify.attribute("inputs:enableColorTemperature", True)
            rep.modify.attribute(
                "inputs:colorTemperature", _uniform(rep, *light["color_temperature_k"])
            )
            (xl, xh), (zl, zh) = light["rotation_x_deg"], light["rotation_z_deg"]
            rep.modify.pose(rotation=_uniform(rep, (xl, 0.0, zl), (xh, 0.0, zh)))
    for key in ("object_colors", "background_colors"):
        colors = r[key]
        if not colors["enabled"] or colors["frequency"] not in frequencies:
            continue
        with trigger(colors["frequency"]):
            for target in colors["targets"]:
                base = target["base_rgb"]
                low = [lo * b for lo, b in zip(colors["tint_low"], base, strict=True)]
                high = [hi * b for hi, b in zip(colors["tint_high"], base, strict=True)]
                if target["shader_input"] == "inputs:scale":
                    low, high = [*low, 1.0], [*high, 1.0]
                with rep.get.prims(path_pattern=exact([target["shader_path"]])):
                    rep.modify.attribute(
                        target["shader_input"], _uniform(rep, tuple(low), tuple(high))
                    )
    camera = r.get("camera_jitter")
    if camera and camera["enabled"] and camera["frequency"] in frequencies:
        p, a = camera["nominal"]["position"], camera["nominal_rotation_xyz_deg"]
        dp, da = camera["position_m"], camera["rotation_deg"]
        with trigger(camera["frequency"]), rep.get.prims(path_pattern=exact([camera["prim_path"]])):
            rep.modify.pose(
                position=_uniform(rep, tuple(v - dp for v in p), tuple(v + dp for v in p)),
                rotation=_uniform(rep, tuple(v - da for v in a), tuple(v + da for v in a)),
            )


def define_distractor_slots(stage: Any, config: dict[str, Any]) -> list[str]:
    """Author the native mode's distractor slots once: colliding rigid unit boxes below the
    floor (the episode graph scatters, scales and colours them). None when disabled."""
    distractors = config["randomizers"]["distractors"]
    if not (distractors["enabled"] and distractors["regions"] and distractors["count"][1] > 0):
        return []
    paths = []
    for index in range(distractors["count"][1]):
        sample = {
            "name": f"native_{index}",
            "shape": "box",
            "size_m": [1.0, 1.0, 1.0],
            "pose": {"position": [0.0, 0.0, -10.0 - index], "rotation_wxyz": [1.0, 0.0, 0.0, 0.0]},
            "rgb": list(distractors["rgb_low"]),
            "mass_kg": distractors["mass_kg"][0],
            "friction": distractors["friction"],
            "label": distractors["labels"][0],
        }
        _define_distractor(stage, sample)
        paths.append(f"{DISTRACTOR_ROOT}/{sample['name']}")
    return paths


def build_episode_graph(rep: Any, config: dict[str, Any], slots: list[str] | None = None) -> None:
    """Replicator randomizers of poses, distractors and physics, fired per episode (native).

    Masses and frictions are written as the USD physics attributes (`physics:mass`,
    `physics:staticFriction`, `physics:dynamicFriction`) that PhysX reads.

    Args:
        rep: the `omni.replicator.core` module.
        config: a `configs/<policy>.json` as JSON.
        slots: the distractor slot prims (`define_distractor_slots`).
    """
    r = config["randomizers"]
    regions = {region["id"]: region["prim_path"] for region in config["regions"]}
    scatter, distractors = r["object_scatter"], r["distractors"]
    yaw = scatter["yaw_range_deg"]
    groups: dict[tuple[str, ...], list[str]] = {}
    for entry in scatter["objects"] if scatter["enabled"] else []:
        groups.setdefault(tuple(entry["regions"]), []).append(entry["prim_path"])
    with rep.trigger.on_custom_event(event_name=EPISODE_EVENT):
        for region_ids, paths in sorted(groups.items()):
            surfaces = rep.get.prims(path_pattern=exact([regions[i] for i in region_ids]))
            with rep.get.prims(path_pattern=exact(paths)):
                rep.randomizer.scatter_2d(surfaces, check_for_collisions=True)
                rep.modify.pose(rotation=_uniform(rep, (0.0, 0.0, -yaw), (0.0, 0.0, yaw)))
        if slots:
            surfaces = rep.get.prims(
                path_pattern=exact([regions[i] for i in distractors["regions"]])
            )
            low, high = distractors["size_m"]
            with rep.get.prims(path_pattern=exact(slots)):
                rep.modify.pose(scale=_uniform(rep, (low, low, low), (high, high, high)))
                rep.randomizer.scatter_2d(surfaces, check_for_collisions=True)
                colors = _uniform(
                    rep, tuple(distractors["rgb_low"]), tuple(distractors["rgb_high"])
                )
                rep.randomizer.color(colors=colors)
                rep.modify.attribute("physics:mass", _uniform(rep, *distractors["mass_kg"]))
        physics = r["physics"]
        for target in physics["targets"] if physics["enabled"] else []:
            if target["mass_kg"] is not None:
                with rep.get.prims(path_pattern=exact([target["prim_path"]])):
                    rep.modify.attribute("physics:mass", _uniform(rep, *target["mass_kg"]))
            with rep.get.prims(path_pattern=exact([target["material_path"]])):
                rep.modify.attribute(
                    "physics:staticFriction", _uniform(rep, *target["static_friction"])
                )
                rep.modify.attribute(
                    "physics:dynamicFriction", _uniform(rep, *target["dynamic_friction"])
                )


def main(argv: list[str] | None = None) -> int:
    """Open the scene in Isaac Sim, randomize it per episode and frame, write annotated frames.

    Args:
        argv: arguments without the program name (default: sys.argv[1:]).

    Returns:
        The exit code.
    """
    args = parse_args(argv)
    config = load_json(args.config)
    scene = scene_dir_of(args.config)
    samples_path = args.samples or scene / "replicator" / "samples" / f"{config['policy']}.json"
    episodes = load_json(samples_path)["episodes"] if args.mode == "replay" else []
    count = args.episodes or len(episodes) or 1

    from isaacsim import SimulationApp  # before any omni import

    app = SimulationApp({"headless": not args.gui})
    import omni.replicator.core as rep
    import omni.usd

    context = omni.usd.get_context()
    if not context.open_stage(str(scene / config["scene_usd"])):
        print(f"could not open {config['scene_usd']}", file=sys.stderr)
        app.close()
        return 2
    app.update()
    while context.get_stage_loading_status()[2] > 0:  # layers and payloads still loading
        app.update()
    stage = context.get_stage()
    stage.GetSessionLayer().subLayerPaths.append(str(scene / config["regions_usd"]))
    missing = missing_prims(stage, prim_paths(config))
    if missing:
        print(f"prims missing from the stage: {', '.join(missing[:10])}", file=sys.stderr)
        app.close()
        return 2
    rep.set_global_seed(int(config["seed"]))
    rep.orchestrator.set_capture_on_play(False)
    with rep.new_layer():
        if args.mode == "native":
            build_episode_graph(rep, config, define_distractor_slots(stage, config))
            build_frame_graph(rep, config, ("per_episode", "per_frame"))
        else:
            build_frame_graph(rep, config, ("per_frame",))
        jitter = config["randomizers"]["camera_jitter"]
        camera = (
            jitter["prim_path"]
            if jitter
            else rep.create.camera(position=(0.0, -2.0, 2.0), look_at=(0.0, 0.0, 0.5))
        )
        product = rep.create.render_product(camera, tuple(args.resolution))
    writer = rep.WriterRegistry.get("BasicWriter")
    writer.initialize(output_dir=str(args.output.resolve()), **_WRITER_ANNOTATORS)
    writer.attach([product])
    for index in range(count):
        if args.mode == "replay":
            apply_episode(stage, episodes[index % len(episodes)])
        else:
            rep.utils.send_og_event(event_name=EPISODE_EVENT)
        app.update()
        for _ in range(args.frames_per_episode):  # captures of a still scene: no timeline step
            rep.orchestrator.step(delta_time=0.0, rt_subframes=args.rt_subframes)
    rep.orchestrator.wait_until_complete()
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
