"""Task derivation shared by both data engines: pick-and-place tasks from the scene manifest."""
