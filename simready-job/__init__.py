"""simready job: mass, inertia, friction and convex collision hulls for every scene object."""
