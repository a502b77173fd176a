"""Embedded simulation shared by jobs: the USD-to-MuJoCo loader, scene USD layout, rendering."""

from tools.sim.render import OffscreenRenderer, RenderError, gl_backend, render_rgb
from tools.sim.usd_completion import damping_ratio_for_restitution
from tools.sim.usd_joints import JointHandle
from tools.sim.usd_loader import (
    LoadedScene,
    LoaderOptions,
    ObjectHandle,
    apply_contact_solver,
    captured_warnings,
    load_scene_model,
    require_usd_importer,
)

__all__ = [
    "JointHandle",
    "LoadedScene",
    "LoaderOptions",
    "ObjectHandle",
    "OffscreenRenderer",
    "RenderError",
    "apply_contact_solver",
    "captured_warnings",
    "damping_ratio_for_restitution",
    "gl_backend",
    "load_scene_model",
    "render_rgb",
    "require_usd_importer",
]
