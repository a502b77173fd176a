# syntax=docker/dockerfile:1
# CPU image of one BlueprintPipeline Cloud Run job; every job builds from this one recipe.
# The build argument JOB (job folder = Cloud Run job = Artifact Registry image name, as in
# infra/terraform/jobs.yaml) picks the entrypoint: the job's one module calling run_job_main.
# Build from the repository root:
#   docker build --build-arg JOB=regen3d-ingest-job \
#     -t REGION-docker.pkg.dev/PROJECT/blueprint-pipeline/regen3d-ingest-job:TAG .
# The Isaac Sim image of the episode job has its own base: episode-generation-job/Dockerfile.isaacsim.
ARG PYTHON_IMAGE=python:3.11.17-slim-trixie

# The project as a wheel, built in a throwaway stage: the image carries no source tree.
FROM ${PYTHON_IMAGE} AS wheel
ARG JOB=""
WORKDIR /src
COPY . .
# Fails the build with one line naming JOB when it is not a job folder with one entrypoint.
RUN python -I tools/job_entrypoint.py "${JOB}" > /job_module
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
# MUJOCO_GL=egl in every image: the usd previews and the CPU episodes render headless (Mesa
# llvmpipe on CPU, the NVIDIA driver where a GPU is attached); the other jobs import MuJoCo
# without rendering, which needs the EGL libraries below to be present.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MUJOCO_GL=egl \
    PYOPENGL_PLATFORM=egl

# EGL through glvnd with Mesa's drivers (libegl1 pulls libegl-mesa0; llvmpipe is in -dri).
# Versions are not pinned: Debian's security updates replace them; the base tag pins the release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libegl1 libgl1 libopengl0 libgl1-mesa-dri \
    && rm -rf /var/lib/apt/lists/*

# The pinned environment first: this layer is reused while requirements.txt is unchanged.
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt

# Then the project, without resolving dependencies again.
COPY --from=wheel /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels
COPY --from=wheel /job_module /etc/blueprint/job_module

# The commit the image is built from, for provenance (the image holds no .git):
#   docker build --build-arg BLUEPRINT_GIT_COMMIT=$(git rev-parse HEAD) \
#     --build-arg BLUEPRINT_GIT_DIRTY=$(test -z "$(git status --porcelain -uno)" && echo 0 || echo 1) ...
ARG BLUEPRINT_GIT_COMMIT=""
ARG BLUEPRINT_GIT_DIRTY=""
ENV BLUEPRINT_GIT_COMMIT=${BLUEPRINT_GIT_COMMIT} \
    BLUEPRINT_GIT_DIRTY=${BLUEPRINT_GIT_DIRTY}

RUN groupadd --gid 10001 bp \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin bp
USER 10001:10001
WORKDIR /home/bp
# The simready hull cache lives for one task (Cloud Run's disk is in memory); mount a volume
# here to share it between executions. Only simready reads it.
ENV SIMREADY_CACHE_DIR=/home/bp/.cache/blueprint-pipeline/hulls

# Cloud Run runs the same module (jobs.yaml's `command`); `exec` keeps Python as PID 1 so it
# receives SIGTERM itself.
ENTRYPOINT ["sh", "-c", "exec python -m \"$(cat /etc/blueprint/job_module)\" \"$@\"", "job"]
