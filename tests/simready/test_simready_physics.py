"""Mass properties, priors and physics values of the simready step."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import trimesh
from scipy.spatial.transform import Rotation

from simready_job.mass_properties import principal_frame, shell_distribution, solid_distribution
from simready_job.material_priors import Structure, load_prior_table
from simready_job.mesh_repair import DegenerateMeshError, prepare_mesh
from simready_job.physics_model import estimate_mass, make_physics, randomization_ranges
from tools.errors import ConfigError

TABLE = load_prior_table()


def test_box_mass_and_inertia_match_the_analytic_values():
    """A solid box: m = rho abc, Ixx = m (b^2 + c^2) / 12, centre at the box centre."""
    a, b, c, rho = 0.3, 0.2, 0.1, 700.0
    box = trimesh.creation.box(extents=[a, b, c])
    box.apply_translation([0, 0, c / 2])
    dist = solid_distribution(box)
    mass, inertia = dist.scaled(rho)
    m = rho * a * b * c
    assert mass == pytest.approx(m, rel=1e-9)
    expected = [m * (b * b + c * c) / 12, m * (a * a + c * c) / 12, m * (a * a + b * b) / 12]
    assert np.diag(inertia) == pytest.approx(expected, rel=1e-9)
    assert dist.center == pytest.approx([0, 0, c / 2], abs=1e-12)
    frame = principal_frame(inertia)
    assert frame.rotation_wxyz == (1.0, 0.0, 0.0, 0.0)
    assert frame.moments == pytest.approx(expected, rel=1e-9)


def test_cylinder_mass_and_inertia_match_the_analytic_values():
    """A solid cylinder: Izz = m r^2 / 2, Ixx = m (3 r^2 + h^2) / 12 (fine tessellation)."""
    r, h, rho = 0.05, 0.2, 1000.0
    cylinder = trimesh.creation.cylinder(radius=r, height=h, sections=256)
    mass, inertia = solid_distribution(cylinder).scaled(rho)
    m = rho * math.pi * r * r * h
    assert mass == pytest.approx(m, rel=1e-3)
    assert inertia[2, 2] == pytest.approx(m * r * r / 2, rel=2e-3)
    assert inertia[0, 0] == pytest.approx(m * (3 * r * r + h * h) / 12, rel=2e-3)


def test_thin_shell_inertia_of_a_sphere_is_two_thirds_m_r_squared():
    """The shell model integrates the surface: a spherical shell has I = 2/3 m r^2."""
    r = 0.1
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=r)
    dist = shell_distribution(sphere, 0.002)
    mass, inertia = dist.scaled(1000.0)
    assert dist.material_volume_m3 == pytest.approx(4 * math.pi * r * r * 0.002, rel=2e-3)
    assert np.diag(inertia) == pytest.approx([2 / 3 * mass * r * r] * 3, rel=3e-3)


def test_principal_axes_recover_a_rotated_box():
    """A rotated box's tensor is diagonalised by a right-handed frame into its moments."""
    box = trimesh.creation.box(extents=[0.4, 0.2, 0.1])
    rotation = Rotation.from_euler("xyz", [0.3, -0.5, 1.1])
    box.apply_transform(np.block([[rotation.as_matrix(), np.zeros((3, 1))], [0, 0, 0, 1]]))
    inertia = solid_distribution(box).inertia
    frame = principal_frame(inertia)
    w, x, y, z = frame.rotation_wxyz
    axes = Rotation.from_quat([x, y, z, w]).as_matrix()
    assert np.linalg.det(axes) == pytest.approx(1.0)
    assert axes.T @ inertia @ axes == pytest.approx(np.diag(frame.moments), abs=1e-12)


@pytest.mark.parametrize("category", sorted(TABLE.categories))
def test_every_category_gives_a_plausible_bulk_density(category):
    """mass / mesh volume stays within [50, 20000] kg/m^3 for a solid blob of any size."""
    prior = TABLE.resolve(category)
    for size in (0.05, 0.3, 1.5):
        blob = trimesh.creation.box(extents=[size, size * 0.8, size * 0.6])
        model = estimate_mass(blob, (1.0, 1.0, 1.0), prior, TABLE)
        assert 50.0 <= model.mass_kg / blob.volume <= 20000.0, (category, size)


def test_table_densities_are_within_the_acceptance_bounds_before_any_clamp():
    """Every material and bulk density of the table itself lies within [50, 20000] kg/m^3."""
    for name, material in TABLE.materials.items():
        assert 50.0 <= material.density_kg_m3 <= 20000.0, name
    for name, entry in TABLE.categories.items():
        if entry.bulk_density_kg_m3 is not None:
            assert 50.0 <= entry.bulk_density_kg_m3 <= 20000.0, name


def test_hollow_categories_use_the_shell_model_on_closed_blobs():
    """A closed mug-sized blob weighs like a ceramic shell, not a solid ceramic block."""
    blob = trimesh.creation.cylinder(radius=0.04, height=0.1, sections=64)
    model = estimate_mass(blob, (1.0, 1.0, 1.0), TABLE.resolve("mug"), TABLE)
    assert model.model == "shell"
    assert 0.15 < model.mass_kg < 0.6
    for category in ("mug", "bowl", "box", "bin", "crate", "cabinet", "shelf"):
        assert TABLE.resolve(category).shape.structure is Structure.SHELL


def test_modelled_walls_use_the_solid_volume():
    """A cup whose walls are modelled is already thin: its material volume is the mesh volume."""
    profile = np.array([[0, 0], [0.04, 0], [0.04, 0.1], [0.035, 0.1], [0.035, 0.008], [0, 0.008]])
    cup = trimesh.creation.revolve(profile, sections=48)
    model = estimate_mass(cup, (1.0, 1.0, 1.0), TABLE.resolve("mug"), TABLE)
    assert model.model == "solid"
    assert model.mass_kg == pytest.approx(cup.volume * 2400.0, rel=1e-6)


def test_scale_is_applied_before_physical_values():
    """A scaled asset weighs what its scaled body does; the centre of mass stays in asset units."""
    box = trimesh.creation.box(extents=[0.1, 0.1, 0.1])
    box.apply_translation([0, 0, 0.05])
    prior = TABLE.resolve("book")
    unit = estimate_mass(box, (1.0, 1.0, 1.0), prior, TABLE)
    doubled = estimate_mass(box, (2.0, 2.0, 2.0), prior, TABLE)
    assert doubled.mass_kg == pytest.approx(8 * unit.mass_kg)
    assert doubled.center_of_mass == pytest.approx(unit.center_of_mass)


def test_friction_order_holds_in_the_table_and_in_every_range():
    """dynamic <= static for every material, and for any two samples of the ranges."""
    for name, material in TABLE.materials.items():
        assert material.dynamic_friction <= material.static_friction, name
        assert 0.0 <= material.restitution <= 1.0
        ranges = randomization_ranges(1.0, material.static_friction, material.dynamic_friction)
        assert ranges["dynamic_friction"][1] <= ranges["static_friction"][0], name
    ranges = randomization_ranges(2.0, 0.5, 0.5)
    assert ranges["mass_kg"] == pytest.approx((1.6, 2.4))
    assert ranges["dynamic_friction"][1] <= ranges["static_friction"][0]


def test_make_physics_lowers_dynamic_friction_to_static():
    """make_physics never writes dynamic > static (the manifest would refuse it)."""
    box = trimesh.creation.box(extents=[0.1, 0.1, 0.1])
    model = estimate_mass(box, (1.0, 1.0, 1.0), TABLE.resolve("box"), TABLE)
    physics = make_physics(
        model,
        static_friction=0.4,
        dynamic_friction=0.6,
        restitution=0.2,
        material="cardboard",
        source="priors",
    )
    assert physics.dynamic_friction == physics.static_friction == 0.4
    assert sum(c * c for c in physics.principal_axes_wxyz) == pytest.approx(1.0)


def test_unknown_categories_and_aliases_resolve():
    """Aliases and last words map to entries; anything else gets the default prior."""
    assert TABLE.resolve("Coffee Mug").category == "mug"
    assert TABLE.resolve("metal_shelf").category == "shelf"
    assert TABLE.resolve("zzz unknown").category == TABLE.default_category
    assert TABLE.resolve("bottle", "glass").material_name == "glass"
    assert TABLE.resolve("bottle", "unobtainium").material_name == "plastic"


def test_a_broken_prior_table_is_refused(tmp_path: Path):
    """A table whose category names an unknown material fails with ConfigError."""
    data = json.loads(TABLE.model_dump_json())
    data["categories"]["mug"]["material"] = "unobtainium"
    path = tmp_path / "priors.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="unobtainium"):
        load_prior_table(path)


def test_a_mesh_with_a_small_hole_is_repaired_with_a_note():
    """A box missing one triangle is closed again, and the repair is noted."""
    box = trimesh.creation.box(extents=[0.2, 0.1, 0.1])
    holed = trimesh.Trimesh(box.vertices, box.faces[:-1])
    prepared = prepare_mesh(holed, "assets/x/mesh.glb")
    assert prepared.volume_source == "mesh"
    assert prepared.solid.volume == pytest.approx(0.002)
    assert any("holes filled" in note for note in prepared.notes)


def test_an_open_mesh_gets_its_volume_from_the_hull_with_a_note():
    """A cylinder without its top cap cannot be closed: the hull stands in, noted."""
    cylinder = trimesh.creation.cylinder(radius=0.05, height=0.1, sections=32)
    keep = cylinder.face_normals[:, 2] < 0.9
    open_top = trimesh.Trimesh(cylinder.vertices, cylinder.faces[keep])
    prepared = prepare_mesh(open_top, "assets/x/mesh.glb")
    assert prepared.volume_source == "convex_hull"
    assert prepared.solid.volume == pytest.approx(cylinder.volume, rel=1e-6)
    assert any("convex hull" in note for note in prepared.notes)


@pytest.mark.parametrize(
    "mesh",
    [
        trimesh.Trimesh(
            np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=float),
            np.array([[0, 1, 2], [1, 3, 2]]),
        ),
        trimesh.Trimesh(np.array([[0, 0, 0], [1e-6, 0, 0], [0, 1e-6, 0]]), np.array([[0, 1, 2]])),
    ],
    ids=["flat-square", "speck"],
)
def test_zero_volume_meshes_are_rejected(mesh):
    """A flat or point-like mesh raises DegenerateMeshError naming the file."""
    with pytest.raises(DegenerateMeshError, match=r"assets/bad/mesh.glb: degenerate mesh"):
        prepare_mesh(mesh, "assets/bad/mesh.glb")
