"""The `usd` step authors a UsdPhysics scene mirroring the manifest (metadata, roles, physics)."""

import math

import pytest
from pxr import Usd, UsdGeom, UsdPhysics, UsdSemantics, UsdShade

from tools.errors import InputError, ManifestError
from tools.scene_layout import USD_LAYER_PATH
from tools.scene_manifest import load_manifest, manifest_sha256
from tools.sim import usd_layout as layout
from usd_assembly_job.assemble import AssemblyOptions, assemble_scene
from usd_assembly_job.camera_usd import intrinsics_from_pinhole
from usd_assembly_job.scene_usd import check_ready, stage_provenance
from usd_assembly_job.usd_checks import check_physics_parse, object_prims


@pytest.fixture(scope="module")
def stage(assembled_scene):
    return Usd.Stage.Open(str(assembled_scene / "usd" / "scene.usda"))


def test_stage_metadata(stage):
    """Z-up, metres, kilograms, defaultPrim /World and one PhysicsScene with gravity along -Z."""
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert UsdPhysics.GetStageKilogramsPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == "/World"
    scene = UsdPhysics.Scene(stage.GetPrimAtPath(layout.PHYSICS_SCENE_PATH))
    assert tuple(scene.GetGravityDirectionAttr().Get()) == (0.0, 0.0, -1.0)
    assert scene.GetGravityMagnitudeAttr().Get() == pytest.approx(9.81)


def test_objects_reference_their_asset_usd(stage, assembled_scene):
    """Each object prim references assets/<id>/<id>.usda, written back to the manifest."""
    manifest = load_manifest(assembled_scene)
    prims = object_prims(stage)
    assert set(prims) == {o.id for o in manifest.objects}
    assert prims["can-2"] == "/World/Objects/can_2"  # ids are sanitized into prim names
    for obj in manifest.objects:
        assert obj.asset.usd_path == f"assets/{obj.id}/{obj.id}.usda"
        assert (assembled_scene / obj.asset.usd_path).is_file()
        asset = stage.GetPrimAtPath(f"{prims[obj.id]}/{layout.ASSET_CHILD}")
        assert asset.HasAuthoredReferences()
        visual = stage.GetPrimAtPath(f"{asset.GetPath()}/{layout.VISUAL_SCOPE}/mesh_0")
        assert UsdGeom.Mesh(visual).GetNormalsAttr().HasAuthoredValue()


def test_apis_per_role(stage, assembled_scene):
    """Free objects get RigidBodyAPI + MassAPI; every object's hulls get convexHull colliders."""
    manifest = load_manifest(assembled_scene)
    prims = object_prims(stage)
    for obj in manifest.objects:
        prim = stage.GetPrimAtPath(prims[obj.id])
        dynamic = obj.sim_role in ("manipulable", "distractor")
        assert prim.HasAPI(UsdPhysics.RigidBodyAPI) == dynamic, obj.id
        assert prim.HasAPI(UsdPhysics.MassAPI) == dynamic, obj.id
        hulls = [p for p in Usd.PrimRange(prim) if p.HasAPI(UsdPhysics.CollisionAPI)]
        assert len(hulls) == len(obj.asset.collision_paths), obj.id
        for hull in hulls:
            approximation = UsdPhysics.MeshCollisionAPI(hull).GetApproximationAttr().Get()
            assert approximation == UsdPhysics.Tokens.convexHull
            assert UsdGeom.Imageable(hull).GetPurposeAttr().Get() == UsdGeom.Tokens.guide


def test_mass_properties_follow_the_manifest(stage, assembled_scene):
    """MassAPI carries the manifest's mass, centre of mass, inertia and principal axes."""
    manifest = load_manifest(assembled_scene)
    cube = manifest.object("cube_1")
    mass = UsdPhysics.MassAPI(stage.GetPrimAtPath(object_prims(stage)["cube_1"]))
    assert mass.GetMassAttr().Get() == pytest.approx(cube.physics.mass_kg)
    assert tuple(mass.GetCenterOfMassAttr().Get()) == pytest.approx(cube.physics.center_of_mass)
    inertia = tuple(mass.GetDiagonalInertiaAttr().Get())
    assert inertia == pytest.approx(cube.physics.inertia_diagonal, rel=1e-6)
    assert mass.GetPrincipalAxesAttr().Get().GetReal() == pytest.approx(1.0)


def test_physics_parse_matches_the_manifest(stage, assembled_scene):
    """UsdPhysics' own parser finds exactly the manifest's bodies, hulls and masses."""
    result = check_physics_parse(stage, load_manifest(assembled_scene))
    assert result.ok, result.problems
    assert result.figures["rigid_bodies_found"] == 3
    assert result.figures["colliders_found"] == 11
    assert result.figures["max_mass_relative_error"] < 1e-6


def test_physics_parse_detects_a_changed_mass(stage, assembled_scene):
    """A manifest mass that differs from the USD is reported (the check can fail)."""
    manifest = load_manifest(assembled_scene)
    cube = manifest.object("cube_1")
    heavier = cube.model_copy(update={"physics": cube.physics.model_copy(update={"mass_kg": 0.2})})
    objects = tuple(heavier if o.id == "cube_1" else o for o in manifest.objects)
    result = check_physics_parse(stage, manifest.model_copy(update={"objects": objects}))
    assert not result.ok
    assert any("cube_1: mass" in p for p in result.problems)


def test_physics_material_bound_with_physics_purpose(stage, assembled_scene):
    """Every hull is bound (purpose physics) to a MaterialAPI material with the manifest values."""
    manifest = load_manifest(assembled_scene)
    prims = object_prims(stage)
    can = manifest.object("can-2")
    hull = stage.GetPrimAtPath(f"{prims['can-2']}/Asset/Collision/hull_0")
    binding = UsdShade.MaterialBindingAPI(hull)
    material = binding.GetDirectBinding(materialPurpose=layout.PHYSICS_PURPOSE).GetMaterial()
    assert material.GetPath() == f"{layout.PHYSICS_MATERIALS_PATH}/can_2"
    api = UsdPhysics.MaterialAPI(material.GetPrim())
    assert api.GetStaticFrictionAttr().Get() == pytest.approx(can.physics.static_friction)
    assert api.GetDynamicFrictionAttr().Get() == pytest.approx(can.physics.dynamic_friction)
    assert api.GetRestitutionAttr().Get() == pytest.approx(can.physics.restitution)


def test_semantic_class_is_the_category(stage):
    """UsdSemantics.LabelsAPI:class holds the object's category."""
    prim = stage.GetPrimAtPath(object_prims(stage)["table_1"])
    labels = UsdSemantics.LabelsAPI(prim, layout.SEMANTIC_CLASS_TAXONOMY)
    assert list(labels.GetLabelsAttr().Get()) == ["table"]


def test_camera_intrinsics_and_pose(stage, assembled_scene):
    """The camera reproduces the pinhole (horizontal FOV = 2 atan(W / 2f)) and the manifest pose."""
    camera_spec = load_manifest(assembled_scene).camera
    camera = UsdGeom.Camera(stage.GetPrimAtPath(layout.CAMERA_PATH))
    gf = camera.GetCamera()
    expected = 2 * math.degrees(math.atan(camera_spec.width / (2 * camera_spec.focal_px)))
    assert gf.GetFieldOfView(gf.FOVHorizontal) == pytest.approx(expected, rel=1e-5)
    aspect = gf.horizontalAperture / gf.verticalAperture
    assert aspect == pytest.approx(camera_spec.width / camera_spec.height)
    world = camera.ComputeLocalToWorldTransform(Usd.TimeCode.Default())
    assert tuple(world.ExtractTranslation()) == pytest.approx(camera_spec.pose.position)
    lens = intrinsics_from_pinhole(1000.0, 2000, 1000)
    assert lens.focal_length / lens.horizontal_aperture == pytest.approx(0.5)


def test_robot_base_light_and_provenance(stage, assembled_scene):
    """RobotBase is placed, a distant light exists, and customLayerData records the manifest."""
    base = UsdGeom.Xformable(stage.GetPrimAtPath(layout.ROBOT_BASE_PATH))
    position = base.ComputeLocalToWorldTransform(Usd.TimeCode.Default()).ExtractTranslation()
    assert tuple(position) == pytest.approx((-0.2, 0.0, 0.0))
    assert any(p.GetTypeName() == "DistantLight" for p in stage.Traverse())
    provenance = stage_provenance(stage)
    assert provenance["manifest_sha256"] == manifest_sha256(assembled_scene)
    assert provenance["tool_versions"]["usd-core"] == "25.11"


def test_reassembly_gives_same_bytes(make_scene):
    """Running the step again on its own output rewrites identical USD and layer bytes."""
    scene_dir = make_scene("twice")
    files = ("usd/scene.usda", "assets/cube_1/cube_1.usda", USD_LAYER_PATH)
    assemble_scene(scene_dir, AssemblyOptions(render_preview=False))
    first = {f: (scene_dir / f).read_bytes() for f in files}
    assemble_scene(scene_dir, AssemblyOptions(render_preview=False))
    assert {f: (scene_dir / f).read_bytes() for f in files} == first
    stage = Usd.Stage.Open(str(scene_dir / "usd" / "scene.usda"))
    assert stage_provenance(stage)["manifest_sha256"] == manifest_sha256(scene_dir)


def test_missing_hulls_and_physics_are_refused(assembled_scene):
    """A manifest without simready's hulls or physics is refused, listing every object."""
    manifest = load_manifest(assembled_scene)
    stripped = tuple(
        o.model_copy(
            update={"physics": None, "asset": o.asset.model_copy(update={"collision_paths": ()})}
        )
        for o in manifest.objects
    )
    with pytest.raises(ManifestError) as caught:
        check_ready(manifest.model_copy(update={"objects": stripped}))
    assert len(caught.value.problems) == 7  # 3 missing physics + 4 non-room objects without hulls


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "collision hull missing"),
        (b"\xff\xfe not text", "unreadable hull"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "fewer than 4 triangles"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 nan\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n", "finite"),
    ],
)
def test_a_missing_or_broken_hull_is_refused_before_the_scene_is_written(
    make_scene, content, message
):
    """A hull file that is gone, not text, too small or not finite: InputError naming it, and
    neither scene.usda nor the manifest's usd paths are written."""

    scene_dir = make_scene()
    manifest_before = (scene_dir / "assets/scene_manifest.json").read_bytes()
    cube = next(o for o in load_manifest(scene_dir).objects if o.id == "cube_1")
    hull = scene_dir / cube.asset.collision_paths[0]
    if content is None:
        hull.unlink()
    else:
        hull.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        assemble_scene(scene_dir, AssemblyOptions(render_preview=False))
    assert caught.value.source == cube.asset.collision_paths[0]
    assert not (scene_dir / "usd" / "scene.usda").exists()
    assert (scene_dir / "assets/scene_manifest.json").read_bytes() == manifest_before
    assert not (scene_dir / USD_LAYER_PATH).exists()
