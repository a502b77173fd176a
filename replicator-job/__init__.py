"""The replicator step: placement regions, randomizer configs and Omniverse Replicator scripts."""
