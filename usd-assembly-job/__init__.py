"""Step `usd`: the scene manifest, meshes and hulls as a UsdPhysics scene (`usd/scene.usda`)."""
