"""The MuJoCo model is built from the USD itself: bodies, masses, hulls, frictions, cameras."""

import math

import mujoco
import numpy as np
import pytest
import trimesh
from pxr import Gf, Usd, UsdGeom, UsdPhysics, UsdShade, Vt

from tools.errors import InputError
from tools.sim import (
    LoaderOptions,
    damping_ratio_for_restitution,
    load_scene_model,
)
from tools.sim.usd_completion import MIN_CONTACT_DAMPING_RATIO, contact_damping_ratio
from tools.sim.usd_loader import GROUND_PLANE_NAME


def _mesh(stage, path, tm):
    mesh = UsdGeom.Mesh.Define(stage, path)
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(tm.vertices.astype(np.float32)))
    mesh.CreateFaceVertexCountsAttr([3] * len(tm.faces))
    mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(tm.faces.reshape(-1).astype(np.int32)))
    UsdPhysics.CollisionAPI.Apply(mesh.GetPrim())
    UsdPhysics.MeshCollisionAPI.Apply(mesh.GetPrim()).CreateApproximationAttr("convexHull")
    return mesh


def _drop_stage(path, *, floor=True, start_z=0.3):
    """A 10 cm box (mesh hull, 0.4 kg, friction 0.7) above a 4 m floor slab, written with pxr."""
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    stage.SetDefaultPrim(UsdGeom.Xform.Define(stage, "/World").GetPrim())
    scene = UsdPhysics.Scene.Define(stage, "/World/PhysicsScene")
    scene.CreateGravityDirectionAttr(Gf.Vec3f(0, 0, -1))
    scene.CreateGravityMagnitudeAttr(9.81)
    if floor:
        slab = trimesh.creation.box((4, 4, 0.1))
        slab.apply_translation((0, 0, -0.05))
        _mesh(stage, "/World/Floor/hull", slab)
    box = UsdGeom.Xform.Define(stage, "/World/Box")
    box.AddTranslateOp().Set(Gf.Vec3d(0.1, -0.2, start_z))
    UsdPhysics.RigidBodyAPI.Apply(box.GetPrim())
    mass = UsdPhysics.MassAPI.Apply(box.GetPrim())
    mass.CreateMassAttr(0.4)
    mass.CreateDiagonalInertiaAttr(Gf.Vec3f(0.0007, 0.0008, 0.0009))
    mass.CreateCenterOfMassAttr(Gf.Vec3f(0, 0, 0.05))
    cube = trimesh.creation.box((0.1, 0.1, 0.1))
    cube.apply_translation((0, 0, 0.05))
    hull = _mesh(stage, "/World/Box/hull", cube)
    material = UsdShade.Material.Define(stage, "/World/Materials/rubber")
    api = UsdPhysics.MaterialAPI.Apply(material.GetPrim())
    api.CreateStaticFrictionAttr(0.9)
    api.CreateDynamicFrictionAttr(0.7)
    api.CreateRestitutionAttr(0.3)
    UsdShade.MaterialBindingAPI.Apply(hull.GetPrim()).Bind(
        material, UsdShade.Tokens.weakerThanDescendants, "physics"
    )
    stage.GetRootLayer().Save()
    return path


def test_dropped_box_rests_on_the_floor(tmp_path):
    """A box authored with usd-core falls and comes to rest on the floor slab."""
    scene = load_scene_model(_drop_stage(tmp_path / "drop.usda"))
    assert not scene.ground_plane_added
    model, data = scene.model, scene.make_data()
    body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, "/World/Box")
    mujoco.mj_step(model, data, round(1.5 / model.opt.timestep))
    assert data.xpos[body][2] == pytest.approx(0.0, abs=1e-3)
    assert data.xpos[body][:2] == pytest.approx([0.1, -0.2], abs=1e-3)
    assert np.linalg.norm(data.cvel[body]) < 1e-3


def test_masses_and_inertias_equal_the_usd(tmp_path):
    """Body mass, diagonal inertia and centre of mass in the MjModel are the MassAPI values."""
    scene = load_scene_model(_drop_stage(tmp_path / "mass.usda"))
    model = scene.model
    body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, "/World/Box")
    assert model.nbody == 2
    assert model.body_mass[body] == pytest.approx(0.4, rel=1e-6)
    assert model.body_inertia[body] == pytest.approx([0.0007, 0.0008, 0.0009], rel=1e-6)
    assert model.body_ipos[body] == pytest.approx([0.0, 0.0, 0.05], abs=1e-7)


def test_friction_and_restitution_from_the_physics_material(tmp_path):
    """The importer skips physics-purpose bindings; the loader applies them to the geom."""
    scene = load_scene_model(_drop_stage(tmp_path / "friction.usda"), LoaderOptions())
    model = scene.model
    geom = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, "/World/Box/hull")
    assert model.geom_friction[geom][0] == pytest.approx(0.7)
    # restitution 0.3 asks for ratio 0.36; resting contact needs at least the floor's
    assert model.geom_solref[geom][1] == pytest.approx(MIN_CONTACT_DAMPING_RATIO)
    assert contact_damping_ratio(0.0) == 1.0
    assert model.geom_group[geom] == LoaderOptions().collision_group
    assert damping_ratio_for_restitution(0.0) == 1.0
    zeta = damping_ratio_for_restitution(0.5)
    assert math.exp(-zeta * math.pi / math.sqrt(1 - zeta**2)) == pytest.approx(0.5)


def test_ground_plane_only_without_a_floor(tmp_path):
    """A plane at z = 0 is added when no static collider forms a floor, and only then."""
    scene = load_scene_model(_drop_stage(tmp_path / "nofloor.usda", floor=False))
    assert scene.ground_plane_added
    plane = mujoco.mj_name2id(scene.model, mujoco.mjtObj.mjOBJ_GEOM, GROUND_PLANE_NAME)
    assert scene.model.geom_type[plane] == mujoco.mjtGeom.mjGEOM_PLANE
    with_floor = load_scene_model(_drop_stage(tmp_path / "floor.usda"))
    assert mujoco.mj_name2id(with_floor.model, mujoco.mjtObj.mjOBJ_GEOM, GROUND_PLANE_NAME) == -1


def test_assembled_scene_loads_with_objects_and_camera(assembled_scene):
    """The assembled scene: one body per free object with the manifest's mass, and the camera."""
    from tools.scene_manifest import load_manifest

    manifest = load_manifest(assembled_scene)
    scene = load_scene_model(assembled_scene / "usd" / "scene.usda")
    free = {o.id for o in manifest.objects if o.sim_role in ("manipulable", "distractor")}
    assert scene.model.nbody == 1 + len(free)
    assert {k for k, h in scene.objects.items() if h.dynamic} == free
    for object_id in free:
        handle = scene.objects[object_id]
        mass = manifest.object(object_id).physics.mass_kg
        assert scene.model.body_mass[handle.body_id] == pytest.approx(mass, rel=1e-6)
        assert handle.collision_geoms and handle.visual_geoms
    table = scene.objects["table_1"]
    assert not table.dynamic and len(table.collision_geoms) == 5
    camera = scene.cameras["/World/Camera"]
    fovy = 2 * math.degrees(math.atan(manifest.camera.height / (2 * manifest.camera.focal_px)))
    assert scene.model.cam_fovy[camera] == pytest.approx(fovy, rel=1e-5)
    assert not scene.importer_warnings


def test_missing_file_is_an_input_error(tmp_path):
    """A missing scene USD is an InputError naming the file."""
    with pytest.raises(InputError, match="missing"):
        load_scene_model(tmp_path / "absent.usda")


def test_one_contact_solver_for_every_user_of_the_scene(tmp_path):
    """Settling, the settle check and the episodes simulate with the loader's solver settings.

    With MuJoCo's default pyramidal cone a can on a realistic counter crept 3 mm and spun
    20 deg in the settle check while the episodes (elliptic cone) saw it stand still.
    """
    model = load_scene_model(_drop_stage(tmp_path / "solver.usda")).model
    assert model.opt.cone == mujoco.mjtCone.mjCONE_ELLIPTIC
    assert model.opt.impratio == pytest.approx(10.0)
    assert model.opt.integrator == mujoco.mjtIntegrator.mjINT_IMPLICITFAST
