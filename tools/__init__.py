"""Shared code for every BlueprintPipeline job: contracts, storage, config, logging, markers."""
