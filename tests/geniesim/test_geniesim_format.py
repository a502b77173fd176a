"""Genie Sim format helpers: robots, names, extrinsics in both of Genie Sim's forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tools.geniesim_format import (
    UnsupportedRobotError,
    assets,
    genie_sim_robot,
    results,
    robot_for_meta_type,
)


def test_only_g1_and_g2_are_supported() -> None:
    """G1 and G2 resolve; anything else is refused with the supported list."""
    assert genie_sim_robot("G2").robot_cfg == "G2_omnipicker_fixed_dual.json"
    with pytest.raises(UnsupportedRobotError, match="supports only G1, G2"):
        genie_sim_robot("franka_panda")
    assert robot_for_meta_type("A2D") is genie_sim_robot("G1")


def test_names_are_prim_safe_and_unique_per_scene() -> None:
    """Object folders carry the scene id; ids starting with a digit get a prefix."""
    assert assets.object_dir_name("k-1", "cup_1") == "k_1__cup_1"
    assert assets.prim_safe("3d-box") == "o_3d_box"
    assert assets.task_name("k", "cup-to-plate") == "k__cup_to_plate"


def test_sensor_names_follow_the_writer() -> None:
    """Video camera names map to the parameter file names Genie Sim writes."""
    assert results.sensor_camera_name("head") == "head_front_rgbd"
    assert results.sensor_camera_name("hand_left") == "hand_left_rgbd"
    assert results.sensor_camera_name("head_stereo_left") == "head_left_stereo"


def test_extrinsic_forms_are_both_accepted_and_checked() -> None:
    """rotation_matrix/translation_vector (writer) and rotation/translation (converter)."""
    c, s = math.cos(0.3), math.sin(0.3)
    rotation = [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
    writer = {"extrinsic": {"rotation_matrix": rotation, "translation_vector": [1, 2, 3]}}
    converter = {"rotation": rotation, "translation": [1, 2, 3]}
    assert np.allclose(results.parse_extrinsic(writer), results.parse_extrinsic(converter))
    for bad in ({"rotation": [[2, 0, 0], [0, 1, 0], [0, 0, 1]], "translation": [0, 0, 0]},
                {"rotation": rotation, "translation": [0, float("nan"), 0]},
                {"extrinsic": {"rotation_matrix": rotation}}, [1, 2]):  # fmt: skip
        with pytest.raises(ValueError):
            results.parse_extrinsic(bad)


def test_episode_folder_names_match_genie_sims_recorder() -> None:
    """`[<task>_<i>]` (with a suffix on repeats) and the bare form parse; broken brackets not."""
    pattern = results.EPISODE_DIR_PATTERN
    name = results.episode_dir_name("scene__cup-to-plate", 3)
    match = pattern.match(name)
    assert name == "[scene__cup-to-plate_3]" and match is not None
    assert (match["task"], match["index"], match["suffix"]) == ("scene__cup-to-plate", "3", "")
    repeat = pattern.match(name + "_1")
    assert repeat is not None and repeat["suffix"] == "_1"
    assert pattern.match("scene__cup_3") is not None
    assert pattern.match("[scene__cup_3") is None and pattern.match("scene__cup_3]") is None
