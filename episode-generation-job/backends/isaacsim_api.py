"""Every Isaac Sim / Kit call of the episode backend, for the one release the image pins.

The image is `nvcr.io/nvidia/isaac-sim:5.1.0` (Kit's Python is 3.11, like the project).
Isaac Sim 6.x renamed or added much of what a backend needs (`isaacsim.core.experimental.utils.app`,
`stage_utils.is_stage_loading`, `SimulationManager.setup_simulation(dt=, device=)`) and needs
Python 3.12: those calls must not appear here. Version differences live in this module only;
`tests/episodes/test_isaacsim_conformance.py` checks each call below against Isaac Sim 5.1's
own sources (`tools/isaacsim_api_check/isaacsim-5.1.0.json`).

Nothing is imported at module level beyond the standard library: Kit must be running
(`start_app`) before any `omni.*`, `isaacsim.*` or (inside the container) `pxr` import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from episode_generation_job.errors import BackendUnavailableError

if TYPE_CHECKING:  # the return types name Isaac's classes (the conformance test follows them)
    from isaacsim import SimulationApp
    from isaacsim.core.experimental.prims import Articulation, RigidPrim

ISAACSIM_VERSION = "5.1.0"
ISAACSIM_IMAGE = f"nvcr.io/nvidia/isaac-sim:{ISAACSIM_VERSION}"
_NAME = "isaacsim"
_MIN_FRAME_RATE = "/persistent/simulation/minFrameRate"  # PhysX substeps at most 1/(rate*dt)
_MAX_LOADING_UPDATES = 100_000  # app updates while the stage's payloads load (then: give up)


@dataclass(frozen=True)
class ContactPair:
    """Two prims PhysX reported touching in the last step, and the normal impulse between them."""

    actor0: str
    actor1: str
    impulse: float


def touching_pairs(
    headers: Iterable[Any],
    data: Sequence[Any],
    decode: Callable[[int], Any],
    lost: Any,
) -> list[ContactPair]:
    """The contact report's pairs still touching: CONTACT_FOUND and CONTACT_PERSIST.

    A CONTACT_LOST header means the pair separated during the step: it is not a contact
    (reading it as one made fingers "touch" objects they had let go).

    Args:
        headers: `ContactEventHeader`s (`type`, `actor0`, `actor1`, `contact_data_offset`,
            `num_contact_data`).
        data: the report's `ContactData` (`impulse`, `normal`: three floats each).
        decode: `PhysicsSchemaTools.intToSdfPath`.
        lost: `ContactEventType.CONTACT_LOST`.

    Returns:
        One pair per touching header, with |impulse . normal| summed over its points (N s).
    """
    pairs = []
    for header in headers:
        if header.type == lost:
            continue
        start = int(header.contact_data_offset)
        points = data[start : start + int(header.num_contact_data)]
        impulse = sum(
            abs(sum(float(i) * float(n) for i, n in zip(p.impulse, p.normal, strict=True)))
            for p in points
        )
        pairs.append(ContactPair(str(decode(header.actor0)), str(decode(header.actor1)), impulse))
    return pairs


def substeps_per_control(control_hz: int, physics_dt: float) -> int:
    """Physics steps in one control period (20 at 30 Hz control and 1/600 s physics).

    Raises:
        ValueError: the control period is not a whole number of physics steps.
    """
    steps = 1.0 / (control_hz * physics_dt)
    if abs(steps - round(steps)) > 1e-9 or round(steps) < 1:
        raise ValueError(f"control period 1/{control_hz} s is not a multiple of dt {physics_dt}")
    return round(steps)


@dataclass
class StepAudit:
    """Physics steps PhysX took against those the timing promises (`substeps` per update).

    One step of drift is tolerated (PhysX accumulates time in floating point, so one update
    may take 19 and the next 21); more means the timing is not what the stage says.
    """

    substeps: int
    expected: int = 0
    taken: int = 0

    def record(self, steps: int) -> None:
        """Count one update's steps.

        Raises:
            ValueError: the total is more than one step off.
        """
        self.expected += self.substeps
        self.taken += steps
        if abs(self.taken - self.expected) > 1:
            raise ValueError(
                f"PhysX took {self.taken} steps in {self.expected // self.substeps} control "
                f"periods, expected {self.expected}"
            )


def start_app(*, headless: bool = True) -> SimulationApp:  # pragma: no cover - needs Isaac Sim
    """Start Kit. `fast_shutdown=False`: `close()` returns instead of ending the process (with
    code 0) at once, so the job finishes its checkpoint, summary and merge first."""
    from isaacsim import SimulationApp

    return SimulationApp({"headless": headless, "fast_shutdown": False})


def running_version() -> str:  # pragma: no cover - needs Isaac Sim
    """The running Isaac Sim release ("5.1.0"), from its VERSION file."""
    from isaacsim.core.version import get_version

    return str(get_version()[0]) or "unknown"


def close_app(app: SimulationApp) -> None:  # pragma: no cover - needs Isaac Sim
    """Shut Kit down (waits for Replicator's writers)."""
    app.close(wait_for_replicator=True)


def open_stage(app: SimulationApp, usd_path: Path) -> Any:  # pragma: no cover - needs Isaac Sim
    """Open the scene and update the app until every layer and payload has loaded.

    Raises:
        BackendUnavailableError: the stage did not open, or never finished loading.
    """
    import isaacsim.core.experimental.utils.stage as stage_utils
    import isaacsim.core.utils.stage as legacy_stage_utils  # is_stage_loading: not in 5.1's new API

    opened, stage = stage_utils.open_stage(str(usd_path))
    if not opened or stage is None:
        raise BackendUnavailableError(_NAME, f"could not open {usd_path}")
    for _ in range(_MAX_LOADING_UPDATES):
        if not legacy_stage_utils.is_stage_loading():
            return stage
        app.update()
    raise BackendUnavailableError(_NAME, f"{usd_path} still loading after many updates")


def set_timing(control_hz: int) -> None:  # pragma: no cover - needs Isaac Sim
    """One app update = one control period: the timeline advances 1/control_hz per update, the
    loop runner steps a fixed 1/control_hz, and PhysX may take up to 1/(control_hz*dt) substeps.
    The stage's own timeCodesPerSecond and physics rate are authored by `isaacsim_timing`."""
    import carb.settings
    import omni.kit.loop._loop as omni_loop
    import omni.timeline
    from isaacsim.core.simulation_manager import SimulationManager

    omni.timeline.get_timeline_interface().set_time_codes_per_second(control_hz)
    runner = omni_loop.acquire_loop_interface()
    runner.set_manual_step_size(1.0 / control_hz)
    runner.set_manual_mode(True)
    carb.settings.get_settings().set_int(_MIN_FRAME_RATE, control_hz)
    SimulationManager.set_physics_sim_device("cpu")  # CPU PhysX: deterministic, readback on


def play(app: SimulationApp) -> None:  # pragma: no cover - needs Isaac Sim
    """Start the timeline (physics is created on the first update)."""
    import omni.timeline

    omni.timeline.get_timeline_interface().play()
    app.update()


def stop() -> None:  # pragma: no cover - needs Isaac Sim
    """Stop the timeline."""
    import omni.timeline

    omni.timeline.get_timeline_interface().stop()


def physics_steps() -> int:  # pragma: no cover - needs Isaac Sim
    """PhysX steps taken since play, as counted by Isaac Sim itself."""
    from isaacsim.core.simulation_manager import SimulationManager

    return int(SimulationManager.get_num_physics_steps())


def assets_root() -> str:  # pragma: no cover - needs Isaac Sim
    """Isaac Sim's assets root (NVIDIA's server or the configured mirror)."""
    from isaacsim.storage.native import get_assets_root_path

    root = get_assets_root_path()
    if not root:
        raise BackendUnavailableError(_NAME, "no Isaac Sim assets root is reachable")
    return str(root)


def asset_exists(url: str) -> bool:  # pragma: no cover - needs Isaac Sim
    """Whether an asset URL resolves (omni.client)."""
    import omni.client

    result, _ = omni.client.stat(url)
    return bool(result == omni.client.Result.OK)


def add_reference(usd_path: str, prim_path: str) -> None:  # pragma: no cover - needs Isaac Sim
    """Reference a USD file at a prim path of the open stage."""
    import isaacsim.core.experimental.utils.stage as stage_utils

    stage_utils.add_reference_to_stage(usd_path=usd_path, path=prim_path)


def articulation(path: str) -> Articulation:  # pragma: no cover - needs Isaac Sim
    """Isaac's articulation wrapper of a robot prim."""
    from isaacsim.core.experimental.prims import Articulation

    return Articulation(path)


def rigid_prim(path: str) -> RigidPrim:  # pragma: no cover - needs Isaac Sim
    """Isaac's rigid-body wrapper of one prim."""
    from isaacsim.core.experimental.prims import RigidPrim

    return RigidPrim(path)


def bind_friction(
    material_path: str, prim_paths: Sequence[str], static: float, dynamic: float
) -> None:  # pragma: no cover - needs Isaac Sim
    """A rigid-body material bound on the prims, stronger than their descendants' own, with
    frictions combined by max (as MuJoCo does)."""
    from isaacsim.core.experimental.materials import RigidBodyMaterial
    from isaacsim.core.experimental.prims import GeomPrim

    material = RigidBodyMaterial(
        material_path, static_frictions=[static], dynamic_frictions=[dynamic], restitutions=[0.0]
    )
    material.set_combine_modes(frictions=["max"])
    GeomPrim(list(prim_paths)).apply_physics_materials(material)  # default: stronger


def contact_report() -> list[ContactPair]:  # pragma: no cover - needs Isaac Sim
    """The pairs PhysX reports touching after the last step (see `touching_pairs`)."""
    from omni.physx import get_physx_simulation_interface
    from omni.physx.bindings._physx import ContactEventType
    from pxr import PhysicsSchemaTools

    headers, data = get_physx_simulation_interface().get_contact_report()
    return touching_pairs(
        headers, data, PhysicsSchemaTools.intToSdfPath, ContactEventType.CONTACT_LOST
    )


def enable_contact_reports(stage: Any, paths: Iterable[str]) -> None:  # pragma: no cover
    """PhysX reports contacts of these rigid bodies (needs Isaac Sim's PhysxSchema)."""
    from pxr import PhysxSchema

    for path in paths:
        PhysxSchema.PhysxContactReportAPI.Apply(stage.GetPrimAtPath(path)).CreateThresholdAttr(0.0)


def rgb_annotator(
    camera_path: str, width: int, height: int
) -> Any:  # pragma: no cover - needs Isaac Sim
    """A Replicator RGB annotator on a render product of the camera."""
    import omni.replicator.core as rep

    product = rep.create.render_product(camera_path, (width, height))
    annotator = rep.AnnotatorRegistry.get_annotator("rgb")
    annotator.attach([product])
    return annotator
