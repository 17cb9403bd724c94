"""pip and uv install, with hash checking and PEP 658 metadata, from an index built by `--package-dir`."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.version import Version

from tests.support import Server, build_index, make_sdist, make_wheel, pip, serve, uv


class Index:
    """dist/ built into out/ by `dumb-pypi --package-dir dist/ --output-dir out/`, out/ served on loopback."""

    def __init__(self, tmp_path: Path, server: Server) -> None:
        self.tmp_path = tmp_path
        self.dist = tmp_path / "dist"
        self.out = tmp_path / "out"
        self.server = server
        self.url = f"{server.url}simple/"

    def build(self) -> None:
        assert build_index(self.tmp_path, "--package-dir", "dist", "--output-dir", "out", "--quiet") == 0

    def gets(self) -> list[str]:
        """The files fetched below packages/, in order."""
        return [path.removeprefix("/packages/") for path, _ in self.server.requests if path.startswith("/packages/")]

    def target(self, name: str) -> Path:
        return self.tmp_path / name


APP = "app-1.0-py3-none-any.whl"
LIB = "lib_util-2.0-py3-none-any.whl"
LIB_SDIST = "lib.util-2.0.tar.gz"


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Index]:
    (tmp_path / "out").mkdir()
    with serve(tmp_path / "out") as server:
        index = Index(tmp_path, server)
        make_wheel(index.dist, "app", "1.0", requires_dist=["lib.util>=2"], requires_python=">=3.8")
        sdist = make_sdist(index.dist, "lib.util", "2.0")
        # This wheel comes from a PEP 517 build of the sdist (its in-tree backend, offline).
        built = pip("wheel", "--no-deps", "--no-index", "--wheel-dir", str(index.dist), str(sdist))
        assert built.returncode == 0, _output(built)
        assert (index.dist / LIB).is_file()
        # An older release pip must not pick: only its metadata says it is too old.
        make_wheel(index.dist, "lib.util", "1.0")
        index.build()
        yield index


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def _imported_version(target: Path, module: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}; print({module}.__version__)"],
        env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True, text=True, check=True,
    )
    return result.stdout.strip()


def _pip_version() -> Version:
    return Version(pip("--version").stdout.split()[1])


def test_pip_resolves_from_the_metadata_files_without_fetching_a_wheel(index: Index) -> None:
    result = pip("install", "--dry-run", "-v", "--only-binary", ":all:", "--index-url", index.url, "app")

    assert result.returncode == 0, _output(result)
    assert "Would install app-1.0 lib.util-2.0" in result.stdout, _output(result)
    # pip says where it took each dependency list from: the .metadata file.
    assert re.search(rf"Obtaining dependency information for app from \S+/packages/{APP}\.metadata", result.stdout)
    assert re.search(rf"Obtaining dependency information for lib.util>=2 from \S+/packages/{LIB}\.metadata", result.stdout)
    assert index.gets() == [f"{APP}.metadata", f"{LIB}.metadata"]


def test_pip_installs_the_wheels_checking_their_hashes_and_metadata(index: Index) -> None:
    target = index.target("t")

    result = pip("install", "--only-binary", ":all:", "--index-url", index.url, "--target", str(target), "app")

    assert result.returncode == 0, _output(result)
    assert _imported_version(target, "app") == "1.0"
    assert _imported_version(target, "lib_util") == "2.0"
    # Metadata first for resolving, then the wheels, each checked against the
    # page's sha256 and, on this pip, its METADATA against the .metadata file.
    assert index.gets() == [f"{APP}.metadata", f"{LIB}.metadata", APP, LIB]


def test_pip_refuses_a_metadata_file_that_differs_from_the_wheel(index: Index) -> None:
    """The control for the test above: this pip does compare the two, so its passing means ours are identical."""
    if _pip_version() < Version("26.2"):
        pytest.skip(f"pip {_pip_version()} does not compare a .metadata file with the wheel's METADATA (26.2 does)")
    metadata = index.out / "packages" / f"{APP}.metadata"
    old_digest = hashlib.sha256(metadata.read_bytes()).hexdigest()
    metadata.write_bytes(metadata.read_bytes().replace(b"Requires-Dist: lib.util>=2\n", b"Requires-Dist: lib.util>=1\n"))
    page = index.out / "simple" / "app" / "index.html"
    page.write_text(page.read_text().replace(old_digest, hashlib.sha256(metadata.read_bytes()).hexdigest()))

    result = pip("install", "--only-binary", ":all:", "--index-url", index.url, "--target", str(index.target("t")), "app")

    assert result.returncode != 0, _output(result)
    assert "inconsistent Requires-Dist between its PEP 658 .metadata file and the wheel's METADATA" in result.stderr, (
        _output(result)
    )


def test_pip_refuses_a_published_file_whose_bytes_differ_from_the_index(index: Index) -> None:
    """The hashes on the pages are checked: a published wheel swapped behind the index's back is refused."""
    published = index.out / "packages" / LIB
    data = published.read_bytes()
    published.unlink()  # it is a hard link to dist/: replace, never edit, so dist/ stays as it was
    published.write_bytes(data + b"\0")

    result = pip("install", "--only-binary", ":all:", "--index-url", index.url, "--target", str(index.target("t")), "app")

    assert result.returncode != 0, _output(result)
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr, _output(result)


def test_pip_builds_and_installs_the_sdist(index: Index) -> None:
    target = index.target("t")

    result = pip("install", "--no-binary", "lib.util", "--index-url", index.url, "--target", str(target), "lib.util")

    assert result.returncode == 0, _output(result)
    assert _imported_version(target, "lib_util") == "2.0"
    assert index.gets() == [LIB_SDIST]


def test_uv_installs_from_the_metadata_files_and_wheels(index: Index) -> None:
    target = index.target("t")

    result = uv("pip", "install", "--index-url", index.url, "--target", str(target), "app")

    assert result.returncode == 0, _output(result)
    assert _imported_version(target, "app") == "1.0"
    assert _imported_version(target, "lib_util") == "2.0"
    gets = index.gets()
    assert sorted(gets[:2]) == sorted([f"{APP}.metadata", f"{LIB}.metadata"]), gets
    assert sorted(gets[2:]) == sorted([APP, LIB]), gets


def test_uv_refuses_a_published_file_whose_bytes_differ_from_the_index(index: Index) -> None:
    published = index.out / "packages" / APP
    data = published.read_bytes()
    published.unlink()
    published.write_bytes(data + b"\0")

    result = uv("pip", "install", "--index-url", index.url, "--target", str(index.target("t")), "app")

    assert result.returncode != 0, _output(result)
    assert "Hash mismatch for `app==1.0`" in result.stderr, _output(result)
    assert hashlib.sha256(data).hexdigest() in result.stderr, _output(result)
