"""Ids, masks, the working image, per-object points and camera.npz follow 3D-RE-GEN's layout."""

from __future__ import annotations

import re

import numpy as np
import trimesh
from PIL import Image

ID_PATTERN = re.compile(r"^(?P<label>[a-z0-9_]+)__\((?P<cx>\d+), (?P<cy>\d+)\)$")


def test_ids_follow_the_pattern_and_box_centre(mock_scene) -> None:
    """Ids are `<label>__(<cx>, <cy>)` with the box centre (nudged right only on collisions)."""
    objects = mock_scene.truth["objects"]
    for object_id, obj in objects.items():
        match = ID_PATTERN.match(object_id)
        assert match, object_id
        assert match["label"] == obj["label"].replace(" ", "_").replace(".", "_")
        x0, y0, x1, y1 = obj["box_2d_px"]
        cx, cy = int(match["cx"]), int(match["cy"])
        assert cy == min((y0 + y1) // 2, 767)
        assert 0 <= cx - min((x0 + x1) // 2, 1023) <= 3
    assert mock_scene.truth["work_surface"] in objects
    assert set(mock_scene.truth["label_categories"]) == {o["label"] for o in objects.values()}


def test_masks_are_binary_1024_wide_and_match_boxes(mock_scene) -> None:
    """masks/<id>.png: 1024 x 768, values 0/255, box and pixel count as in the truth."""
    for object_id, obj in mock_scene.truth["objects"].items():
        mask = np.asarray(Image.open(mock_scene.root / "output" / "masks" / f"{object_id}.png"))
        assert mask.shape == (768, 1024)
        assert set(np.unique(mask)) <= {0, 255}
        on = mask > 0
        assert on.sum() == obj["visible_pixels"]
        if obj["visible_pixels"]:
            ys, xs = np.nonzero(on)
            assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == obj["box_2d_px"]


def test_work_surface_items_are_visible(mock_scene) -> None:
    """Every graspable object on the work surface shows in the working image."""
    truth = mock_scene.truth
    for object_id, obj in truth["objects"].items():
        if obj["support"] == truth["work_surface"]:
            assert obj["visible_pixels"] > 50, object_id


def test_working_image(mock_scene) -> None:
    """tmp/converted_from_webp.png is a 1024 x 768 RGB render with objects in it."""
    image = Image.open(mock_scene.root / "tmp" / "converted_from_webp.png")
    assert image.mode == "RGB"
    assert image.size == (1024, 768)
    packed = np.asarray(image).astype(np.int64) @ [65536, 256, 1]
    assert len(np.unique(packed)) > 20


def test_camera_npz(mock_scene) -> None:
    """camera.npz has the tool's keys; focal and camera_angle_x agree with the truth."""
    with np.load(mock_scene.root / "output" / "pre_3D" / "camera.npz") as data:
        assert sorted(data.files) == ["camera_angle_x", "extrinsic", "focal", "image_size"]
        assert data["extrinsic"].shape == (4, 4)
        width, height = data["image_size"].tolist()
        focal, angle = float(data["focal"]), float(data["camera_angle_x"])
    assert (width, height) == (1024, 768)
    assert np.isclose(angle, 2 * np.arctan(width / (2 * focal)), rtol=1e-6)
    assert np.isclose(focal, mock_scene.truth["camera"]["focal_px"], rtol=1e-6)


def test_object_point_clouds_lie_on_their_meshes(mock_scene) -> None:
    """pointclouds/<id>.ply holds 300 points within the posed mesh's bounds (scene frame)."""
    for object_id in mock_scene.truth["objects"]:
        points = trimesh.load(mock_scene.root / "output" / "pointclouds" / f"{object_id}.ply")
        assert isinstance(points, trimesh.PointCloud)
        bounds = mock_scene.posed(object_id).bounds
        assert points.vertices.shape == (300, 3)
        assert (points.vertices >= bounds[0] - 1e-5).all()
        assert (points.vertices <= bounds[1] + 1e-5).all()


def test_visible_objects_project_into_their_boxes(mock_scene) -> None:
    """Projecting a visible object's mesh with K lands around its 2D box (frames agree)."""
    truth = mock_scene.truth
    focal = truth["camera"]["focal_px"]
    for object_id, obj in truth["objects"].items():
        if obj["visible_pixels"] < 200:
            continue
        vertices = mock_scene.posed(object_id).vertices
        u = 512 + focal * vertices[:, 0] / -vertices[:, 2]
        v = 384 - focal * vertices[:, 1] / -vertices[:, 2]
        x0, y0, x1, y1 = obj["box_2d_px"]
        assert u.min() <= x0 + 1 and u.max() >= x1 - 1, object_id
        assert v.min() <= y0 + 1 and v.max() >= y1 - 1, object_id
