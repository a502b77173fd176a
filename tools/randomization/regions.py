"""Placement regions: upward support surfaces with extent, height, clearance, categories."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tools.randomization.layout import BUNDLE_SCHEMA_VERSION
from tools.randomization.planar import Polygon2D, as_points

Ring = tuple[tuple[float, float], ...]


class _Frozen(BaseModel):
    """Strict base: unknown keys are errors, NaN/Inf are refused, instances are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class OrientedBox(_Frozen):
    """The minimum-area rectangle around a region, in the world xy plane."""

    center: tuple[float, float] = Field(description="metres, world x, y")
    size: tuple[float, float] = Field(description="metres, along the box's own x and y")
    yaw_rad: float = Field(description="rotation of the box's x axis from world x")


class PlacementRegion(_Frozen):
    """One horizontal surface objects may stand on.

    The extent is the polygon (exterior ring and holes, world x, y in metres) where nothing
    lower than the clearance stands above the surface. `kind` is "support" for a surface found
    on a mesh, "floor" for the room's floor and "workspace" for the part of another region
    within the robot's reach (derived: `parent_region` names it).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    kind: Literal["support", "floor", "workspace"]
    support_id: str = Field(description="the manifest object the surface belongs to")
    support_category: str
    support_prim_path: str = Field(description="the support's prim in usd/scene.usda")
    prim_path: str = Field(description="the region's mesh in placement_regions.usda")
    parent_region: str | None = None
    height_m: float = Field(description="top of the support's visual mesh here (world z)")
    contact_height_m: float = Field(description="top of its collision hulls here (>= height_m)")
    clearance_m: float = Field(gt=0, description="free height above the surface")
    clearance_source: str = Field(description="what bounds the clearance: an object id or room")
    exterior: Ring = Field(min_length=3)
    holes: tuple[Ring, ...] = ()
    area_m2: float = Field(gt=0)
    oriented_box: OrientedBox
    categories: tuple[str, ...] = Field(description="categories that fit here (size, height)")
    resting_objects: tuple[str, ...] = Field(
        default=(), description="free objects standing on this region in the manifest"
    )

    @model_validator(mode="after")
    def _ordered_heights(self) -> PlacementRegion:
        if self.contact_height_m < self.height_m - 1e-6:
            raise ValueError("contact_height_m must be >= height_m")
        return self

    @cached_property
    def polygon(self) -> Polygon2D:
        """The extent as a polygon for containment tests."""
        return Polygon2D(as_points(self.exterior), [as_points(h) for h in self.holes])


class RegionsFile(_Frozen):
    """`replicator/placement_regions.json`."""

    schema_version: Literal["1.0.0"] = BUNDLE_SCHEMA_VERSION
    scene_id: str
    generator: str
    parameters: dict[str, float] = Field(description="thresholds the regions were computed with")
    robot: str | None = Field(
        default=None, description="the arm whose reach bounds the workspace regions (ROBOT)"
    )
    regions: tuple[PlacementRegion, ...]

    def region(self, region_id: str) -> PlacementRegion:
        """The region with this id.

        Args:
            region_id: the region id.

        Returns:
            The region.

        Raises:
            KeyError: no such region.
        """
        return find_region(self.regions, region_id)


def find_region(regions: Sequence[PlacementRegion], region_id: str) -> PlacementRegion:
    """The region with this id among `regions` (the regions file's or a bundle config's).

    Raises:
        KeyError: no such region.
    """
    for region in regions:
        if region.id == region_id:
            return region
    raise KeyError(region_id)
