"""Headless offscreen rendering of a MuJoCo model, backend chosen by MUJOCO_GL (egl by default)."""

from __future__ import annotations

import importlib
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal

import mujoco
import numpy as np
from numpy.typing import NDArray

from tools.closing import ClosesOnExit
from tools.errors import PipelineError
from tools.sim.render_lod import coarse_builtins, face_budget, render_model

DEFAULT_BACKEND = "egl"
_BACKEND_MODULES = {"egl": "mujoco.egl", "osmesa": "mujoco.osmesa", "glfw": "mujoco.glfw"}
_MAX_GEOMS = 10_000


class RenderError(PipelineError):
    """No OpenGL context could be created, or rendering failed."""

    def __init__(self, backend: str, problem: str) -> None:
        hint = "set MUJOCO_GL=egl (Mesa/NVIDIA EGL) or MUJOCO_GL=osmesa (needs libosmesa6)"
        super().__init__(f"rendering with MUJOCO_GL={backend}: {problem}", hint=hint)
        self.backend = backend


def gl_backend() -> str:
    """The OpenGL backend named by MUJOCO_GL (read at call time), default egl."""
    return os.environ.get("MUJOCO_GL", DEFAULT_BACKEND).strip().lower() or DEFAULT_BACKEND


def _make_context(backend: str, width: int, height: int) -> Any:
    module_name = _BACKEND_MODULES.get(backend)
    if module_name is None:
        raise RenderError(backend, f"unsupported backend; use one of {sorted(_BACKEND_MODULES)}")
    try:
        module = importlib.import_module(module_name)
        return module.GLContext(width, height)
    except Exception as exc:  # backends raise ImportError, OSError, RuntimeError or GL errors
        raise RenderError(backend, f"{type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class RenderedLayers:
    """One camera frame: RGB, and depth / segmentation when they were asked for."""

    rgb: NDArray[np.uint8] | None  # (H, W, 3), top row first; None when not asked for
    depth_m: NDArray[np.float32] | None  # (H, W) metres along the view axis; inf: background
    geom_ids: NDArray[np.int32] | None  # (H, W) geom id of each pixel; -1: background
    geom_body: NDArray[np.int32] | None = None  # geom id -> body id, then -1 (background)

    @property
    def body_ids(self) -> NDArray[np.int32] | None:
        """(H, W) MuJoCo body id of each pixel; -1: background (computed on request)."""
        if self.geom_ids is None or self.geom_body is None:
            return None
        return np.take(self.geom_body, self.geom_ids, mode="wrap")  # -1 picks the trailing -1


class OffscreenRenderer(ClosesOnExit):
    """Renders RGB frames of one model; owns a GL context, an MjrContext and an MjvScene.

    Shadows, reflections, skybox, haze and MSAA are off (an order of magnitude faster on CPU
    rasterizers), dense untextured meshes are drawn simplified and collision hulls that double
    a visual mesh are not drawn (`render_lod`). The offscreen buffer is the frame's size.
    Use as a context manager or call `close()` (safe to call twice).
    """

    def __init__(
        self,
        model: mujoco.MjModel,
        width: int,
        height: int,
        *,
        mesh_face_budget: int | Literal["auto"] | None = "auto",
    ) -> None:
        """Create the GL context and buffers.

        Args:
            model: the compiled model; its offscreen buffer is set to width x height.
            width: frame width in pixels.
            height: frame height in pixels.
            mesh_face_budget: untextured meshes are drawn with at most this many faces
                (`render_lod`: 2.5x faster frames of the Panda on a CPU); "auto": by the
                frame size (`render_lod.face_budget`); None: every mesh and built-in shape
                as modelled.

        Raises:
            RenderError: no GL context could be created with the MUJOCO_GL backend.
        """
        self.backend = gl_backend()
        self.width, self.height = width, height
        self._model = model
        # The buffer is made with the context: set it to this frame size (a larger one would
        # clear and rasterize pixels never read back).
        model.vis.global_.offwidth, model.vis.global_.offheight = width, height
        model.vis.quality.offsamples = 0
        if mesh_face_budget == "auto":
            mesh_face_budget = face_budget(width, height)
        self._gl: Any = _make_context(self.backend, width, height)
        self._gl.make_current()
        lighter = (
            nullcontext() if mesh_face_budget is None else coarse_builtins(model, width, height)
        )
        try:
            with lighter:
                low = render_model(model, mesh_face_budget)
                self._context: mujoco.MjrContext | None = mujoco.MjrContext(
                    low, mujoco.mjtFontScale.mjFONTSCALE_100
                )
        except mujoco.FatalError as exc:  # e.g. more materials or textures than it can hold
            self._gl.free()
            raise RenderError(self.backend, f"MuJoCo's renderer refused the model: {exc}") from exc
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, self._context)
        self._scene = mujoco.MjvScene(model, _MAX_GEOMS)
        self._scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        self._scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        self._scene.flags[mujoco.mjtRndFlag.mjRND_SKYBOX] = 0  # the data needs no backdrop
        self._scene.flags[mujoco.mjtRndFlag.mjRND_HAZE] = 0
        self.option = mujoco.MjvOption()
        self._rect = mujoco.MjrRect(0, 0, width, height)
        self._geom_body = np.append(model.geom_bodyid, -1).astype(np.int32)
        self.last_frame_s = 0.0

    def _camera(self, camera: int | str | None) -> mujoco.MjvCamera:
        view = mujoco.MjvCamera()
        if camera is None:
            mujoco.mjv_defaultFreeCamera(self._model, view)
            return view
        camera_id = (
            camera
            if isinstance(camera, int)
            else mujoco.mj_name2id(self._model, mujoco.mjtObj.mjOBJ_CAMERA, camera)
        )
        if camera_id < 0 or camera_id >= self._model.ncam:
            raise KeyError(f"camera {camera!r} not in the model")
        view.type = mujoco.mjtCamera.mjCAMERA_FIXED
        view.fixedcamid = camera_id
        return view

    def render(self, data: mujoco.MjData, camera: int | str | None = None) -> NDArray[np.uint8]:
        """Render one frame.

        Args:
            data: the state to draw (positions must be computed, e.g. by mj_forward).
            camera: a camera id or name; None for a free camera framing the whole model.

        Returns:
            (height, width, 3) uint8 RGB, top row first.

        Raises:
            RenderError: the renderer was closed.
            KeyError: the camera does not exist.
        """
        rgb = self.render_layers(data, camera).rgb
        assert rgb is not None
        return rgb

    def render_layers(
        self,
        data: mujoco.MjData,
        camera: int | str | None = None,
        *,
        depth: bool = False,
        segmentation: bool = False,
        rgb: bool = True,
    ) -> RenderedLayers:
        """Render RGB and, on request, metric depth and geom/body segmentation.

        At most two passes: the shaded RGB pass and the flat segmentation pass; depth is read
        from whichever is drawn (the RGB pass when both are), so depth + segmentation without
        RGB costs one pass. The scene is built once per call for both passes.

        Args:
            data: the state to draw (positions must be computed, e.g. by mj_forward).
            camera: a camera id or name; None for a free camera framing the whole model.
            depth: also read the depth buffer, as metres along the view axis.
            segmentation: also draw a flat-shaded pass of geom ids (mapped to body ids too).
            rgb: draw the shaded RGB pass (False: only depth / segmentation are wanted).

        Raises:
            RenderError: the renderer was closed.
            KeyError: the camera does not exist.
            ValueError: nothing asked for.
        """
        if self._context is None:
            raise RenderError(self.backend, "renderer is closed")
        if not (rgb or depth or segmentation):
            raise ValueError("ask for at least one of rgb, depth, segmentation")
        started = time.perf_counter()
        self._gl.make_current()
        mujoco.mjv_updateScene(
            self._model, data, self.option, None, self._camera(camera),
            mujoco.mjtCatBit.mjCAT_ALL, self._scene,
        )  # fmt: skip
        colours = depth_m = geom_ids = None
        if rgb or not segmentation:
            colours, depth_m = self._draw(depth)
        if segmentation:
            flags = self._scene.flags
            flags[mujoco.mjtRndFlag.mjRND_SEGMENT] = flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = 1
            try:
                ids, seg_depth = self._draw(depth and depth_m is None)
            finally:
                flags[mujoco.mjtRndFlag.mjRND_SEGMENT] = flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = 0
            depth_m = seg_depth if depth_m is None else depth_m
            geom_ids = self._geom_ids(ids)
        self.last_frame_s = time.perf_counter() - started
        body = self._geom_body if geom_ids is not None else None
        return RenderedLayers(colours if rgb else None, depth_m, geom_ids, body)

    def _draw(self, depth: bool) -> tuple[NDArray[np.uint8], NDArray[np.float32] | None]:
        """Draw the built scene; read its colours and (if asked) its metric depth."""
        assert self._context is not None
        mujoco.mjr_render(self._rect, self._scene, self._context)
        pixels = np.empty((self.height, self.width, 3), dtype=np.uint8)
        buffer = np.empty((self.height, self.width), dtype=np.float32) if depth else None
        mujoco.mjr_readPixels(pixels, buffer, self._rect, self._context)
        metres = None if buffer is None else self._metric_depth(buffer[::-1])
        return np.ascontiguousarray(pixels[::-1]), metres

    def _metric_depth(self, buffer: NDArray[np.float32]) -> NDArray[np.float32]:
        """OpenGL depth in [0, 1] -> distance along the view axis in metres (inf: nothing).
        float32 throughout: its rounding is ~0.01 mm at 2 m, far below the 24-bit buffer's."""
        extent = self._model.stat.extent
        near = np.float32(self._model.vis.map.znear * extent)
        far = np.float32(self._model.vis.map.zfar * extent)
        with np.errstate(divide="ignore"):
            metres = near / (np.float32(1.0) - buffer * (np.float32(1.0) - near / far))
        metres[buffer >= 1.0] = np.inf
        return metres

    def _geom_ids(self, colours: NDArray[np.uint8]) -> NDArray[np.int32]:
        """The segmentation pass's colours (segid + 1, 0: nothing) -> geom ids; -1 where no
        geom was hit. One table lookup per pixel (red alone while the scene has < 255 geoms)."""
        count = self._scene.ngeom
        lookup = np.full(count + 2, -1, dtype=np.int32)  # colour -> geom; last: out of range
        for i in range(count):
            geom = self._scene.geoms[i]
            if geom.segid >= 0 and geom.objtype == mujoco.mjtObj.mjOBJ_GEOM:
                lookup[geom.segid + 1] = geom.objid
        if count + 1 < 256:
            code: NDArray[Any] = colours[..., 0]
        else:
            wide = colours.astype(np.int32)
            code = wide[..., 0] | (wide[..., 1] << 8) | (wide[..., 2] << 16)
        geoms: NDArray[np.int32] = np.take(lookup, code, mode="clip")  # past the end: -1
        return geoms

    def close(self) -> None:
        """Free the GL resources; later calls do nothing."""
        if self._context is None:
            return
        self._context.free()
        self._context = None
        self._gl.free()
        self._gl = None


def render_rgb(
    model: mujoco.MjModel,
    data: mujoco.MjData,
    width: int,
    height: int,
    camera: int | str | None = None,
) -> NDArray[np.uint8]:
    """Render a single RGB frame (creates and frees a renderer).

    Args:
        model: the compiled model.
        data: the state to draw.
        width: frame width in pixels.
        height: frame height in pixels.
        camera: camera id or name; None for a free camera framing the model.

    Returns:
        (height, width, 3) uint8 RGB.

    Raises:
        RenderError: no GL context could be created.
    """
    with OffscreenRenderer(model, width, height) as renderer:
        return renderer.render(data, camera)
