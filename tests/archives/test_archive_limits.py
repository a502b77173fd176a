"""Limits: defaults, validation, and enforcement on bytes actually read and on time."""

from __future__ import annotations

import dataclasses
import io

import pytest

from tools.archives import (
    ExtractionLimits,
    LimitOverrides,
    UnsafeArchiveError,
    safe_extract_tar,
    safe_extract_zip,
)
from tools.archives.limits import Budget
from tools.archives.stream import MeteredStream
from tools.archives.testing import file, write_tar, write_zip, zip_entry


def test_defaults_match_the_policy():
    """Defaults: 100,000 members and 100:1 once more than 64 MiB have been expanded."""
    limits = ExtractionLimits()
    assert limits.max_members == 100_000
    assert limits.max_ratio == 100.0
    assert limits.ratio_grace_bytes == 64 * 2**20


def test_overrides_cover_every_limit():
    """Every ExtractionLimits field can be passed as a keyword override, and nothing else."""
    fields = {field.name for field in dataclasses.fields(ExtractionLimits)}
    assert set(LimitOverrides.__annotations__) == fields


@pytest.mark.parametrize(
    "bad", [{"max_members": 0}, {"max_ratio": float("nan")}, {"max_seconds": -1}]
)
def test_non_positive_limits_are_refused(bad):
    """A zero, negative or NaN limit is a programming error, reported at once."""
    with pytest.raises(ValueError, match=next(iter(bad))):
        ExtractionLimits(**bad)


def test_non_numeric_limit_is_refused():
    """A limit of the wrong type (here a bool) is refused."""
    with pytest.raises(TypeError, match="max_members"):
        ExtractionLimits(max_members=True)


def test_unknown_limit_is_refused(tmp_path):
    """A misspelt limit name fails instead of being ignored."""
    archive = write_tar(tmp_path / "a.tar", [file("a.txt")])
    with pytest.raises(TypeError, match="max_member"):
        safe_extract_tar(archive, tmp_path / "out", max_member=1)  # type: ignore[call-arg]


@pytest.mark.parametrize("extract", ["tar", "zip"])
def test_per_member_and_total_limits(tmp_path, extract):
    """A member above max_member_bytes, or members summing above max_total_bytes, fail."""
    names = [("a.bin", 600), ("b.bin", 600)]
    if extract == "tar":
        archive = write_tar(tmp_path / "a.tar", [file(n, b"x" * size) for n, size in names])
        run = safe_extract_tar
    else:
        archive = write_zip(tmp_path / "a.zip", [(zip_entry(n), b"x" * s) for n, s in names])
        run = safe_extract_zip
    with pytest.raises(UnsafeArchiveError, match="larger than 500 bytes"):
        run(archive, tmp_path / "out1", max_member_bytes=500)
    with pytest.raises(UnsafeArchiveError, match="expands to more than 1000 bytes"):
        run(archive, tmp_path / "out2", max_total_bytes=1000)
    assert not (tmp_path / "out1").exists() and not (tmp_path / "out2").exists()


def test_budget_counts_bytes_actually_written():
    """Bytes are counted as written, whatever a header claimed."""
    budget = Budget(ExtractionLimits(max_member_bytes=10, max_total_bytes=15))
    budget.add_member("a")
    budget.add_bytes("a", 10)
    with pytest.raises(UnsafeArchiveError, match="larger than 10 bytes"):
        budget.add_bytes("a", 1)
    budget.add_member("b")
    with pytest.raises(UnsafeArchiveError, match="more than 15 bytes"):
        budget.add_bytes("b", 6)


def test_ratio_applies_only_after_the_grace_size():
    """A high ratio is fine below ratio_grace_bytes and refused above it."""
    budget = Budget(ExtractionLimits(ratio_grace_bytes=1000, max_ratio=10))
    budget.check_ratio(1000, 1)
    with pytest.raises(UnsafeArchiveError, match="expansion ratio above 10:1"):
        budget.check_ratio(1001, 100)
    budget.check_ratio(1001, 101)


def test_wall_clock_budget(tmp_path):
    """An extraction that outlives max_seconds is stopped and leaves nothing behind."""
    archive = write_tar(tmp_path / "a.tar", [file("a.txt")])
    with pytest.raises(UnsafeArchiveError, match="took longer than"):
        safe_extract_tar(archive, tmp_path / "out", max_seconds=1e-9)
    assert not (tmp_path / "out").exists()


def test_metered_stream_refuses_unbounded_reads_writes_and_backward_seeks():
    """The tar stream is forward-only and read-only, with bounded reads."""
    stream = MeteredStream(io.BytesIO(b"abcdef"), lambda: 6, Budget(ExtractionLimits()))
    assert stream.read(3) == b"abc"
    with pytest.raises(io.UnsupportedOperation):
        stream.read()
    with pytest.raises(io.UnsupportedOperation):
        stream.write(b"x")
    with pytest.raises(UnsafeArchiveError, match="backward seek"):
        stream.seek(1)
    with pytest.raises(UnsafeArchiveError, match="unexpected end of data"):
        stream.seek(100)
