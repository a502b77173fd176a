"""One behavioural suite run against LocalStorage and GCSStorage (on a real fake-gcs-server)."""

# google.api_core and google.auth leave their exception constructors unannotated.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import google.cloud.storage
import pytest
import requests
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions
from google.cloud.storage.exceptions import InvalidResponse

from tools.errors import ObjectNotFound, PreconditionFailed, StorageError
from tools.storage import LocalStorage, Storage, open_storage
from tools.storage.gcs import GCSStorage, translate_error

RESUMABLE_SIZE = 9 * 1024 * 1024  # above the client's 8 MiB single-request threshold


@pytest.fixture(params=["local", "gcs"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """The backend under test: a LocalStorage folder or a GCSStorage on a fresh bucket."""
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    backend: GCSStorage = request.getfixturevalue("gcs_storage")
    return backend


@pytest.fixture
def raw_gcs_client(gcs_storage: GCSStorage) -> Iterator[google.cloud.storage.Client]:
    """A plain client on the emulator, to inspect or plant objects behind GCSStorage's back."""
    client = google.cloud.storage.Client(project="test")
    yield client
    client.close()


def _race(n: int, attempt: Callable[[int], None]) -> list[BaseException | None]:
    """Run `attempt(i)` in n threads released together; return each thread's error or None."""
    barrier = threading.Barrier(n)
    outcomes: list[BaseException | None] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            attempt(i)
        except BaseException as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


# --- shared contract -----------------------------------------------------------------------


def test_bytes_round_trip_and_overwrite(storage: Storage) -> None:
    """Written bytes read back unchanged, and a plain write replaces the object."""
    storage.write_bytes("scenes/s1/a.bin", b"\x00first\xff")
    assert storage.read_bytes("scenes/s1/a.bin") == b"\x00first\xff"
    storage.write_bytes("scenes/s1/a.bin", b"second")
    assert storage.read_bytes("scenes/s1/a.bin") == b"second"


def test_json_round_trip(storage: Storage) -> None:
    """write_json/read_json round-trip nested values."""
    value = {"mass_kg": 1.5, "labels": ["cup", "mug"], "nested": {"ok": True, "n": None}}
    storage.write_json("assets/scene_manifest.json", value)
    assert storage.read_json("assets/scene_manifest.json") == value


def test_missing_key_raises_object_not_found(storage: Storage, tmp_path: Path) -> None:
    """Reading or downloading a missing object raises ObjectNotFound and creates no file."""
    with pytest.raises(ObjectNotFound) as info:
        storage.read_bytes("nope/missing.json")
    assert info.value.path.endswith("nope/missing.json")
    assert not info.value.retryable
    target = tmp_path / "down" / "missing.json"
    with pytest.raises(ObjectNotFound):
        storage.download_file("nope/missing.json", target)
    assert not target.exists()
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


def test_exists(storage: Storage) -> None:
    """exists() is true for an object only, not for a missing key or a folder-like prefix."""
    storage.write_bytes("a/b.txt", b"x")
    assert storage.exists("a/b.txt")
    assert not storage.exists("a/c.txt")
    assert not storage.exists("a")


def test_create_only_write_that_loses_leaves_original(storage: Storage) -> None:
    """A create-only write on an existing key raises PreconditionFailed and overwrites nothing."""
    storage.write_bytes(".markers/step.complete.json", b"original", create_only=True)
    with pytest.raises(PreconditionFailed) as info:
        storage.write_bytes(".markers/step.complete.json", b"intruder", create_only=True)
    with pytest.raises(PreconditionFailed):
        storage.write_json(".markers/step.complete.json", {"x": 1}, create_only=True)
    assert not info.value.retryable
    assert storage.read_bytes(".markers/step.complete.json") == b"original"


def test_create_only_race_has_exactly_one_winner(storage: Storage) -> None:
    """Of N threads writing create-only to one key, exactly one wins and its bytes remain."""
    n = 8
    outcomes = _race(n, lambda i: storage.write_bytes("lock", b"writer-%d" % i, create_only=True))
    winners = [i for i, exc in enumerate(outcomes) if exc is None]
    assert len(winners) == 1, outcomes
    assert all(isinstance(exc, PreconditionFailed) for exc in outcomes if exc is not None)
    assert storage.read_bytes("lock") == b"writer-%d" % winners[0]


def test_reader_never_sees_partial_object(storage: Storage) -> None:
    """Concurrent readers see a whole old or new object while it is being rewritten."""
    payloads = [bytes([65 + i]) * 300_000 for i in range(6)]
    storage.write_bytes("big.bin", payloads[0])
    done = threading.Event()
    seen: list[bytes] = []

    def read_until_done() -> None:
        while not done.is_set():
            seen.append(storage.read_bytes("big.bin"))

    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        for payload in payloads[1:] * 3:
            storage.write_bytes("big.bin", payload)
    finally:
        done.set()
        reader.join(timeout=30)
    assert seen
    assert all(data in payloads for data in seen)


def test_list_prefixes(storage: Storage) -> None:
    """list() returns sorted keys under a folder-like prefix, never siblings sharing a stem."""
    for key in ["b", "a/2/x.json", "a/1.json", "ab/3.json"]:
        storage.write_bytes(key, b"-")
    assert storage.list() == ["a/1.json", "a/2/x.json", "ab/3.json", "b"]
    assert storage.list("a") == ["a/1.json", "a/2/x.json"]
    assert storage.list("a/") == ["a/1.json", "a/2/x.json"]
    assert storage.list("a/2") == ["a/2/x.json"]
    assert storage.list("b") == ["b"]
    assert storage.list("a/1.json") == ["a/1.json"]
    assert storage.list("missing") == []


def test_delete(storage: Storage) -> None:
    """delete() removes the object; deleting a missing key is a no-op."""
    storage.write_bytes("d/x", b"1")
    storage.write_bytes("d/y", b"2")
    storage.delete("d/x")
    assert not storage.exists("d/x")
    assert storage.list("d") == ["d/y"]
    storage.delete("d/x")
    storage.delete("never/there")


def test_download_and_upload_file(storage: Storage, tmp_path: Path) -> None:
    """upload_file/download_file copy bytes both ways, creating parents and leaving no temps."""
    source = tmp_path / "src" / "preview.png"
    source.parent.mkdir()
    source.write_bytes(os.urandom(4096))
    storage.upload_file(source, "reports/preview.png")
    target = tmp_path / "out" / "deep" / "preview.png"
    storage.download_file("reports/preview.png", target)
    assert target.read_bytes() == source.read_bytes()
    target.write_bytes(b"stale")
    storage.download_file("reports/preview.png", target)
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["preview.png"]


def test_upload_file_create_only_loses_to_existing(storage: Storage, tmp_path: Path) -> None:
    """A create-only upload_file on an existing key raises PreconditionFailed, nothing changes."""
    source = tmp_path / "new.json"
    source.write_bytes(b"new")
    storage.write_bytes("k.json", b"old")
    with pytest.raises(PreconditionFailed):
        storage.upload_file(source, "k.json", create_only=True)
    assert storage.read_bytes("k.json") == b"old"


@pytest.mark.parametrize(
    "backend",
    [
        "local",
        pytest.param(
            "gcs",
            marks=pytest.mark.xfail(
                strict=True,
                raises=pytest.fail.Exception,
                reason="fake-gcs-server ignores ifGenerationMatch on resumable uploads",
            ),
        ),
    ],
)
def test_large_create_only_upload_loses_to_existing(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A create-only upload above the resumable threshold also refuses to overwrite."""
    store: Storage = (
        LocalStorage(tmp_path / "store")
        if backend == "local"
        else request.getfixturevalue("gcs_storage")
    )
    source = tmp_path / "episode.mp4"
    source.write_bytes(os.urandom(RESUMABLE_SIZE))
    store.upload_file(source, "videos/episode.mp4", create_only=True)
    original = source.read_bytes()
    source.write_bytes(os.urandom(RESUMABLE_SIZE))
    with pytest.raises(PreconditionFailed):
        store.upload_file(source, "videos/episode.mp4", create_only=True)
    assert store.read_bytes("videos/episode.mp4") == original


def test_upload_tree_and_download_prefix(storage: Storage, tmp_path: Path) -> None:
    """upload_tree copies a folder under a prefix; download_prefix brings it back identically."""
    tree = tmp_path / "tree"
    files = {"scene.usda": b"#usda 1.0\n", "assets/obj_1/mesh.obj": b"v 0 0 0\n", "a/b/c": b"c"}
    for rel, data in files.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    keys = storage.upload_tree(tree, "scenes/s1")
    assert keys == sorted(f"scenes/s1/{rel}" for rel in files)
    assert storage.list("scenes/s1") == keys
    out = tmp_path / "out"
    assert storage.download_prefix("scenes/s1", out) == keys
    for rel, data in files.items():
        assert (out / "scenes" / "s1" / rel).read_bytes() == data


def test_child_is_rooted_at_prefix(storage: Storage) -> None:
    """child(prefix) reads and writes under prefix and lists keys relative to it."""
    scene = storage.child("scenes/s1")
    scene.write_bytes("usd/scene.usda", b"usd")
    storage.write_bytes("scenes/s2/usd/scene.usda", b"other")
    assert storage.read_bytes("scenes/s1/usd/scene.usda") == b"usd"
    assert scene.list() == ["usd/scene.usda"]
    assert scene.child("usd").read_bytes("scene.usda") == b"usd"
    assert scene.uri.endswith("scenes/s1")
    with pytest.raises(ObjectNotFound):
        scene.read_bytes("scenes/s2/usd/scene.usda")


BAD_KEYS = ["../x", "/abs", "a\\b", "a/../../b", ""]
KEY_OPERATIONS: dict[str, Callable[[Storage, str, Path], object]] = {
    "read_bytes": lambda s, k, p: s.read_bytes(k),
    "write_bytes": lambda s, k, p: s.write_bytes(k, b"x"),
    "exists": lambda s, k, p: s.exists(k),
    "delete": lambda s, k, p: s.delete(k),
    "download_file": lambda s, k, p: s.download_file(k, p / "f"),
    "upload_file": lambda s, k, p: s.upload_file(p / "f", k),
    "child": lambda s, k, p: s.child(k),
}


@pytest.mark.parametrize("key", BAD_KEYS)
@pytest.mark.parametrize("operation", sorted(KEY_OPERATIONS))
def test_bad_keys_rejected(storage: Storage, tmp_path: Path, operation: str, key: str) -> None:
    """Absolute, parent-escaping, backslashed and empty keys raise StorageError everywhere."""
    (tmp_path / "f").write_bytes(b"local")
    with pytest.raises(StorageError):
        KEY_OPERATIONS[operation](storage, key, tmp_path)
    assert storage.list() == []


@pytest.mark.parametrize("prefix", ["../x", "/abs", "a\\b"])
def test_bad_list_prefix_rejected(storage: Storage, prefix: str) -> None:
    """list() rejects a prefix that is not a valid key."""
    with pytest.raises(StorageError):
        storage.list(prefix)


# --- local filesystem specifics ------------------------------------------------------------


def test_local_failed_write_keeps_original_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local write that fails before commit leaves the old file and no temp file behind."""
    store = LocalStorage(tmp_path)
    store.write_bytes("a/file.json", b"original")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "simulated I/O error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="simulated"):
        store.write_bytes("a/file.json", b"new contents that never land")
    assert store.read_bytes("a/file.json") == b"original"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["file.json"]


def test_local_writes_leave_no_temp_files(tmp_path: Path) -> None:
    """Successful, overwriting and losing create-only local writes leave only the target."""
    store = LocalStorage(tmp_path)
    store.write_bytes("m/k", b"1", create_only=True)
    store.write_bytes("m/k", b"2")
    with pytest.raises(PreconditionFailed):
        store.write_bytes("m/k", b"3", create_only=True)
    assert [p.name for p in (tmp_path / "m").iterdir()] == ["k"]


# --- GCS specifics -------------------------------------------------------------------------


def test_gcs_generation_match(gcs_storage: GCSStorage) -> None:
    """A write conditioned on a stale generation raises PreconditionFailed and changes nothing."""
    assert gcs_storage.generation("state.json") is None
    gcs_storage.write_bytes("state.json", b"v1")
    first = gcs_storage.generation("state.json")
    assert first is not None
    gcs_storage.write_bytes("state.json", b"v2", if_generation_match=first)
    with pytest.raises(PreconditionFailed):
        gcs_storage.write_bytes("state.json", b"v3", if_generation_match=first)
    assert gcs_storage.read_bytes("state.json") == b"v2"
    with pytest.raises(ValueError):
        gcs_storage.write_bytes("state.json", b"v4", create_only=True, if_generation_match=0)


def test_gcs_missing_bucket(raw_gcs_client: google.cloud.storage.Client) -> None:
    """On a missing bucket reads raise ObjectNotFound and writes a permanent StorageError."""
    missing = GCSStorage("no-such-bucket", "x", client=raw_gcs_client)
    with pytest.raises(ObjectNotFound):
        missing.read_bytes("k")
    with pytest.raises(StorageError, match="bucket no-such-bucket not found") as info:
        missing.write_bytes("k", b"x")
    assert not isinstance(info.value, ObjectNotFound)
    assert not info.value.retryable


def test_gcs_sets_content_type(
    gcs_storage: GCSStorage, raw_gcs_client: google.cloud.storage.Client
) -> None:
    """Objects get a content type guessed from the key's extension."""
    gcs_storage.write_json("reports/validation_report.json", {"ok": True})
    gcs_storage.write_bytes("blob", b"\x00")
    bucket = raw_gcs_client.bucket(gcs_storage.bucket_name)
    assert bucket.get_blob("reports/validation_report.json").content_type == "application/json"
    assert bucket.get_blob("blob").content_type == "application/octet-stream"


def test_gcs_list_skips_placeholders_and_invalid_names(
    gcs_storage: GCSStorage, raw_gcs_client: google.cloud.storage.Client
) -> None:
    """list() omits folder placeholders and object names that are not valid keys."""
    bucket = raw_gcs_client.bucket(gcs_storage.bucket_name)
    for name in ["scenes/", "scenes/s1/", "scenes/s1/a\\b", "scenes/s1//double"]:
        bucket.blob(name).upload_from_string(b"")
    gcs_storage.write_bytes("scenes/s1/ok.json", b"{}")
    assert gcs_storage.list() == ["scenes/s1/ok.json"]
    assert gcs_storage.child("scenes").list("s1") == ["s1/ok.json"]


def test_gcs_close_is_repeatable(gcs_storage: GCSStorage) -> None:
    """close() can be called twice, and a closed storage rebuilds its client on next use."""
    gcs_storage.write_bytes("k", b"v")
    gcs_storage.close()
    gcs_storage.close()
    assert gcs_storage.read_bytes("k") == b"v"


def test_gcs_constructor_and_factory() -> None:
    """open_storage maps gs:// URIs to GCSStorage; invalid buckets and prefixes are refused."""
    opened = open_storage("gs://bucket/scenes/s1/")
    assert isinstance(opened, GCSStorage)
    assert (opened.bucket_name, opened.prefix, opened.uri) == (
        "bucket",
        "scenes/s1",
        "gs://bucket/scenes/s1",
    )
    assert GCSStorage("bucket").uri == "gs://bucket"
    for bucket, prefix in [("", ""), ("a/b", ""), ("bucket", "../up"), ("bucket", "a\\b")]:
        with pytest.raises(StorageError):
            GCSStorage(bucket, prefix)


@pytest.mark.parametrize(
    ("exc", "expected_type", "retryable"),
    [
        (api_exceptions.NotFound("gone"), ObjectNotFound, False),
        (api_exceptions.PreconditionFailed("raced"), PreconditionFailed, False),
        (api_exceptions.TooManyRequests("slow down"), StorageError, True),
        (api_exceptions.from_http_status(408, "timeout"), StorageError, True),
        (api_exceptions.ServiceUnavailable("down"), StorageError, True),
        (api_exceptions.InternalServerError("oops"), StorageError, True),
        (api_exceptions.RetryError("deadline exceeded", None), StorageError, True),
        (api_exceptions.Forbidden("denied"), StorageError, False),
        (api_exceptions.BadRequest("bad"), StorageError, False),
        (requests.ConnectionError("reset"), StorageError, True),
        (ConnectionResetError(104, "reset"), StorageError, True),
        (auth_exceptions.TransportError("metadata server"), StorageError, True),
        (auth_exceptions.RefreshError("revoked"), StorageError, False),
        (auth_exceptions.RefreshError("flaky", retryable=True), StorageError, True),
        (ValueError("unrelated"), StorageError, False),
    ],
)
def test_translate_error(exc: BaseException, expected_type: type, retryable: bool) -> None:
    """Client failures map to storage errors; `retryable` says whether they are transient."""
    error = translate_error(exc, "gs://b/k")
    assert type(error) is expected_type
    assert error.retryable is retryable
    assert "gs://b/k" in str(error)


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (429, True), (403, False)])
def test_translate_invalid_response(status: int, retryable: bool) -> None:
    """Raw transport responses are classified by their HTTP status."""
    response = requests.Response()
    response.status_code = status
    error = translate_error(InvalidResponse(response, "unexpected status"), "gs://b/k")
    assert type(error) is StorageError
    assert error.retryable is retryable


def test_translate_error_truncates_long_messages() -> None:
    """A huge error body is cut so logs stay readable."""
    error = translate_error(api_exceptions.BadRequest("x" * 10_000), "gs://b/k")
    assert len(str(error)) < 700
