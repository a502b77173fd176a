"""Mass distribution of a mesh (solid or thin shell) and its principal inertia frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import trimesh
from scipy.spatial.transform import Rotation

FloatArray = npt.NDArray[np.float64]

_OFF_DIAGONAL_TOLERANCE = 1e-9  # relative: below it the asset axes already are principal


@dataclass(frozen=True)
class MassDistribution:
    """Mass properties per unit density (multiply by kg/m^3 to get kilograms).

    Attributes:
        material_volume_m3: volume of material: the enclosed volume (solid) or
            surface area x wall thickness (shell).
        center: centre of mass (3,), metres, in the mesh frame.
        inertia: inertia tensor (3, 3) about `center`, per unit density (m^5).
    """

    material_volume_m3: float
    center: FloatArray
    inertia: FloatArray

    def scaled(self, density_kg_m3: float) -> tuple[float, FloatArray]:
        """Mass (kg) and inertia tensor (kg m^2) for a density."""
        return self.material_volume_m3 * density_kg_m3, self.inertia * density_kg_m3


@dataclass(frozen=True)
class PrincipalFrame:
    """Principal moments and the rotation from principal axes to the mesh frame.

    Attributes:
        moments: (3,) principal moments, kg m^2 (same units as the tensor given).
        rotation_wxyz: unit quaternion [w, x, y, z] whose rotation maps principal axis k to
            column k of the eigenvector matrix (identity when the mesh axes are principal).
    """

    moments: tuple[float, float, float]
    rotation_wxyz: tuple[float, float, float, float]


def solid_distribution(mesh: trimesh.Trimesh) -> MassDistribution:
    """Uniform solid filling a watertight mesh.

    Args:
        mesh: watertight, outward-wound triangles (metres).

    Returns:
        Volume, centre of mass and inertia per unit density.
    """
    props = trimesh.triangles.mass_properties(mesh.triangles, density=1.0)
    return MassDistribution(
        float(props.volume),
        np.asarray(props.center_mass, dtype=np.float64),
        np.asarray(props.inertia, dtype=np.float64),
    )


def shell_distribution(mesh: trimesh.Trimesh, wall_thickness_m: float) -> MassDistribution:
    """Uniform thin wall of `wall_thickness_m` over the mesh surface.

    Each triangle's second moment is exact: integral of x x^T over a triangle of area A
    with corners a, b, c is A/12 (a a^T + b b^T + c c^T + s s^T), s = a + b + c.

    Args:
        mesh: any triangle mesh (metres).
        wall_thickness_m: the wall thickness.

    Returns:
        Shell volume (area x thickness), centre of mass and inertia per unit density.
    """
    tri = np.asarray(mesh.triangles, dtype=np.float64)
    areas = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    total_area = float(areas.sum())
    weights = areas * wall_thickness_m
    sums = tri.sum(axis=1)
    center = (weights[:, None] * sums / 3.0).sum(axis=0) / weights.sum()
    corners = np.einsum("tki,tkj->tij", tri, tri) + np.einsum("ti,tj->tij", sums, sums)
    second = (weights[:, None, None] / 12.0 * corners).sum(axis=0)
    about_origin = np.trace(second) * np.eye(3) - second
    volume = total_area * wall_thickness_m
    shift = volume * (float(center @ center) * np.eye(3) - np.outer(center, center))
    return MassDistribution(volume, center, about_origin - shift)


def principal_frame(inertia: FloatArray) -> PrincipalFrame:
    """Diagonalise a symmetric inertia tensor with a deterministic, right-handed frame.

    Args:
        inertia: (3, 3) tensor about the centre of mass.

    Returns:
        Principal moments (non-negative, satisfying the triangle inequality that physics
        engines check) and the frame's rotation.
    """
    tensor = 0.5 * (inertia + inertia.T)
    diagonal = np.diag(tensor)
    off = np.abs(tensor - np.diag(diagonal)).max()
    if off <= _OFF_DIAGONAL_TOLERANCE * max(float(np.abs(diagonal).max()), 1e-300):
        return PrincipalFrame(_physical(diagonal), (1.0, 0.0, 0.0, 0.0))
    moments, axes = np.linalg.eigh(tensor)
    for k in range(3):
        if axes[np.argmax(np.abs(axes[:, k])), k] < 0:
            axes[:, k] = -axes[:, k]
    if np.linalg.det(axes) < 0:
        axes[:, 2] = -axes[:, 2]
    x, y, z, w = Rotation.from_matrix(axes).as_quat()
    quat = np.array([w, x, y, z]) * (1.0 if w >= 0 else -1.0)
    quat /= np.linalg.norm(quat)
    w_, x_, y_, z_ = (float(c) for c in quat)
    return PrincipalFrame(_physical(moments), (w_, x_, y_, z_))


def _physical(moments: FloatArray) -> tuple[float, float, float]:
    """Clamp rounding noise: non-negative and each moment <= the sum of the other two."""
    m = np.maximum(np.asarray(moments, dtype=np.float64), 0.0)
    for k in range(3):
        others = m.sum() - m[k]
        m[k] = min(m[k], others)
    return (float(m[0]), float(m[1]), float(m[2]))
