"""End to end on a bucket: every job's entrypoint as its own process, as Cloud Run runs it.

Each job runs the image's ENTRYPOINT module with only what Cloud Run gives a task (SCENE_ID,
BUCKET, the CLOUD_RUN_* variables), the image's own ENV (read from its Dockerfile), the job's
configuration (a few small-episode settings) and STORAGE_EMULATOR_HOST pointing at
fake-gcs-server. Along the way: episodes as two concurrent tasks, a SIGTERM and the retry
with the next attempt number, refusals on missing and stale dependencies, a rerun that skips
on every task without rewriting an object, a deleted output noticed, and the bucket compared
with a local run of the same scene byte for byte.

Slow (~3 min on two cores: two whole pipelines of a small scene), hence marker e2e.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools.job_entrypoint import entrypoint_module
from tools.scene_layout import MARKERS_DIR
from tools.steps import StepSpec, registered_steps
from tools.storage.gcs import GCSStorage

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCENE_ID = "cr_kitchen"
# The job configuration an operator sets on the Cloud Run jobs (small, to stay quick).
JOB_CONFIG = {
    "NUM_EPISODES": "2",
    "CAMERAS": "scene",
    "CAMERA_WIDTH": "32",
    "CAMERA_HEIGHT": "32",
    "PREVIEW_EPISODES": "1",
}
EPISODE_TASKS = 2
# Files that record when or how long something ran (and, for the summary, each shard's share).
TIMING_FILES = {"reports/episodes_summary.json"}
# The scene page: the local runner writes it once, each Cloud Run job after its own step.
NOT_COMPARED = {"reports/index.html"}
SHARD = re.compile(r"shard-\d{4}-of-\d{4}")
_TIMEOUT_S = 900


@dataclass(frozen=True)
class Image:
    """What a job's Dockerfile says about its container: entrypoint module and ENV."""

    module: str
    env: dict[str, str]


def _build_args() -> dict[str, str]:
    """The image's build arguments, as the Dockerfile's build command passes them."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    status = ["git", "status", "--porcelain", "-uno"]
    dirty = subprocess.run(status, cwd=REPO, capture_output=True, text=True).stdout.strip()
    return {
        "BLUEPRINT_GIT_COMMIT": head.stdout.strip(),
        "BLUEPRINT_GIT_DIRTY": "1" if dirty else "0",
    }


BUILD_ARGS = _build_args()


def _dockerfile_image(job: str, home: Path) -> Image:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")  # one image recipe, JOB picks
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV (.+)$", text, re.MULTILINE):
        for key, value in re.findall(r"([A-Z_][A-Z0-9_]*)=(\S*)", line):
            value = re.sub(r"\$\{(\w+)\}", lambda m: BUILD_ARGS.get(m.group(1), ""), value)
            env[key] = value.replace("/home/bp", str(home))  # the image user's HOME
    return Image(entrypoint_module(REPO, job), env)


@dataclass
class CloudRun:
    """Runs job entrypoints as Cloud Run tasks against one emulated bucket."""

    bucket: str
    emulator_url: str
    specs: dict[str, StepSpec]
    home: Path
    logs: Path

    def env(self, step: str, execution: str, task: int, attempt: int, count: int) -> dict[str, str]:
        job = self.specs[step].job
        env = {"PATH": os.environ["PATH"], "HOME": str(self.home)}
        env |= _dockerfile_image(job, self.home).env | JOB_CONFIG
        env |= {
            "SCENE_ID": SCENE_ID,
            "BUCKET": self.bucket,
            "STORAGE_EMULATOR_HOST": self.emulator_url,
            "CLOUD_RUN_JOB": job,
            "CLOUD_RUN_EXECUTION": execution,
            "CLOUD_RUN_TASK_INDEX": str(task),
            "CLOUD_RUN_TASK_ATTEMPT": str(attempt),
            "CLOUD_RUN_TASK_COUNT": str(count),
        }
        return env

    def start(
        self, step: str, execution: str, *, task: int = 0, attempt: int = 0, count: int = 1
    ) -> Task:
        module = _dockerfile_image(self.specs[step].job, self.home).module
        log = self.logs / f"{step}-{execution}-t{task}-a{attempt}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", module],
                env=self.env(step, execution, task, attempt, count),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.home,
            )
        return Task(step, process, log)

    def run(self, step: str, execution: str, **kwargs: int) -> Task:
        task = self.start(step, execution, **kwargs)
        task.wait()
        return task


@dataclass
class Task:
    """One task attempt: its process and its log file (JSON lines, as Cloud Logging reads)."""

    step: str
    process: subprocess.Popen[bytes]
    log: Path

    def wait(self) -> int:
        return self.process.wait(timeout=_TIMEOUT_S)

    @property
    def code(self) -> int | None:
        return self.process.returncode

    def lines(self) -> list[dict[str, Any]]:
        records = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:  # the line being written while we read
                    continue
        return records

    def messages(self) -> list[str]:
        return [str(r.get("message", "")) for r in self.lines()]

    def said(self, fragment: str) -> bool:
        return any(fragment in m for m in self.messages())

    def wait_for(self, fragment: str, timeout_s: float = 300) -> None:
        """Poll the log until a line contains `fragment` (the process must still run)."""
        deadline = time.monotonic() + timeout_s
        while not self.said(fragment):
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"no {fragment!r} in {self.log}"
            time.sleep(0.2)

    def describe(self) -> str:
        return f"{self.step} exited {self.code}:\n{self.log.read_text()[-4000:]}"


def _generate(root: Path) -> Path:
    def module(*args: str) -> None:
        subprocess.run([sys.executable, "-m", *args], check=True, capture_output=True, timeout=600)

    mock = ["--scene-id", SCENE_ID, "--output-dir", str(root), "--seed", "3"]
    module("fixtures.generate_mock_regen3d", *mock)
    scene = root / SCENE_ID
    results = scene / "geniesim/results.tar.gz"
    module("fixtures.generate_mock_geniesim_output", "--episodes", "2", "--output", str(results))
    return scene


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith(f"{MARKERS_DIR}/")
    }


def _generations(scene: GCSStorage) -> dict[str, int]:
    client = scene._client.get()  # the test reads object metadata the Storage API hides
    prefix = scene.prefix + "/"
    return {
        b.name[len(prefix) :]: b.generation
        for b in client.list_blobs(scene.bucket_name, prefix=prefix)
    }


def _shard_layout(files: dict[str, bytes]) -> set[str]:
    return {m.group(0) for k in files if (m := SHARD.search(k))}


def _compared(files: dict[str, bytes]) -> dict[str, bytes]:
    """The per-task parts and their checkpoints differ by design (one local shard, two Cloud
    Run tasks); the merged dataset and everything else must not."""
    return {k: v for k, v in files.items() if not SHARD.search(k) and k not in NOT_COMPARED}


@pytest.fixture(scope="module")
def cloud(gcs_emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudRun]:
    root = tmp_path_factory.mktemp("cloud-run")
    source = _generate(root / "generated")
    home = root / "home"
    (root / "logs").mkdir()
    home.mkdir()
    previous = os.environ.get("STORAGE_EMULATOR_HOST")
    os.environ["STORAGE_EMULATOR_HOST"] = gcs_emulator.url
    bucket = gcs_emulator.create_bucket()
    scene = GCSStorage(bucket, f"scenes/{SCENE_ID}")
    scene.upload_tree(source)  # what an operator uploads: regen3d/ and the Genie Sim results
    yield CloudRun(bucket, gcs_emulator.url, registered_steps(), home, root / "logs")
    scene.close()
    if previous is None:
        os.environ.pop("STORAGE_EMULATOR_HOST", None)
    else:
        os.environ["STORAGE_EMULATOR_HOST"] = previous


def test_cloud_run_jobs_on_a_bucket(cloud: CloudRun, tmp_path: Path) -> None:
    """The whole Cloud Run path on fake-gcs-server, checked against a local run."""
    local_scene = tmp_path / "local" / SCENE_ID
    shutil.copytree(_generate(tmp_path / "gen"), local_scene)
    local_env = {"PATH": os.environ["PATH"], "HOME": str(cloud.home), "MUJOCO_GL": "egl"}
    local_env |= BUILD_ARGS  # both runs record the same code version
    local_log = cloud.logs / "local-run.log"
    with local_log.open("w") as log:  # the local run proceeds while the jobs run
        local = subprocess.Popen(
            [sys.executable, "-m", "tools.run_local_pipeline", "--scene-dir", str(local_scene)],
            env=local_env | JOB_CONFIG,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    scene = GCSStorage(cloud.bucket, f"scenes/{SCENE_ID}")
    order = list(cloud.specs)
    episodes_at = order.index("episodes")

    # A step refuses while its dependency has not completed, naming it (the dependencies
    # are the registry's); the next attempt stops on that permanent failure with a log line;
    # another execution failing at the same attempt number leaves its own marker.
    dependant = next(n for n in order if cloud.specs[n].depends_on)
    dependency = cloud.specs[dependant].depends_on[0]
    for execution, attempt in [("early-a", 0), ("early-a", 1), ("early-b", 0)]:
        task = cloud.run(dependant, execution, attempt=attempt)
        assert task.code == 2, task.describe()
        fragment = "failed permanently" if attempt else f"dependency {dependency} is not ready"
        assert task.said(fragment), task.describe()
    failed = sorted(k for k in scene.list(MARKERS_DIR) if ".failed-" in k)
    assert failed == [
        f"{MARKERS_DIR}/{dependant}.failed-early-a-task0-attempt0.json",
        f"{MARKERS_DIR}/{dependant}.failed-early-b-task0-attempt0.json",
    ]

    for step in order[:episodes_at]:
        task = cloud.run(step, f"{step}-x1")
        assert task.code == 0 and task.said(f"step {step} completed"), task.describe()

    # Episodes as two concurrent tasks; task 1 receives SIGTERM mid-job and is retried with
    # the next attempt number. Only the task that merges completes the step.
    tasks = [cloud.start("episodes", "ep-x1", task=i, count=EPISODE_TASKS) for i in range(2)]
    tasks[1].wait_for("step episodes started")  # then it stages its inputs: mid-job
    tasks[1].process.send_signal(signal.SIGTERM)
    assert tasks[1].wait() == 1 and tasks[1].said("received signal SIGTERM"), tasks[1].describe()
    terminated = scene.read_json(f"{MARKERS_DIR}/episodes.failed-ep-x1-task1-attempt0.json")
    assert terminated["retryable"] is True and terminated["error_type"] == "JobTerminatedError"
    assert tasks[0].wait() == 0 and tasks[0].said("another task completes"), tasks[0].describe()
    assert not scene.exists(f"{MARKERS_DIR}/episodes.complete.json")
    for step in (n for n in order if "episodes" in cloud.specs[n].depends_on):
        task = cloud.run(step, f"{step}-x0")  # e.g. an export started too early
        assert task.code == 2 and task.said("dependency episodes is not ready"), task.describe()
    retry = cloud.run("episodes", "ep-x1", task=1, attempt=1, count=EPISODE_TASKS)
    assert retry.code == 0 and retry.said("step episodes completed"), retry.describe()

    for step in order[episodes_at + 1 :]:
        task = cloud.run(step, f"{step}-x1")
        assert task.code == 0 and task.said(f"step {step} completed"), task.describe()

    # The bucket equals the local run byte for byte (files that record timings aside).
    assert local.wait(timeout=_TIMEOUT_S) == 0, local_log.read_text()[-4000:]
    bucket_dir = tmp_path / "bucket"
    scene.download_prefix("", bucket_dir)
    remote, here = _files(bucket_dir), _files(local_scene)
    assert _shard_layout(remote) == {"shard-0000-of-0002", "shard-0001-of-0002"}
    assert _shard_layout(here) == {"shard-0000-of-0001"}
    remote, here = _compared(remote), _compared(here)
    assert sorted(remote) == sorted(here)
    differ = [k for k in sorted(here) if here[k] != remote[k] and k not in TIMING_FILES]
    assert differ == []

    # A rerun with unchanged inputs skips every step on every task and rewrites nothing.
    before = _generations(scene)
    for step in order:
        count = EPISODE_TASKS if step == "episodes" else 1
        reruns = [cloud.start(step, f"{step}-x2", task=i, count=count) for i in range(count)]
        for task in reruns:
            assert task.wait() == 0 and task.said("inputs unchanged, skipped"), task.describe()
    assert _generations(scene) == before

    # A deleted output is noticed: the step runs again and restores it. Its dependants' inputs
    # are now stale: episodes refuses, naming the dependency whose marker is stale.
    scene.delete("usd/scene.usda")
    task = cloud.run("usd", "usd-x3")
    assert task.code == 0 and task.said("output(s) missing"), task.describe()
    assert scene.exists("usd/scene.usda")
    task = cloud.run("episodes", "ep-x3", count=EPISODE_TASKS)
    assert task.code == 2 and task.said("dependency replicator is not ready"), task.describe()
    assert task.said("stale"), task.describe()
