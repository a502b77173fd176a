"""Headless offscreen rendering of a MuJoCo model, backend chosen by MUJOCO_GL (egl by default)."""

from __future__ import annotations

import importlib
import os
import time
from types import TracebackType
from typing import Any

import mujoco
import numpy as np
from numpy.typing import NDArray

from tools.errors import PipelineError

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


class OffscreenRenderer:
    """Renders RGB frames of one model; owns a GL context, an MjrContext and an MjvScene.

    Shadows, reflections and MSAA are off (an order of magnitude faster on CPU rasterizers).
    Use as a context manager or call `close()` (safe to call twice).
    """

    def __init__(self, model: mujoco.MjModel, width: int, height: int) -> None:
        """Create the GL context and buffers.

        Args:
            model: the compiled model; its offscreen buffer is enlarged to width x height.
            width: frame width in pixels.
            height: frame height in pixels.

        Raises:
            RenderError: no GL context could be created with the MUJOCO_GL backend.
        """
        self.backend = gl_backend()
        self.width, self.height = width, height
        self._model = model
        model.vis.global_.offwidth = max(width, model.vis.global_.offwidth)
        model.vis.global_.offheight = max(height, model.vis.global_.offheight)
        model.vis.quality.offsamples = 0
        self._gl: Any = _make_context(self.backend, width, height)
        self._gl.make_current()
        try:
            self._context: mujoco.MjrContext | None = mujoco.MjrContext(
                model, mujoco.mjtFontScale.mjFONTSCALE_100
            )
        except mujoco.FatalError as exc:  # e.g. more materials or textures than it can hold
            self._gl.free()
            raise RenderError(self.backend, f"MuJoCo's renderer refused the model: {exc}") from exc
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, self._context)
        self._scene = mujoco.MjvScene(model, _MAX_GEOMS)
        self._scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        self._scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        self.option = mujoco.MjvOption()
        self._rect = mujoco.MjrRect(0, 0, width, height)
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
        if self._context is None:
            raise RenderError(self.backend, "renderer is closed")
        started = time.perf_counter()
        self._gl.make_current()
        view = self._camera(camera)
        mujoco.mjv_updateScene(
            self._model, data, self.option, None, view, mujoco.mjtCatBit.mjCAT_ALL, self._scene
        )
        mujoco.mjr_render(self._rect, self._scene, self._context)
        pixels = np.empty((self.height, self.width, 3), dtype=np.uint8)
        mujoco.mjr_readPixels(pixels, None, self._rect, self._context)
        self.last_frame_s = time.perf_counter() - started
        return np.ascontiguousarray(pixels[::-1])

    def close(self) -> None:
        """Free the GL resources; later calls do nothing."""
        if self._context is None:
            return
        self._context.free()
        self._context = None
        self._gl.free()
        self._gl = None

    def __enter__(self) -> OffscreenRenderer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


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
