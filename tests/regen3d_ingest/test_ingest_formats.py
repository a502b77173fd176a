"""Contracts of the ingest's formats: GLB read/rewrite, id sanitizing, label categories."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from regen3d_ingest_job.categories import classify, known_categories, sim_role
from regen3d_ingest_job.glb import GlbError, parse_glb, rewrite_positions, write_glb
from regen3d_ingest_job.ids import IdAllocator, parse_source_id, slug, traversal_problem
from regen3d_ingest_job.scale import load_priors
from tools.scene_manifest import SimRole, is_safe_id


def _textured_glb() -> tuple[trimesh.Trimesh, bytes]:
    mesh = trimesh.creation.icosphere(subdivisions=2)
    uv = np.random.default_rng(0).random((len(mesh.vertices), 2))
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (4, 4), (9, 8, 7)))
    return mesh, mesh.export(file_type="glb")


def test_parse_glb_reads_a_trimesh_export_in_order() -> None:
    """Vertices and faces of a third-party GLB come back unchanged and in order."""
    mesh, data = _textured_glb()
    doc = parse_glb(data)
    assert np.allclose(doc.vertices, mesh.vertices, atol=1e-6)
    assert np.array_equal(doc.faces, mesh.faces)


def test_parse_glb_applies_node_transforms() -> None:
    """A translated node's vertices are returned in the scene frame."""
    scene = trimesh.Scene()
    box = trimesh.creation.box()
    scene.add_geometry(box, transform=trimesh.transformations.translation_matrix([1, 2, 3]))
    doc = parse_glb(scene.export(file_type="glb"))
    assert np.allclose(doc.vertices, box.vertices + np.array([1, 2, 3]), atol=1e-6)


def test_rewrite_positions_keeps_texture_and_uvs() -> None:
    """Rewritten GLBs keep image bytes and UVs; only positions (and their bounds) change."""
    mesh, data = _textured_glb()
    doc = parse_glb(data)
    moved = doc.vertices * 2.0 + 1.0
    out = rewrite_positions(doc, moved, {"up_axis": "Z"})
    assert out is not None
    again = parse_glb(out)
    assert np.allclose(again.vertices, moved, atol=1e-5)
    loaded = trimesh.load(io.BytesIO(out), file_type="glb", force="mesh", process=False)
    assert np.allclose(loaded.visual.uv, mesh.visual.uv, atol=1e-6)
    assert again.gltf["asset"]["extras"] == {"up_axis": "Z"}
    position = again.gltf["meshes"][0]["primitives"][0]["attributes"]["POSITION"]
    assert again.gltf["accessors"][position]["max"] == pytest.approx(moved.max(axis=0), abs=1e-5)
    image_view = doc.gltf["images"][0]["bufferView"]
    assert _view_bytes(again, image_view) == _view_bytes(doc, image_view)


def _view_bytes(doc, index: int) -> bytes:
    view = doc.gltf["bufferViews"][index]
    start = view.get("byteOffset", 0)
    return bytes(doc.binary[start : start + view["byteLength"]])


def test_write_glb_round_trips() -> None:
    """The plain writer's output parses back to the same mesh, also in trimesh."""
    box = trimesh.creation.box(extents=(1, 2, 3))
    data = write_glb(box.vertices, box.faces, {"k": "v"})
    doc = parse_glb(data)
    assert np.allclose(doc.vertices, box.vertices) and np.array_equal(doc.faces, box.faces)
    loaded = trimesh.load(io.BytesIO(data), file_type="glb", force="mesh", process=False)
    assert np.allclose(loaded.vertices, box.vertices)


def _with_json(data: bytes, edit) -> bytes:
    length = struct.unpack_from("<I", data, 12)[0]
    gltf = json.loads(data[20 : 20 + length])
    edit(gltf)
    binary = data[20 + length + 8 :]
    text = json.dumps(gltf).encode()
    text += b" " * (-len(text) % 4)
    total = 12 + 8 + len(text) + 8 + len(binary)
    return (
        struct.pack("<III", 0x46546C67, 2, total)
        + struct.pack("<II", len(text), 0x4E4F534A)
        + text
        + struct.pack("<II", len(binary), 0x004E4942)
        + binary
    )


@pytest.mark.parametrize(
    ("corrupt", "problem"),
    [
        (lambda d: b"", "too short"),
        (lambda d: b"PK\x03\x04" + d[4:], "bad magic"),
        (lambda d: d[: len(d) // 2], "truncated"),
        (lambda d: d[:20] + b"{not json" + d[29:], "JSON"),
        (lambda d: _with_json(d, lambda g: g["buffers"][0].update(uri="../../x.bin")), "URI"),
        (lambda d: _with_json(d, lambda g: g["accessors"][1].update(count=10**9)), "past"),
        (lambda d: _with_json(d, lambda g: g.update(extensionsRequired=["KHR_draco"])), "draco"),
        (lambda d: _with_json(d, lambda g: g.pop("meshes")), "malformed"),
    ],
)
def test_parse_glb_refuses_corrupt_files(corrupt, problem: str) -> None:
    """Corrupt or hostile GLBs raise GlbError saying what is wrong."""
    box = trimesh.creation.box()
    with pytest.raises(GlbError, match=problem):
        parse_glb(corrupt(write_glb(box.vertices, box.faces, {})))


def test_parse_glb_refuses_out_of_range_indices() -> None:
    """A face index beyond the vertex count is refused."""
    box = trimesh.creation.box()
    faces = box.faces.copy()
    faces[0, 0] = 999
    with pytest.raises(GlbError, match="out of range"):
        parse_glb(write_glb(box.vertices, faces, {}))


def test_source_ids_parse_and_sanitize() -> None:
    """`<label>__(<cx>, <cy>)` becomes `<label>_<cx>_<cy>`, lower-case and unique."""
    source = parse_source_id("Coffee_Mug__(512, 388)")
    assert (source.label, source.pixel, source.readable_label) == (
        "Coffee_Mug",
        (512, 388),
        "Coffee Mug",
    )
    ids = IdAllocator(reserved=("room",))
    first = ids.allocate(source)
    assert first == "coffee_mug_512_388"
    assert ids.allocate(source) == "coffee_mug_512_388_2"
    assert ids.allocate(parse_source_id("room")) == "room_2"
    weird = ids.allocate(parse_source_id("Ünïcode ☃ lamp__(1, 2)"))
    assert is_safe_id(weird) and weird.endswith("lamp_1_2")
    assert is_safe_id(ids.allocate(parse_source_id("☃☃☃")))
    assert is_safe_id(ids.allocate(parse_source_id("x" * 400 + "__(1, 2)")))
    assert parse_source_id("no_pixels").pixel is None
    assert slug(" A.B  c ") == "a_b_c"


@pytest.mark.parametrize(
    "raw", ["..__(1, 2)", "../x__(1, 2)", "..\\x__(1, 2)", "a.b__(1, 2)", ".hidden", "a\x00b"]
)
def test_traversal_labels_are_flagged(raw: str) -> None:
    """Labels with dots, slashes, backslashes or control characters are never used."""
    assert traversal_problem(raw) is not None


def test_ordinary_labels_pass_the_traversal_check() -> None:
    """Real 3D-RE-GEN ids are not flagged."""
    for raw in ("coffee_mug__(512, 388)", "table__(1, 2)", "floor__(0, 0)"):
        assert traversal_problem(raw) is None


@pytest.mark.parametrize(
    ("label", "category", "role", "size"),
    [
        ("coffee mug", "mug", SimRole.MANIPULABLE, 0.1),
        ("Dining Table", "table", SimRole.STATIC, 1.5),
        ("kitchen_counter", "counter", SimRole.STATIC, 2.0),
        ("shelving rack", "shelving_rack", SimRole.STATIC, 2.0),
        ("floor lamp", "lamp", SimRole.STATIC, 1.6),
        ("walls", "wall", SimRole.BACKGROUND, 5.0),
        ("pen holder", "cup", SimRole.MANIPULABLE, 0.1),
        ("plastic crate", "crate", SimRole.MANIPULABLE, 0.55),
        ("cardboard boxes", "box", SimRole.STATIC, 1.0),
        ("widget", "widget", SimRole.DISTRACTOR, 0.2),
        ("mystery machine", "mystery_machine", SimRole.STATIC, 1.2),
    ],
)
def test_labels_map_to_categories_and_roles(
    label: str, category: str, role: SimRole, size: float
) -> None:
    """Furniture is static, small graspables manipulable, room classes background."""
    found = classify(label)
    assert found.name == category
    assert sim_role(found, size) is role


def test_every_prior_category_is_a_known_category() -> None:
    """The size-prior table and the category table agree."""
    assert set(load_priors()) <= set(known_categories())


def test_size_priors_doc_lists_every_category_and_source() -> None:
    """docs/SIZE_PRIORS.md documents every category of the table and every source key."""
    doc = (Path(__file__).parents[2] / "docs" / "SIZE_PRIORS.md").read_text()
    for name, prior in load_priors().items():
        assert f"| `{name}` |" in doc, name
        assert f"- `{prior.source}` —" in doc, prior.source
