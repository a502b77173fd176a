"""Minimal binary glTF (GLB) reader and writer: triangle geometry in, positions rewritten out."""

from __future__ import annotations

import copy
import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tools.rotations import quat_to_matrix

_MAGIC = 0x46546C67  # b"glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942
_TRIANGLES = 4
_FLOAT = 5126
_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_DTYPES = {5120: "<i1", 5121: "<u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
_INDEX_TYPES = {5121, 5123, 5125}
_DROPPED_ATTRIBUTES = ("NORMAL", "TANGENT")  # stale once the vertices move; viewers recompute
_MAX_NODE_DEPTH = 64
_IDENTITY = np.eye(4)

Matrix4 = NDArray[np.float64]


class GlbError(ValueError):
    """The bytes are not a GLB this reader accepts; the message says why."""


@dataclass(frozen=True)
class _Primitive:
    accessor: int
    world: Matrix4
    start: int
    stop: int


@dataclass(frozen=True)
class GlbDocument:
    """A parsed GLB: its JSON and binary chunk, plus every triangle in the scene frame.

    Attributes:
        vertices: (N, 3) float64 positions with node transforms applied, primitives concatenated
            in scene-traversal order (the order of the file's vertices within each primitive).
        faces: (M, 3) int64 indices into `vertices`.
    """

    gltf: dict[str, Any]
    binary: bytes
    vertices: NDArray[np.float64]
    faces: NDArray[np.int64]
    primitives: tuple[_Primitive, ...]


def parse_glb(data: bytes) -> GlbDocument:
    """Parse a GLB's triangle geometry.

    Args:
        data: the file's bytes.

    Returns:
        The document with its vertices and faces.

    Raises:
        GlbError: not a GLB, malformed, external references, unsupported features, no
            triangles, indices out of range or non-finite positions.
    """
    gltf, binary = _split_chunks(data)
    try:
        return _parse_document(gltf, binary)
    except GlbError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise GlbError(f"malformed glTF JSON ({type(exc).__name__}: {exc})") from None


def rewrite_positions(
    doc: GlbDocument, vertices: NDArray[np.float64], extras: dict[str, Any]
) -> bytes | None:
    """Return the same GLB (materials, UVs, textures) with new vertex positions.

    Args:
        doc: the parsed source document.
        vertices: (N, 3) new positions, in the order of `doc.vertices`.
        extras: written to `asset.extras`.

    Returns:
        The new file's bytes, or None when a POSITION accessor is shared (instanced meshes)
        so the positions cannot be rewritten one-to-one.
    """
    accessors = [p.accessor for p in doc.primitives]
    if len(set(accessors)) != len(accessors) or vertices.shape != doc.vertices.shape:
        return None
    gltf = copy.deepcopy(doc.gltf)
    binary = bytearray(doc.binary)
    for prim in doc.primitives:
        inverse: Matrix4 = np.asarray(np.linalg.inv(prim.world), dtype=np.float64)
        local = _transform(inverse, vertices[prim.start : prim.stop])
        values = local.astype(np.float32)
        accessor = gltf["accessors"][prim.accessor]
        offset, stride = _layout(gltf, accessor, 12)
        view = np.ndarray(values.shape, "<f4", buffer=binary, offset=offset, strides=(stride, 4))
        view[:] = values
        accessor["min"] = [float(v) for v in values.min(axis=0)]
        accessor["max"] = [float(v) for v in values.max(axis=0)]
    for mesh in gltf.get("meshes", []):
        for primitive in mesh.get("primitives", []):
            for name in _DROPPED_ATTRIBUTES:
                primitive.get("attributes", {}).pop(name, None)
    gltf.setdefault("asset", {"version": "2.0"})["extras"] = extras
    return _pack(gltf, bytes(binary))


def write_glb(
    vertices: NDArray[np.float64], faces: NDArray[np.int64], extras: dict[str, Any]
) -> bytes:
    """Encode an untextured triangle mesh as a GLB (float32 positions, uint32 indices).

    Args:
        vertices: (N, 3) positions.
        faces: (M, 3) vertex indices.
        extras: written to `asset.extras`.

    Returns:
        The file's bytes.
    """
    positions = np.ascontiguousarray(vertices, dtype="<f4")
    indices = np.ascontiguousarray(faces, dtype="<u4").reshape(-1)
    pos_bytes = positions.tobytes()
    gltf: dict[str, Any] = {
        "asset": {"version": "2.0", "generator": "blueprint regen3d ingest", "extras": extras},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1, "mode": 4}]}],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": _FLOAT,
                "count": len(positions),
                "type": "VEC3",
                "min": [float(v) for v in positions.min(axis=0)],
                "max": [float(v) for v in positions.max(axis=0)],
            },
            {"bufferView": 1, "componentType": 5125, "count": len(indices), "type": "SCALAR"},
        ],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": len(pos_bytes), "target": 34962},
            {
                "buffer": 0,
                "byteOffset": len(pos_bytes),
                "byteLength": indices.nbytes,
                "target": 34963,
            },
        ],
        "buffers": [{"byteLength": len(pos_bytes) + indices.nbytes}],
    }
    return _pack(gltf, pos_bytes + indices.tobytes())


def _split_chunks(data: bytes) -> tuple[dict[str, Any], bytes]:
    if len(data) < 20:
        raise GlbError("too short to be a GLB")
    magic, version, length = struct.unpack_from("<III", data, 0)
    if magic != _MAGIC:
        raise GlbError("not a GLB (bad magic)")
    if version != 2:
        raise GlbError(f"glTF version {version} is not supported (need 2)")
    if length != len(data):
        raise GlbError(f"header says {length} bytes, file has {len(data)} (truncated?)")
    chunks: list[tuple[int, bytes]] = []
    offset = 12
    while offset < length:
        if offset + 8 > length:
            raise GlbError("truncated chunk header")
        size, kind = struct.unpack_from("<II", data, offset)
        if offset + 8 + size > length:
            raise GlbError("chunk runs past the end of the file")
        chunks.append((kind, data[offset + 8 : offset + 8 + size]))
        offset += 8 + size
    if not chunks or chunks[0][0] != _CHUNK_JSON:
        raise GlbError("first chunk is not JSON")
    try:
        gltf = json.loads(chunks[0][1].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GlbError(f"JSON chunk does not decode ({exc})") from None
    if not isinstance(gltf, dict):
        raise GlbError("JSON chunk is not an object")
    binary = chunks[1][1] if len(chunks) > 1 and chunks[1][0] == _CHUNK_BIN else b""
    return gltf, binary


def _parse_document(gltf: dict[str, Any], binary: bytes) -> GlbDocument:
    required = gltf.get("extensionsRequired") or []
    if required:
        raise GlbError(f"needs unsupported extension(s): {', '.join(map(str, required))}")
    if any("uri" in buffer for buffer in gltf.get("buffers", [])):
        raise GlbError("a buffer references a URI (only the GLB binary chunk is read)")
    for image in gltf.get("images", []):
        if not str(image.get("uri", "data:")).startswith("data:"):
            raise GlbError("an image references an external file (refused)")
    vertices: list[NDArray[np.float64]] = []
    faces: list[NDArray[np.int64]] = []
    primitives: list[_Primitive] = []
    count = 0
    for node_index, world in _mesh_nodes(gltf):
        mesh = gltf["meshes"][gltf["nodes"][node_index]["mesh"]]
        for primitive in mesh["primitives"]:
            if primitive.get("mode", _TRIANGLES) != _TRIANGLES:
                continue
            accessor_index = int(primitive["attributes"]["POSITION"])
            accessor = gltf["accessors"][accessor_index]
            if accessor["componentType"] != _FLOAT or accessor["type"] != "VEC3":
                raise GlbError("POSITION must be float32 VEC3 (quantized meshes unsupported)")
            positions = _read_accessor(gltf, binary, accessor_index).astype(np.float64)
            tris = _triangles(gltf, binary, primitive, len(positions))
            vertices.append(_transform(world, positions))
            faces.append(tris + count)
            primitives.append(_Primitive(accessor_index, world, count, count + len(positions)))
            count += len(positions)
    if not primitives or count == 0:
        raise GlbError("contains no triangle mesh")
    all_vertices = np.concatenate(vertices)
    if not np.isfinite(all_vertices).all():
        raise GlbError("vertex positions contain NaN or Inf")
    return GlbDocument(gltf, binary, all_vertices, np.concatenate(faces), tuple(primitives))


def _mesh_nodes(gltf: dict[str, Any]) -> list[tuple[int, Matrix4]]:
    nodes = gltf.get("nodes", [])
    scenes = gltf.get("scenes")
    if scenes:
        roots = list(scenes[int(gltf.get("scene", 0))].get("nodes", []))
    else:
        children = {c for node in nodes for c in node.get("children", [])}
        roots = [i for i in range(len(nodes)) if i not in children]
    found: list[tuple[int, Matrix4]] = []
    stack: list[tuple[int, Matrix4, int]] = [(int(r), np.eye(4), 0) for r in reversed(roots)]
    visited: set[int] = set()
    while stack:
        index, parent, depth = stack.pop()
        if index in visited or depth > _MAX_NODE_DEPTH:
            raise GlbError("node graph has a cycle or is too deep")
        visited.add(index)
        node = nodes[index]
        world = parent @ _local_matrix(node)
        if "mesh" in node:
            found.append((index, world))
        for child in reversed(node.get("children", [])):
            stack.append((int(child), world, depth + 1))
    return found


def _local_matrix(node: dict[str, Any]) -> Matrix4:
    if "matrix" in node:
        return np.asarray(node["matrix"], dtype=np.float64).reshape(4, 4).T  # column-major
    x, y, z, w = (float(v) for v in node.get("rotation", (0.0, 0.0, 0.0, 1.0)))  # glTF: xyzw
    rotation = quat_to_matrix((w, x, y, z))
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * np.asarray(node.get("scale", (1.0, 1.0, 1.0)), dtype=np.float64)
    matrix[:3, 3] = np.asarray(node.get("translation", (0.0, 0.0, 0.0)), dtype=np.float64)
    return matrix


def _triangles(
    gltf: dict[str, Any], binary: bytes, primitive: dict[str, Any], n_vertices: int
) -> NDArray[np.int64]:
    if "indices" in primitive:
        accessor = gltf["accessors"][int(primitive["indices"])]
        if accessor["componentType"] not in _INDEX_TYPES or accessor["type"] != "SCALAR":
            raise GlbError("indices must be unsigned integer scalars")
        flat = _read_accessor(gltf, binary, int(primitive["indices"])).reshape(-1)
    else:
        flat = np.arange(n_vertices)
    if len(flat) % 3:
        raise GlbError("triangle index count is not a multiple of 3")
    tris = flat.astype(np.int64).reshape(-1, 3)
    if len(tris) and int(tris.max()) >= n_vertices:
        raise GlbError("a triangle index is out of range")
    return tris


def _read_accessor(gltf: dict[str, Any], binary: bytes, index: int) -> NDArray[Any]:
    accessor = gltf["accessors"][index]
    if "sparse" in accessor:
        raise GlbError("sparse accessors are not supported")
    dtype = np.dtype(_DTYPES[int(accessor["componentType"])])
    width = _COMPONENTS[accessor["type"]]
    count = int(accessor["count"])
    if count < 0 or "bufferView" not in accessor:
        raise GlbError(f"accessor {index} has no data")
    offset, stride = _layout(gltf, accessor, dtype.itemsize * width)
    if count and offset + stride * (count - 1) + dtype.itemsize * width > len(binary):
        raise GlbError(f"accessor {index} reaches past the binary chunk")
    return np.ndarray(
        (count, width), dtype, buffer=binary, offset=offset, strides=(stride, dtype.itemsize)
    ).copy()


def _layout(gltf: dict[str, Any], accessor: dict[str, Any], element: int) -> tuple[int, int]:
    """Byte offset of an accessor's first element and its stride, checked against its view."""
    view = gltf["bufferViews"][int(accessor["bufferView"])]
    if int(view.get("buffer", 0)) != 0:
        raise GlbError("only the GLB binary buffer is supported")
    stride = int(view.get("byteStride") or element)
    start = int(view.get("byteOffset", 0))
    inner = int(accessor.get("byteOffset", 0))
    count = int(accessor["count"])
    if stride < element or start < 0 or inner < 0:
        raise GlbError("a buffer view has an invalid layout")
    if count and inner + stride * (count - 1) + element > int(view["byteLength"]):
        raise GlbError("an accessor reaches past its buffer view")
    return start + inner, stride


def _transform(matrix: Matrix4, points: NDArray[np.float64]) -> NDArray[np.float64]:
    if np.array_equal(matrix, _IDENTITY):  # 3D-RE-GEN's nodes: skip a pass over dense meshes
        return points
    result: NDArray[np.float64] = points @ matrix[:3, :3].T + matrix[:3, 3]
    return result


def _pack(gltf: dict[str, Any], binary: bytes) -> bytes:
    if binary:
        gltf.setdefault("buffers", [{}])[0]["byteLength"] = len(binary)
    text = json.dumps(gltf, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * (-len(text) % 4)
    payload = binary + b"\x00" * (-len(binary) % 4)
    total = 12 + 8 + len(text) + (8 + len(payload) if payload else 0)
    parts = [struct.pack("<III", _MAGIC, 2, total), struct.pack("<II", len(text), _CHUNK_JSON)]
    parts.append(text)
    if payload:
        parts += [struct.pack("<II", len(payload), _CHUNK_BIN), payload]
    return b"".join(parts)
