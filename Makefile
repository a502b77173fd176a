# BlueprintPipeline: `make demo` and `make test` are the two commands (see README).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= build/demo
DEMO_SCENE ?= demo_kitchen
DEMO_SEED ?= 7
TYPECHECK_DIR := build/typecheck
JOB_DIRS := regen3d-ingest-job simready-job usd-assembly-job replicator-job \
            episode-generation-job genie-sim-export-job genie-sim-import-job
COV_PACKAGES := --cov=tools --cov=fixtures --cov=regen3d_ingest_job --cov=simready_job \
                --cov=usd_assembly_job --cov=replicator_job --cov=episode_generation_job \
                --cov=genie_sim_export_job --cov=genie_sim_import_job

.PHONY: install demo test lint typecheck unit coverage e2e spec-commands schema lock clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# setuptools prints an informational banner about its meta-path finder on every editable
	@# install; the job folders need that finder (hyphenated names), so the banner is noise.
	PYTHONWARNINGS="ignore::Warning:setuptools.command.editable_wheel" \
	  $(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

demo: install
	@rm -rf $(DEMO_DIR)/$(DEMO_SCENE)
	$(BIN)/python -m fixtures.generate_mock_regen3d --scene-id $(DEMO_SCENE) \
		--output-dir $(DEMO_DIR) --environment kitchen --seed $(DEMO_SEED)
	@# Stands in for results that come back from Genie Sim (it needs a GPU and Isaac Sim).
	$(BIN)/python -m fixtures.generate_mock_geniesim_output --episodes 4 --failed-episode 3 \
		--seed $(DEMO_SEED) --output $(DEMO_DIR)/$(DEMO_SCENE)/geniesim/results.tar.gz
	$(BIN)/python -m tools.run_local_pipeline --scene-dir $(DEMO_DIR)/$(DEMO_SCENE) --validate > $(DEMO_DIR)/run_summary.json
	@echo
	@echo "Scene report:      $(DEMO_DIR)/$(DEMO_SCENE)/reports/index.html  (open it in a browser)"
	@echo "Demo scene:        $(DEMO_DIR)/$(DEMO_SCENE)"
	@echo "Scene manifest:    $(DEMO_DIR)/$(DEMO_SCENE)/assets/scene_manifest.json + layers assets/simready.json, usd/scene_state.json"
	@echo "                   (merged: $(BIN)/python -m tools.scene_manifest $(DEMO_DIR)/$(DEMO_SCENE))"
	@echo "Physics scene:     $(DEMO_DIR)/$(DEMO_SCENE)/usd/scene.usda"
	@echo "Scene preview:     $(DEMO_DIR)/$(DEMO_SCENE)/reports/scene_preview.png"
	@echo "Replicator bundle: $(DEMO_DIR)/$(DEMO_SCENE)/replicator/"
	@echo "LeRobot dataset:   $(DEMO_DIR)/$(DEMO_SCENE)/episodes/lerobot/"
	@echo "Episode preview:   $(DEMO_DIR)/$(DEMO_SCENE)/reports/episodes_preview.mp4"
	@echo "Genie Sim export:  $(DEMO_DIR)/$(DEMO_SCENE)/geniesim/export/"
	@echo "Genie Sim import:  $(DEMO_DIR)/$(DEMO_SCENE)/geniesim/import/lerobot/"
	@echo "Validation report: $(DEMO_DIR)/$(DEMO_SCENE)/reports/validation_report.json"
	@echo "Run summary:       $(DEMO_DIR)/run_summary.json"

test: install lint unit e2e

lint: install typecheck
	$(BIN)/ruff check .
	$(BIN)/black --check --quiet .

# mypy cannot import hyphenated folders: it checks them through a tree of symlinks.
typecheck: install
	@mkdir -p $(TYPECHECK_DIR)
	@for d in $(JOB_DIRS); do ln -sfn ../../$$d $(TYPECHECK_DIR)/$$(echo $$d | tr - _); done
	MYPYPATH=$(TYPECHECK_DIR) $(BIN)/mypy tools fixtures \
		$$(find -L $(TYPECHECK_DIR) -name '*.py' -not -path '*/__pycache__/*')

unit: install
	@rm -f .coverage; $(BIN)/pytest -q -m "not e2e" $(COV_PACKAGES) --cov-report= ; \
	  rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; rc=0; fi; exit $$rc
	$(BIN)/coverage report --fail-under=80
	$(BIN)/coverage report --include='tools/archives/*,tools/secret_store/*' --fail-under=95

e2e: install
	@$(BIN)/pytest -q -m e2e -p no:cacheprovider --durations=12; \
	  rc=$$?; if [ $$rc -eq 5 ]; then echo "no e2e tests collected"; rc=0; fi; exit $$rc

# The hardening spec's CI commands, verbatim, in script form from a fresh folder (CI runs this
# after `make test`); the folder links to the checkout's fixtures/ and tools/ and is removed after.
spec-commands: install
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  ln -s "$(CURDIR)/fixtures" "$(CURDIR)/tools" "$$tmp/" && cd "$$tmp" && \
	  export PATH="$(CURDIR)/$(BIN):$$PATH" && set -x && \
	  python fixtures/generate_mock_regen3d.py --scene-id ci_test --output-dir ./test_output && \
	  python tools/run_local_pipeline.py --scene-dir ./test_output/ci_test --steps regen3d,simready,usd --validate >/dev/null && \
	  python tools/run_local_pipeline.py --help >/dev/null

schema: install
	$(BIN)/python -m tools.scene_manifest.schema

lock: install
	@{ echo "# Full, pinned environment (runtime + dev). Regenerate with: make lock"; \
	   $(BIN)/pip freeze --exclude-editable | grep -v -i '^blueprint'; } > requirements.txt

clean:
	rm -rf build .coverage .pytest_cache .mypy_cache
