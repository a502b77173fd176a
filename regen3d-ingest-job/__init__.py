"""Step `regen3d`: ingest 3D-RE-GEN's output tree into the Z-up metric scene contract."""
