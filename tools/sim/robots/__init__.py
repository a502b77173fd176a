"""Robot models for the embedded simulator, one folder per robot family."""
