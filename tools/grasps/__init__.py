"""Grasps from geometry: a 6-DoF antipodal sampler on collision hulls and its cache."""
