"""Reading a furniture mesh's front: which side faces the room, its flat facade and its handles.

Works in the asset frame (Z-up, origin at the bottom centre). The candidate fronts are the four
horizontal box sides (+-X, +-Y): an object's asset frame is aligned with its bounding box. A
side is "front" when handles stand out of it; failing that, when it faces away from the wall
the object stands against (smallest gap between its back and the room's bounds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import trimesh
from scipy.spatial.transform import Rotation

from tools.scene_manifest import RoomBounds, Transform

FloatArray = npt.NDArray[np.float64]
UP = np.array([0.0, 0.0, 1.0])
CANDIDATE_FRONTS = (
    np.array([0.0, -1.0, 0.0]),
    np.array([1.0, 0.0, 0.0]),
    np.array([0.0, 1.0, 0.0]),
    np.array([-1.0, 0.0, 0.0]),
)
HANDLE_MIN_PROTRUSION_M = 0.008  # a handle stands at least this far out of the facade
HANDLE_MIN_SIZE_M = 0.04  # smaller bumps are reconstruction noise
HANDLE_MAX_SIZE_M = 0.6  # longest side of a handle (fridge bar handles reach ~0.45 m)
HANDLE_MAX_WIDTH_SHARE = 0.6  # a protrusion wider than this share of the front is a top slab
WALL_CONTACT_M = 0.3
PLANE_BIN_M = 0.005  # a back closer than this to the room's bounds stands against a wall


@dataclass(frozen=True)
class Handle:
    """A protrusion of the facade: its centre and extents in the front frame.

    Attributes:
        centre: (u, z) with u along `FrontFrame.right`, z up (asset frame heights).
        size: (width along u, height along z).
        tip: how far it stands out of the facade plane, metres.
    """

    centre: tuple[float, float]
    size: tuple[float, float]
    tip: float

    @property
    def vertical(self) -> bool:
        """A bar taller than wide (a door's pull); otherwise a drawer's (or a flap's)."""
        return self.size[1] > 1.5 * self.size[0]


@dataclass(frozen=True)
class FrontFrame:
    """The front of an object: outward normal, the right hand of someone facing it, the facade.

    Attributes:
        normal: outward unit normal of the front (asset frame, horizontal).
        right: viewer's right when facing the front (= up x normal).
        plane: coordinate of the facade plane along `normal` (asset frame).
        u_range: facade extent along `right`.
        z_range: facade extent in height.
        depth: object depth along the normal.
        handles: protrusions found on the facade.
        room_gap: free space in front of the object to the room's bounds (inf if unknown).
        evidence: how the front was chosen ("handles" or "wall").
    """

    normal: FloatArray
    right: FloatArray
    plane: float
    u_range: tuple[float, float]
    z_range: tuple[float, float]
    depth: float
    handles: tuple[Handle, ...]
    room_gap: float
    evidence: str

    def point(self, u: float, s: float, z: float) -> FloatArray:
        """Asset-frame point at lateral u, depth coordinate s along the normal, height z."""
        return self.right * u + self.normal * s + UP * z


def _facade_plane(mesh: trimesh.Trimesh, normal: FloatArray) -> float:
    """The depth along `normal` that the largest area of front-facing triangles lies at."""
    facing = mesh.face_normals @ normal > 0.95
    if not facing.any():
        return float((mesh.vertices @ normal).max())
    # 5 mm bins: a reconstructed facade is noisy; the handles stand further out than that.
    depths = np.round(mesh.triangles_center[facing] @ normal / PLANE_BIN_M) * PLANE_BIN_M
    areas = mesh.area_faces[facing]
    values, inverse = np.unique(depths, return_inverse=True)
    return float(values[np.argmax(np.bincount(inverse, weights=areas))])


def _handles(
    mesh: trimesh.Trimesh, normal: FloatArray, right: FloatArray, plane: float, width: float
) -> tuple[Handle, ...]:
    depth = mesh.vertices @ normal
    out = depth > plane + HANDLE_MIN_PROTRUSION_M
    faces = np.flatnonzero(out[mesh.faces].all(axis=1))
    if not len(faces):
        return ()
    found = []
    for group in trimesh.graph.connected_components(mesh.face_adjacency, nodes=faces):
        vertices = np.unique(mesh.faces[group])
        u = mesh.vertices[vertices] @ right
        z = mesh.vertices[vertices, 2]
        size = (float(np.ptp(u)), float(np.ptp(z)))
        if (
            max(size) < HANDLE_MIN_SIZE_M
            or max(size) > HANDLE_MAX_SIZE_M
            or size[0] > HANDLE_MAX_WIDTH_SHARE * width
        ):
            continue  # a worktop's overhang or a cornice, not something to pull
        centre = (float((u.max() + u.min()) / 2), float((z.max() + z.min()) / 2))
        found.append(Handle(centre, size, float(depth[vertices].max() - plane)))
    return tuple(sorted(found, key=lambda h: (h.centre[1], h.centre[0])))


def _room_gap(transform: Transform, room: RoomBounds, normal: FloatArray, half: float) -> float:
    """Distance from the object's side (facing `normal`) to the room's bounds along it."""
    w, x, y, z = transform.rotation_wxyz
    rotation = Rotation.from_quat([x, y, z, w]).as_matrix()
    direction = rotation @ normal
    direction[2] = 0.0
    norm = float(np.linalg.norm(direction))
    if norm < 1e-6:
        return float("inf")
    direction /= norm
    start = np.asarray(transform.position) + direction * half
    lo, hi = np.asarray(room.min), np.asarray(room.max)
    steps = [
        ((hi[k] if direction[k] > 0 else lo[k]) - start[k]) / direction[k]
        for k in range(2)
        if abs(direction[k]) > 1e-9
    ]
    return max(0.0, float(min(steps)))


def _half_extent(mesh: trimesh.Trimesh, normal: FloatArray) -> float:
    return float((mesh.vertices @ normal).max())


def read_front(
    mesh: trimesh.Trimesh, transform: Transform, room: RoomBounds | None
) -> FrontFrame | None:
    """Find the object's front, facade and handles.

    Args:
        mesh: the object's mesh in its asset frame (metres).
        transform: its pose in the world (to find the wall behind it).
        room: the room's bounds (None: walls unknown, handles only).

    Returns:
        The front frame, or None when neither handles nor a wall tell which side is the front.
    """
    candidates = []
    for normal in CANDIDATE_FRONTS:
        right = np.cross(UP, normal)
        plane = _facade_plane(mesh, normal)
        width = float(np.ptp(mesh.vertices @ right))
        handles = _handles(mesh, normal, right, plane, width)
        gap = (
            float("inf")
            if room is None
            else _room_gap(transform, room, normal, _half_extent(mesh, normal))
        )
        candidates.append((normal, right, plane, handles, gap))
    with_handles = [c for c in candidates if c[3]]
    evidence = "handles"
    if len(with_handles) == 1:
        chosen = with_handles[0]
    else:
        backs = [k for k, c in enumerate(candidates) if c[4] < WALL_CONTACT_M]
        if not backs:
            return None
        # Against a wall (or two, in a corner): the front is the side opposite the closest one.
        back = min(backs, key=lambda k: (candidates[k][4], k))
        chosen = candidates[(back + 2) % 4]
        evidence = "wall"
    normal, right, plane, handles, gap = chosen
    facing = (mesh.face_normals @ normal > 0.95) & (
        np.abs(mesh.triangles_center @ normal - plane) <= PLANE_BIN_M
    )
    if not facing.any():
        return None
    corners = mesh.triangles[facing].reshape(-1, 3)
    u = corners @ right
    return FrontFrame(
        normal=normal,
        right=right,
        plane=plane,
        u_range=(float(u.min()), float(u.max())),
        z_range=(float(corners[:, 2].min()), float(corners[:, 2].max())),
        depth=float(np.ptp(mesh.vertices @ normal)),
        handles=handles,
        room_gap=gap,
        evidence=evidence,
    )
