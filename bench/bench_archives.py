"""Benchmark safe_extract_tar against tarfile.extractall(filter="data") on one large archive.

Usage:
    python bench/bench_archives.py                      # ~1 GiB, 10,000 files, plain tar
    python bench/bench_archives.py --size-mb 256 --compression gz --repeat 3
    python bench/bench_archives.py --dir-flood 120000  # hostile: refusal time vs tarfile's

Builds the archive once, then extracts it with each method in a fresh subprocess (so peak
memory is per method), alternating the methods, and prints median throughput, the ratio
safe/tarfile (goal >= 0.8) and each method's peak resident memory.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

METHODS = ("safe_extract_tar", "tarfile_data_filter")


def build_archive(path: Path, size_mb: int, files: int, compression: str) -> int:
    """Write `files` members totalling about `size_mb` MiB in 100 directories; return bytes."""
    rng = random.Random(0)
    block = rng.randbytes(1 << 20)  # incompressible-ish content, reused at shifting offsets
    per_file = (size_mb << 20) // files
    mode = "w:gz" if compression == "gz" else "w"
    total = 0
    options = {"compresslevel": 1} if compression == "gz" else {}
    with tarfile.open(path, mode, **options) as tar:  # type: ignore[call-overload]
        for index in range(files):
            size = max(1, per_file + rng.randint(-per_file // 2, per_file // 2))
            start = rng.randrange(len(block))
            data = block[start : start + size]
            if len(data) < size:
                data += (block * (size // len(block) + 1))[: size - len(data)]
            info = tarfile.TarInfo(f"dir{index % 100:03d}/file{index:05d}.bin")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            total += len(data)
    return total


def build_dir_flood(path: Path, entries: int) -> None:
    """Write a tar of `entries` empty directory entries (100 per parent directory)."""
    with tarfile.open(path, "w") as tar:
        for index in range(entries):
            info = tarfile.TarInfo(f"d{index // 100:05d}/e{index:07d}")
            info.type = tarfile.DIRTYPE
            tar.addfile(info)


def child(method: str, archive: str, out: str) -> None:
    """Extract once with `method` and print seconds, peak RSS and a refusal as JSON."""
    start = time.perf_counter()
    refused = False
    if method == "safe_extract_tar":
        from tools.archives import UnsafeArchiveError, safe_extract_tar

        try:
            safe_extract_tar(archive, out)
        except UnsafeArchiveError:
            refused = True
    else:
        with tarfile.open(archive) as tar:
            tar.extractall(out, filter="data")
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, "refused": refused}))


def run_once(method: str, archive: Path, out: Path) -> dict[str, float]:
    """Run one extraction in a subprocess and return its measurements."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, __file__, "--child", method, str(archive), str(out)]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    shutil.rmtree(out, ignore_errors=True)
    measured: dict[str, float] = json.loads(result.stdout)
    return measured


def dir_flood(workdir: Path, entries: int) -> None:
    """Time the refusal of a directory flood next to tarfile extracting it."""
    archive = workdir / "flood.tar"
    build_dir_flood(archive, entries)
    print(f"archive: {entries} directory entries, {archive.stat().st_size / 2**20:.0f} MiB")
    for method in METHODS:
        run = run_once(method, archive, workdir / "out")
        outcome = "refused" if run["refused"] else "extracted"
        seconds, peak = run["seconds"], run["peak_mib"]
        print(f"{method:>20}: {outcome} in {seconds:6.2f} s  peak RSS {peak:6.1f} MiB")


def main() -> None:
    """Parse arguments, build the archive, measure both methods and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="total member bytes (MiB)")
    parser.add_argument("--files", type=int, default=10_000, help="number of members")
    parser.add_argument("--compression", choices=("none", "gz"), default="none")
    parser.add_argument("--repeat", type=int, default=1, help="runs per method (median kept)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to build and extract")
    parser.add_argument(
        "--dir-flood", type=int, default=0, help="instead: a tar of this many directory entries"
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("METHOD", "ARCHIVE", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-archives-", dir=args.workdir))
    try:
        if args.dir_flood:
            dir_flood(workdir, args.dir_flood)
            return
        archive = workdir / ("bench.tar.gz" if args.compression == "gz" else "bench.tar")
        started = time.perf_counter()
        total = build_archive(archive, args.size_mb, args.files, args.compression)
        print(
            f"archive: {args.files} files, {total / 2**20:.0f} MiB of data, "
            f"{archive.stat().st_size / 2**20:.0f} MiB on disk ({args.compression}), "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        runs: dict[str, list[dict[str, float]]] = {method: [] for method in METHODS}
        for _ in range(args.repeat):
            for method in METHODS:
                runs[method].append(run_once(method, archive, workdir / "out"))
        speed = {}
        for method in METHODS:
            seconds = statistics.median(run["seconds"] for run in runs[method])
            peak = max(run["peak_mib"] for run in runs[method])
            speed[method] = total / 2**20 / seconds
            print(
                f"{method:>20}: {seconds:6.2f} s  {speed[method]:7.1f} MiB/s  "
                f"peak RSS {peak:6.1f} MiB"
            )
        ratio = speed["safe_extract_tar"] / speed["tarfile_data_filter"]
        print(f"throughput ratio safe/tarfile: {ratio:.2f} (goal >= 0.8)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
