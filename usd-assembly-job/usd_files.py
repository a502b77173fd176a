"""Writing USD layers: stage metadata, atomic save, and triangle meshes as UsdGeom.Mesh prims."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics, Vt

from tools.usd_stage import open_usd_stage

METERS_PER_UNIT = 1.0
KILOGRAMS_PER_UNIT = 1.0
_TMP_COUNTER = itertools.count()


@contextlib.contextmanager
def new_stage(path: Path) -> Iterator[Usd.Stage]:
    """Author a stage that replaces `path` only once it is complete.

    The stage is created beside `path` (so relative asset paths resolve the same way), saved,
    and renamed over `path`: readers never see a half-written layer.

    Args:
        path: the final `.usda` file.

    Yields:
        A new, empty stage with Z-up, metres and kilograms metadata.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{next(_TMP_COUNTER)}.tmp{path.suffix}")
    tmp.unlink(missing_ok=True)
    stage = Usd.Stage.CreateNew(str(tmp))
    try:
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
        UsdGeom.SetStageMetersPerUnit(stage, METERS_PER_UNIT)
        UsdPhysics.SetStageKilogramsPerUnit(stage, KILOGRAMS_PER_UNIT)
        yield stage
        stage.GetRootLayer().Save()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        del stage
    os.replace(tmp, path)
    cached = Sdf.Layer.Find(str(path))
    if cached is not None:  # a stage opened earlier in this process must see the new bytes
        cached.Reload(force=True)


def open_stage(path: Path) -> Usd.Stage:
    """Open a stage from disk, reloading any copy of its layers cached in this process.

    Args:
        path: a `.usda` file.

    Returns:
        The opened stage.

    Raises:
        InputError: the file is missing or does not parse (one line naming it).
    """
    return open_usd_stage(path, what="USD layer")


def _vec3f_array(values: NDArray[np.float64]) -> Vt.Vec3fArray:
    return Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(values, dtype=np.float32))


def define_mesh(
    stage: Usd.Stage,
    path: str,
    vertices: NDArray[np.float64],
    faces: NDArray[np.int64],
    *,
    normals: NDArray[np.float64] | None = None,
    uv: NDArray[np.float64] | None = None,
) -> UsdGeom.Mesh:
    """Define a triangle mesh prim with its extent, optional vertex normals and UVs.

    Args:
        stage: the stage to author on.
        path: prim path of the mesh.
        vertices: (N, 3) positions in the prim's frame.
        faces: (M, 3) vertex indices.
        normals: optional (N, 3) per-vertex normals.
        uv: optional (N, 2) per-vertex texture coordinates (origin bottom-left), as `st`.

    Returns:
        The mesh schema object.
    """
    mesh = UsdGeom.Mesh.Define(stage, path)
    points = _vec3f_array(vertices)
    mesh.CreatePointsAttr(points)
    mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(faces), 3, dtype=np.int32)))
    mesh.CreateFaceVertexIndicesAttr(
        Vt.IntArray.FromNumpy(np.ascontiguousarray(faces, dtype=np.int32).reshape(-1))
    )
    mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    mesh.CreateExtentAttr(UsdGeom.PointBased.ComputeExtent(points))
    if normals is not None:
        mesh.CreateNormalsAttr(_vec3f_array(normals))
        mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    if uv is not None:
        st = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar(
            "st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex
        )
        st.Set(Vt.Vec2fArray.FromNumpy(np.ascontiguousarray(uv, dtype=np.float32)))
    return mesh


def set_pose(
    xformable: UsdGeom.Xformable,
    position: tuple[float, float, float],
    rotation_wxyz: tuple[float, float, float, float],
) -> None:
    """Author translate + orient ops (no scale): the frame of a rigid body, camera or base.

    Args:
        xformable: the prim to pose.
        position: translation in metres.
        rotation_wxyz: unit quaternion [w, x, y, z].
    """
    xformable.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).Set(Gf.Vec3d(*position))
    w, x, y, z = rotation_wxyz
    xformable.AddOrientOp(UsdGeom.XformOp.PrecisionDouble).Set(Gf.Quatd(w, Gf.Vec3d(x, y, z)))
