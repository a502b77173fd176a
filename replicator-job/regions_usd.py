"""`replicator/placement_regions.usda`: regions as guide meshes, a layer stacked on scene.usda."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely
from pxr import Sdf, Usd, UsdGeom, Vt
from shapely.geometry import Polygon

from tools.randomization.layout import REGION_ID_KEY, REGIONS_ROOT_PRIM
from tools.randomization.regions import PlacementRegion
from tools.sim.usd_layout import WORLD_PATH


def region_triangles(region: PlacementRegion) -> tuple[np.ndarray, np.ndarray]:
    """A triangulation of the region's polygon (holes respected) at its contact height.

    Args:
        region: the region.

    Returns:
        (N, 3) vertices and (M, 3) triangle indices, counter-clockwise seen from above.
    """
    polygon = Polygon(region.exterior, region.holes)
    triangles = shapely.constrained_delaunay_triangles(polygon)
    vertices: dict[tuple[float, float], int] = {}
    faces = []
    for triangle in triangles.geoms:
        ring = shapely.geometry.polygon.orient(triangle, 1.0).exterior.coords[:3]
        faces.append([vertices.setdefault((float(x), float(y)), len(vertices)) for x, y in ring])
    xy = np.array(list(vertices), dtype=np.float64).reshape(-1, 2)
    z = np.full((len(xy), 1), region.contact_height_m)
    return np.hstack([xy, z]), np.array(faces, dtype=np.int32).reshape(-1, 3)


def _define_region(stage: Usd.Stage, region: PlacementRegion) -> None:
    vertices, faces = region_triangles(region)
    mesh = UsdGeom.Mesh.Define(stage, region.prim_path)
    points = Vt.Vec3fArray.FromNumpy(vertices.astype(np.float32))
    mesh.CreatePointsAttr(points)
    mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(faces), 3, dtype=np.int32)))
    mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(faces.reshape(-1)))
    mesh.CreateExtentAttr(UsdGeom.PointBased.ComputeExtent(points))
    mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    mesh.CreatePurposeAttr(UsdGeom.Tokens.guide)  # a sampling surface: never rendered or collided
    prim = mesh.GetPrim()
    prim.SetCustomDataByKey(REGION_ID_KEY, region.id)
    prim.SetCustomDataByKey("blueprint:supportId", region.support_id)
    prim.SetCustomDataByKey("blueprint:clearanceM", region.clearance_m)
    prim.SetCustomDataByKey("blueprint:categories", Vt.StringArray(list(region.categories)))


def write_regions_usd(path: Path, regions: Sequence[PlacementRegion], scene_id: str) -> None:
    """Write the regions layer atomically.

    The layer holds `over /World` with `def Scope PlacementRegions` and one guide Mesh per
    region; sublayered over (or onto the session layer of) scene.usda it adds the region
    prims the configs name, without changing anything of the scene.

    Args:
        path: the `.usda` file.
        regions: the regions.
        scene_id: recorded in the layer's customLayerData.
    """
    stage = Usd.Stage.CreateInMemory()
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    stage.OverridePrim(WORLD_PATH)
    UsdGeom.Scope.Define(stage, REGIONS_ROOT_PRIM)
    for region in regions:
        _define_region(stage, region)
    layer = stage.GetRootLayer()
    layer.customLayerData = {"blueprint": {"generator": "replicator-job", "scene_id": scene_id}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.usda")
    layer.Export(str(tmp))
    os.replace(tmp, path)
    cached = Sdf.Layer.Find(str(path))
    if cached is not None:
        cached.Reload(force=True)
