"""Makes a realistic, deterministic package list of N files for the benchmark.

    python bench/make_list.py --files 100000 --out /dev/shm/list.jsonl
    python bench/make_list.py --from ../shared/data/package-list-huge.txt --out /dev/shm/huge.jsonl

The same --files and --seed give the same bytes on any machine. The mix is
shaped like PyPI's: most projects have a handful of files, a few have
thousands (binary projects with dozens of wheels, with long platform tags,
per release); a small share of versions are not PEP 440; old releases are
sdists in the old formats (.zip, .tar.bz2, eggs, Windows installers). Every
record carries a sha256 hash, a size and an upload time; many carry
requires_python, core_metadata and requires_dist, a few are yanked.

JSON lines are written in the vocabulary that both dumb-pypi 1.15 and this
dumb-pypi read, plus `size`, which 1.15 does not know (see `for_115`).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# 2005-01-01 .. 2024-12-31, UTC.
FIRST_UPLOAD = 1104537600
LAST_UPLOAD = 1735603200

_WORDS = (
    "py async aio api auth aws azure backup bio cache cli client cloud color config core crypto csv data "
    "date db debug deploy dev django docker doc easy email event fast file flask flow form geo git google "
    "graph grpc hash html http image io jinja json jupyter jwt kafka lab lib lint log mail map markdown "
    "math media meta ml mock model mongo net nlp note oauth open orm pandas parse path pdf pipe plot "
    "plugin pool proto proxy pub queue rate redis remote req rest rpc s3 scan schema sci sdk search "
    "secure serial server shell signal simple slack sql ssh stat store stream sync table task tensor "
    "test text thread time tool torch trace tree type ui unit url util uuid valid vector video view "
    "web wsgi xml yaml zip zope"
).split()
_SUFFIXES = ("", "", "", "", "s", "er", "ify", "ly", "x", "2", "3", "kit", "lib", "tools", "utils")
_PEOPLE = tuple(f"user{i}" for i in range(40)) + ("ci-bot", "release-bot", "admin")

_CPYTHONS = ("36", "37", "38", "39", "310", "311", "312", "313")
_PLATFORMS = (
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "manylinux_2_5_i686.manylinux1_i686.manylinux_2_17_i686.manylinux2014_i686",
    "musllinux_1_1_x86_64",
    "musllinux_1_1_aarch64",
    "macosx_10_9_x86_64",
    "macosx_11_0_arm64",
    "macosx_10_9_universal2",
    "win_amd64",
    "win32",
)
_REQUIREMENTS = (
    "requests>=2.20", "urllib3<3", "attrs>=21.3.0", "typing-extensions>=4.0; python_version < '3.11'",
    "numpy>=1.21", "click>=8.0", "pydantic>=2,<3", "packaging", "six", "colorama; sys_platform == 'win32'",
    "importlib-metadata>=4.6; python_version < '3.10'", "pyyaml>=5.1", "jinja2>=3.0", "tomli>=1.1.0; python_version < '3.11'",
)
# Version spellings that PEP 440 refuses, seen on real indexes.
_INVALID_VERSIONS = ("{v}-SNAPSHOT", "{v}-custom", "{v}_build{n}", "{v}.x", "{v}-{h}", "{v}.final{n}")


def _escape_wheel(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name)


class _Project:
    def __init__(self, rng: random.Random, name: str) -> None:
        self.rng = rng
        self.name = name
        roll = rng.random()
        self.kind = "binary" if roll < 0.05 else "legacy" if roll < 0.40 else "pure"
        self.start = rng.randint(FIRST_UPLOAD, LAST_UPLOAD - 86400 * 30)

    def releases(self) -> int:
        # Lognormal with a long tail: median about 3 releases, a few hundred at most.
        return min(400, 1 + int(self.rng.lognormvariate(0.7, 1.2)))


def _project_names(rng: random.Random) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        words = [rng.choice(_WORDS) for _ in range(rng.choice((1, 2, 2, 2, 3)))]
        words[-1] += rng.choice(_SUFFIXES)
        sep = rng.choice(("-", "-", "-", "_", ".", ""))
        name = sep.join(words)
        if rng.random() < 0.1:
            name = name.title().replace(" ", "")
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            key += str(len(seen))
            name += str(len(seen))
        seen.add(key)
        yield name


def _versions(rng: random.Random, count: int) -> list[str]:
    out = []
    major, minor, patch = rng.choice((0, 0, 1, 2)), rng.randint(0, 9), 0
    calver = rng.random() < 0.05
    for i in range(count):
        step = rng.random()
        if step < 0.6:
            patch += 1
        elif step < 0.9:
            minor, patch = minor + 1, 0
        else:
            major, minor, patch = major + 1, 0, 0
        base = f"{2010 + i // 12}.{i % 12 + 1}" if calver else f"{major}.{minor}.{patch}"
        extra = rng.random()
        if extra < 0.06:
            base += rng.choice(("a1", "b2", "rc1", ".dev0", ".post1", "rc2"))
        elif extra < 0.075:
            pattern = rng.choice(_INVALID_VERSIONS)
            base = pattern.format(v=base, n=rng.randint(1, 99), h=f"{rng.getrandbits(28):07x}")
        out.append(base)
    return out


def _hash(rng: random.Random) -> str:
    return f"sha256={rng.getrandbits(256):064x}"


def _files_of_release(rng: random.Random, project: _Project, version: str, age: float) -> list[tuple[str, str]]:
    """(filename, packagetype) of one release; `age` 0 is the project's first release, 1 its newest."""
    name = project.name
    wheel_name = _escape_wheel(name)
    files: list[tuple[str, str]] = []
    valid_wheel = not re.search(r"[-_]|SNAPSHOT|custom|\.x$|final", version)
    year = 2005 + int(age * 19)
    if project.kind == "legacy" or year < 2013 or not valid_wheel:
        ext = rng.choice((".tar.gz", ".tar.gz", ".tar.gz", ".zip", ".tar.bz2"))
        files.append((f"{name}-{version}{ext}", "sdist"))
        roll = rng.random()
        if roll < 0.08:
            files.append((f"{name}-{version}-py2.{rng.choice((5, 6, 7))}.egg", "egg"))
        elif roll < 0.1:
            files.append((f"{name}-{version}.win32.exe", "exe"))
        if project.kind == "legacy" or not valid_wheel:
            return files
    else:
        files.append((f"{name}-{version}.tar.gz", "sdist"))
    if project.kind == "pure":
        tag = "py3-none-any" if year >= 2019 else "py2.py3-none-any"
        files.append((f"{wheel_name}-{version}-{tag}.whl", "wheel"))
        return files
    first = 2 + int(age * 4)
    pythons = _CPYTHONS[first:first + rng.randint(3, 5)]
    platforms = _PLATFORMS[:rng.randint(4, len(_PLATFORMS))]
    for py in pythons:
        for platform in platforms:
            files.append((f"{wheel_name}-{version}-cp{py}-cp{py}-{platform}.whl", "wheel"))
    if rng.random() < 0.3:
        files.append((f"{wheel_name}-{version}-pp39-pypy39_pp73-{_PLATFORMS[0]}.whl", "wheel"))
    return files


def _record(rng: random.Random, filename: str, kind: str, timestamp: int, age: float) -> dict[str, Any]:
    record: dict[str, Any] = {"filename": filename, "hash": _hash(rng)}
    if kind == "wheel" and rng.random() < 0.6:
        record["core_metadata"] = _hash(rng)
    if age > 0.4 and rng.random() < 0.8:
        record["requires_python"] = rng.choice((">=3.7", ">=3.8", ">=3.9", ">=3.8,<4", ">=2.7, !=3.0.*, !=3.1.*"))
    if kind != "exe" and rng.random() < 0.5:
        record["requires_dist"] = rng.sample(_REQUIREMENTS, rng.randint(1, 5))
    record["upload_timestamp"] = timestamp
    record["uploaded_by"] = rng.choice(_PEOPLE)
    if rng.random() < 0.004:
        record["yanked_reason"] = rng.choice(("broken build", "security issue, see changelog", "wrong metadata"))
    record["size"] = int(rng.lognormvariate(11.5 if kind == "sdist" else 13, 1.3))
    return record


def generate(files: int, seed: int = 1) -> list[dict[str, Any]]:
    """`files` records, sorted by filename (as a bucket listing is)."""
    rng = random.Random(seed)
    names = _project_names(rng)
    records: list[dict[str, Any]] = []
    while len(records) < files:
        project = _Project(rng, next(names))
        count = project.releases()
        timestamp = project.start
        span = max(1, LAST_UPLOAD - project.start)
        for i, version in enumerate(_versions(rng, count)):
            age = i / max(1, count - 1)
            timestamp = min(LAST_UPLOAD, timestamp + int(rng.expovariate(1 / (span / (count + 1)))))
            for filename, kind in _files_of_release(rng, project, version, age):
                records.append(_record(rng, filename, kind, timestamp + len(records) % 600, age))
                if len(records) == files:
                    break
            if len(records) == files:
                break
    records.sort(key=lambda r: r["filename"])
    return records


def from_filenames(lines: Iterable[str], seed: int = 1) -> list[dict[str, Any]]:
    """Records for real filenames (one a line), with made-up hashes, sizes and times."""
    rng = random.Random(seed)
    records = []
    for line in lines:
        filename = line.strip()
        if not filename or filename.startswith("#"):
            continue
        kind = "wheel" if filename.endswith(".whl") else "sdist"
        age = rng.random()
        timestamp = FIRST_UPLOAD + int(age * (LAST_UPLOAD - FIRST_UPLOAD))
        records.append(_record(rng, filename, kind, timestamp, age))
    return records


def one_upload_more(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The list after one new upload to an existing mid-sized project: what a cron run usually sees.

    Returns the new list and the new file's name.
    """
    by_prefix: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_prefix.setdefault(record["filename"].split("-", 1)[0], []).append(record)
    # The project in the middle of the list with 20 to 200 files, so the
    # change is neither trivial nor the largest project.
    candidates = [files for files in by_prefix.values() if 20 <= len(files) <= 200 and
                  files[0]["filename"].endswith(".tar.gz")]
    files = candidates[len(candidates) // 2] if candidates else next(iter(by_prefix.values()))
    template = files[0]
    stem = template["filename"][:-len(".tar.gz")] if template["filename"].endswith(".tar.gz") else "x-0"
    name = stem.rsplit("-", 1)[0]
    new = dict(template)
    new["filename"] = f"{name}-999.0.0.tar.gz"
    new["upload_timestamp"] = LAST_UPLOAD + 3600
    new["hash"] = "sha256=" + "ab" * 32
    new.pop("yanked_reason", None)
    # Beside the project's other files, the rest of the list in its order:
    # as a new listing of the same bucket, or a log with one more upload, has it.
    at = max(i for i, record in enumerate(records) if record is files[-1]) + 1
    out = records[:at] + [new] + records[at:]
    return out, new["filename"]


_KEYS_115 = frozenset((
    "filename", "hash", "requires_dist", "requires_python", "upload_timestamp", "uploaded_by",
    "yanked_reason", "core_metadata",
))


def for_115(record: dict[str, Any]) -> dict[str, Any]:
    """The record without the keys dumb-pypi 1.15 does not know (it stops with a TypeError on them)."""
    return {k: v for k, v in record.items() if k in _KEYS_115}


def write_json_lines(records: Iterable[dict[str, Any]], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, separators=(",", ":")) + "\n")


def write_plain(records: Iterable[dict[str, Any]], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(record["filename"] + "\n")


def describe(records: list[dict[str, Any]]) -> str:
    """A line on the mix: projects, files per project, kinds."""
    per_project: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for record in records:
        filename = record["filename"]
        key = re.sub(r"[-_.]+", "-", re.split(r"-(?=\d)", filename, maxsplit=1)[0]).lower()
        per_project[key] = per_project.get(key, 0) + 1
        ext = "whl" if filename.endswith(".whl") else filename.rsplit(".", 2 if filename.endswith((".gz", ".bz2")) else 1)[-1]
        kinds[ext] = kinds.get(ext, 0) + 1
    sizes = sorted(per_project.values())
    median = sizes[len(sizes) // 2]
    share = ", ".join(f"{k} {100 * v / len(records):.1f}%" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
    return (
        f"{len(records)} files, about {len(sizes)} projects; files per project: median {median},"
        f" 99th percentile {sizes[math.floor(len(sizes) * 0.99)]}, largest {sizes[-1]}; {share}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--files", type=int, help="how many files to make up")
    source.add_argument("--from", dest="from_", metavar="PATH", help="a plain list of real filenames to describe")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--format", choices=("json", "json-115", "plain"), default="json",
                        help="json: every key; json-115: without the keys 1.15 refuses; plain: filenames only")
    args = parser.parse_args(argv)
    if args.from_ is not None:
        with open(args.from_, encoding="utf-8") as f:
            records = from_filenames(f, args.seed)
    else:
        records = generate(args.files, args.seed)
    if args.format == "plain":
        write_plain(records, args.out)
    else:
        write_json_lines(map(for_115, records) if args.format == "json-115" else records, args.out)
    print(describe(records), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
