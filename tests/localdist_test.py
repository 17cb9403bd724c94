"""`--package-dir`: a folder of real distributions becomes records, published files and .metadata files."""
from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest

from dumb_pypi import localdist
from tests.support import anchors, build_index, make_sdist, make_wheel, sha256

# 2026-11-03 04:05:06.123456 UTC: a microsecond part that must survive.
MTIME_NS = 1793678706_123456_789


class Run:
    def __init__(self, code: int, err: str) -> None:
        self.code = code
        self.err = err

    def reading(self) -> list[str]:
        """The files a --verbose run says it opened."""
        prefix = "dumb-pypi: reading "
        return [line.removeprefix(prefix) for line in self.err.splitlines() if line.startswith(prefix)]


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*argv: str) -> Run:
        capsys.readouterr()
        code = build_index(
            tmp_path, "--package-dir", "dist", "--output-dir", "out", "--no-generate-timestamp", "--verbose", *argv,
        )
        return Run(code, capsys.readouterr().err)

    return run


def records(tmp_path: Path) -> dict[str, dict[str, Any]]:
    lines = (tmp_path / "out" / "packages.json").read_text().splitlines()
    return {record["filename"]: record for record in map(json.loads, lines)}


def simple_json(tmp_path: Path, project: str) -> dict[str, dict[str, Any]]:
    page = json.loads((tmp_path / "out" / "simple" / project / "index.v1_json").read_text())
    return {f["filename"]: f for f in page["files"]}


def wheel_metadata_bytes(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return archive.read(name)


def snapshot(directory: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file's bytes, mode and mtime: what 'never modify DIR' promises to keep."""
    result = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            st = path.stat()
            result[str(path.relative_to(directory))] = (path.read_bytes(), st.st_mode, st.st_mtime_ns)
    return result


def contents(directory: Path) -> dict[str, bytes]:
    return {str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()}


def make_egg(directory: Path, name: str, version: str, summary: str) -> Path:
    """A zipped egg as bdist_egg lays it out, EGG-INFO/PKG-INFO inside."""
    path = directory / f"{name}-{version}-py3.11.egg"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("EGG-INFO/PKG-INFO", f"Metadata-Version: 1.1\nName: {name}\nVersion: {version}\nSummary: {summary}\n")
        archive.writestr(f"{name}/__init__.py", "")
    return path


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    directory = tmp_path / "dist"
    make_wheel(
        directory, "Aspy.Yaml", "0.2.1",
        requires_python=">=3.8", requires_dist=["pyyaml>=5", 'colorama; sys_platform == "win32"'],
        summary="A YAML helper.",
    )
    make_sdist(directory, "aspy.yaml", "0.2.1", requires_python=">=3.8", summary="A YAML helper.")
    make_wheel(directory, "other", "1.0")
    for path in directory.iterdir():
        os.utime(path, ns=(MTIME_NS, MTIME_NS))
    return directory


WHEEL = "Aspy_Yaml-0.2.1-py3-none-any.whl"
SDIST = "aspy.yaml-0.2.1.tar.gz"
OTHER = "other-1.0-py3-none-any.whl"


def test_every_file_becomes_a_record_with_hash_size_upload_time_and_metadata(tmp_path: Path, dist: Path, run: Any) -> None:
    result = run()

    assert result.code == 0, result.err
    assert sorted(result.reading()) == [f"dist/{name}" for name in sorted([WHEEL, SDIST, OTHER])]
    assert "3 files, 3 read from dist" in result.err
    got = records(tmp_path)
    assert sorted(got) == sorted([WHEEL, SDIST, OTHER])
    for name, record in got.items():
        assert record["hash"] == f"sha256={sha256(dist / name)}"
        assert record["size"] == (dist / name).stat().st_size
        assert record["upload_timestamp"] == 1793678706.123456
    assert got[WHEEL]["requires_python"] == ">=3.8"
    assert got[WHEEL]["requires_dist"] == ["pyyaml>=5", 'colorama; sys_platform == "win32"']
    assert got[WHEEL]["summary"] == "A YAML helper."
    assert got[SDIST]["requires_python"] == ">=3.8"
    assert "requires_dist" not in got[OTHER]

    files = simple_json(tmp_path, "aspy-yaml")
    assert files[WHEEL]["upload-time"] == "2026-11-03T04:05:06.123456Z"
    assert files[WHEEL]["size"] == (dist / WHEEL).stat().st_size
    assert files[WHEEL]["hashes"] == {"sha256": sha256(dist / WHEEL)}
    assert files[WHEEL]["url"] == f"../../packages/{WHEEL}"
    info = json.loads((tmp_path / "out" / "pypi" / "aspy-yaml" / "json").read_text())["info"]
    assert info["summary"] == "A YAML helper."
    assert info["requires_dist"] == ["pyyaml>=5", 'colorama; sys_platform == "win32"']


def test_each_wheels_metadata_is_published_unchanged_and_announced_with_its_hash(
    tmp_path: Path, dist: Path, run: Any,
) -> None:
    assert run().code == 0
    packages = tmp_path / "out" / "packages"

    for wheel, project in [(WHEEL, "aspy-yaml"), (OTHER, "other")]:
        published = (packages / f"{wheel}.metadata").read_bytes()
        assert published == wheel_metadata_bytes(dist / wheel)
        digest = hashlib.sha256(published).hexdigest()
        anchor = anchors((tmp_path / "out" / "simple" / project / "index.html").read_text())[wheel]
        assert anchor["href"] == f"../../packages/{wheel}#sha256={sha256(dist / wheel)}"
        assert anchor["data-core-metadata"] == f"sha256={digest}"
        assert anchor["data-dist-info-metadata"] == f"sha256={digest}"
        assert simple_json(tmp_path, project)[wheel]["core-metadata"] == {"sha256": digest}
    # PEP 658 metadata is promised for wheels only: pip builds an sdist's own.
    assert not (packages / f"{SDIST}.metadata").exists()
    assert "core-metadata" not in simple_json(tmp_path, "aspy-yaml")[SDIST]
    assert "data-core-metadata" not in anchors((tmp_path / "out" / "simple" / "aspy-yaml" / "index.html").read_text())[SDIST]


def test_files_are_hard_linked_into_output_and_the_folder_is_left_as_it_was(tmp_path: Path, dist: Path, run: Any) -> None:
    (dist / "notes.txt").write_text("not a distribution\n")
    before = snapshot(dist)

    assert run().code == 0

    packages = tmp_path / "out" / "packages"
    assert sorted(p.name for p in packages.iterdir()) == sorted(
        [WHEEL, SDIST, OTHER, f"{WHEEL}.metadata", f"{OTHER}.metadata"],
    )
    for name in [WHEEL, SDIST, OTHER]:
        assert (packages / name).stat().st_ino == (dist / name).stat().st_ino
    # Modes and mtimes are compared as well: the hard links must not have been chmod-ed or touched.
    assert snapshot(dist) == before


def test_a_copy_keeps_mtime_and_is_readable_when_hard_links_are_impossible(
    tmp_path: Path, dist: Path, run: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def cross_device(source: object, target: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    (dist / WHEEL).chmod(0o600)
    before = snapshot(dist)

    assert run().code == 0

    copy = tmp_path / "out" / "packages" / WHEEL
    assert copy.stat().st_ino != (dist / WHEEL).stat().st_ino
    assert copy.read_bytes() == (dist / WHEEL).read_bytes()
    assert copy.stat().st_mtime_ns == MTIME_NS
    assert stat.S_IMODE(copy.stat().st_mode) == 0o644
    assert snapshot(dist) == before
    inode = copy.stat().st_ino

    # Size and mtime tell the next run the copy is current: it is not copied again.
    assert run().code == 0
    assert copy.stat().st_ino == inode


def test_links_point_at_packages_url_when_given(tmp_path: Path, dist: Path, run: Any) -> None:
    assert run("--packages-url", "https://pkgs.example/files/").code == 0

    page = anchors((tmp_path / "out" / "simple" / "aspy-yaml" / "index.html").read_text())
    assert page[WHEEL]["href"] == f"https://pkgs.example/files/{WHEEL}#sha256={sha256(dist / WHEEL)}"
    assert (tmp_path / "out" / "packages" / WHEEL).is_file()


def test_a_rerun_reads_only_the_file_that_changed(tmp_path: Path, dist: Path, run: Any) -> None:
    assert run().code == 0
    first = records(tmp_path)
    # Garbage of the same size and mtime where OTHER was: a run that opened
    # it again would hash it differently, or fail to read it.
    replacement = dist / "replacement"
    replacement.write_bytes(b"\0" * (dist / OTHER).stat().st_size)
    os.utime(replacement, ns=(MTIME_NS, MTIME_NS))
    os.replace(replacement, dist / OTHER)
    touched = MTIME_NS + 5_000_000_000
    os.utime(dist / SDIST, ns=(touched, touched))

    result = run()

    assert result.code == 0, result.err
    assert result.reading() == [f"dist/{SDIST}"]
    assert "3 files, 1 read from dist" in result.err
    assert "warning" not in result.err
    second = records(tmp_path)
    assert second[OTHER] == first[OTHER]
    assert second[WHEEL] == first[WHEEL]
    assert second[SDIST] == {**first[SDIST], "upload_timestamp": 1793678711.123456}
    assert simple_json(tmp_path, "aspy-yaml")[SDIST]["upload-time"] == "2026-11-03T04:05:11.123456Z"


def test_a_changed_file_is_read_again(tmp_path: Path, dist: Path, run: Any) -> None:
    assert run().code == 0
    old_metadata = (tmp_path / "out" / "packages" / f"{OTHER}.metadata").read_bytes()
    # A rebuilt wheel under the same name: new bytes, new mtime.
    (dist / OTHER).unlink()
    make_wheel(dist, "other", "1.0", summary="Rebuilt.", requires_dist=["aspy.yaml"])

    result = run()

    assert result.code == 0, result.err
    assert result.reading() == [f"dist/{OTHER}"]
    record = records(tmp_path)[OTHER]
    assert record["hash"] == f"sha256={sha256(dist / OTHER)}"
    assert record["summary"] == "Rebuilt."
    metadata = (tmp_path / "out" / "packages" / f"{OTHER}.metadata").read_bytes()
    assert metadata != old_metadata
    assert metadata == wheel_metadata_bytes(dist / OTHER)
    assert record["core_metadata"] == f"sha256={hashlib.sha256(metadata).hexdigest()}"
    assert (tmp_path / "out" / "packages" / OTHER).read_bytes() == (dist / OTHER).read_bytes()


@pytest.mark.parametrize("previous", [[], ["--previous-package-list-json", "out/packages.json"]], ids=["full", "partial"])
def test_published_files_lost_from_the_output_are_restored(
    tmp_path: Path, dist: Path, run: Any, previous: list[str],
) -> None:
    assert run().code == 0
    packages = tmp_path / "out" / "packages"
    (packages / f"{OTHER}.metadata").unlink()
    (packages / SDIST).unlink()

    result = run(*previous)

    assert result.code == 0, result.err
    # The .metadata file is only in the wheel: it is read again. The sdist is only linked again.
    assert result.reading() == [f"dist/{OTHER}"]
    assert (packages / f"{OTHER}.metadata").read_bytes() == wheel_metadata_bytes(dist / OTHER)
    assert (packages / SDIST).stat().st_ino == (dist / SDIST).stat().st_ino


def test_a_partial_rerun_with_nothing_changed_writes_nothing(tmp_path: Path, dist: Path, run: Any) -> None:
    assert run().code == 0
    before = snapshot(tmp_path / "out")

    result = run("--previous-package-list-json", "out/packages.json")

    assert result.code == 0, result.err
    assert result.reading() == []
    assert "partial build wrote 0 and deleted 0 files" in result.err
    assert snapshot(tmp_path / "out") == before


def test_a_file_removed_from_the_folder_leaves_the_index_and_the_output(tmp_path: Path, dist: Path, run: Any) -> None:
    assert run().code == 0
    (dist / OTHER).unlink()
    (dist / WHEEL).unlink()

    result = run()

    assert result.code == 0, result.err
    assert sorted(records(tmp_path)) == [SDIST]
    assert sorted(p.name for p in (tmp_path / "out" / "packages").iterdir()) == [SDIST]
    assert not (tmp_path / "out" / "simple" / "other").exists()
    assert list(anchors((tmp_path / "out" / "simple" / "aspy-yaml" / "index.html").read_text())) == [SDIST]
    assert sorted(p.name for p in dist.iterdir()) == [SDIST]


def _truncated(dist: Path) -> str:
    wheel = make_wheel(dist, "truncated", "1.0")
    data = wheel.read_bytes()
    wheel.write_bytes(data[: len(data) // 2])
    return wheel.name


def _not_an_archive(dist: Path) -> str:
    (dist / "garbage-1.0.tar.gz").write_bytes(b"this is not a tar file\n" * 10)
    return "garbage-1.0.tar.gz"


def _renamed(dist: Path) -> str:
    wheel = make_wheel(dist, "real-name", "1.0")
    return wheel.rename(dist / "other_name-1.0-py3-none-any.whl").name


def _other_version(dist: Path) -> str:
    wheel = make_wheel(dist, "versioned", "1.0")
    return wheel.rename(dist / "versioned-2.0-py3-none-any.whl").name


def _sdist_without_pkg_info(dist: Path) -> str:
    import tarfile

    path = dist / "nopkginfo-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        data = b"print('hi')\n"
        info = tarfile.TarInfo("nopkginfo-1.0/setup.py")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path.name


def _two_dist_infos(dist: Path) -> str:
    wheel = make_wheel(dist, "twice", "1.0")
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr("extra-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: extra\nVersion: 1.0\n")
    return wheel.name


BAD = {
    "truncated zip": (_truncated, "cannot read its metadata"),
    "not an archive": (_not_an_archive, "cannot read its metadata"),
    "name differs from metadata": (_renamed, "its metadata says real-name 1.0, but its filename says other_name 1.0"),
    "version differs from metadata": (_other_version, "its metadata says versioned 1.0, but its filename says versioned 2.0"),
    "sdist without PKG-INFO": (_sdist_without_pkg_info, "cannot read its metadata"),
    "two .dist-info folders": (_two_dist_infos, "exactly one top-level .dist-info folder"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_a_bad_file_is_a_warning_naming_it_and_the_rest_still_builds(
    tmp_path: Path, dist: Path, run: Any, case: Any,
) -> None:
    make, why = case
    bad = make(dist)

    result = run()

    assert result.code == 0, result.err
    [warning] = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert warning.startswith(f"warning: dist/{bad}: skipped: ")
    assert why in warning
    assert "(1 skipped)" in result.err
    assert sorted(records(tmp_path)) == sorted([WHEEL, SDIST, OTHER])
    assert not (tmp_path / "out" / "packages" / bad).exists()
    assert sorted(p.name for p in (tmp_path / "out" / "simple").iterdir()) == ["aspy-yaml", "index.html", "index.v1_json", "other"]


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_a_bad_file_stops_a_strict_build_before_anything_is_published(
    tmp_path: Path, dist: Path, run: Any, case: Any,
) -> None:
    assert run().code == 0
    before = snapshot(tmp_path / "out")
    make, why = case
    bad = make(dist)
    make_wheel(dist, "newcomer", "1.0")

    result = run("--strict")

    assert result.code == 1
    assert f"error: dist/{bad}: skipped: " in result.err
    assert why in result.err
    assert snapshot(tmp_path / "out") == before


def test_only_distribution_files_directly_in_the_folder_are_read(tmp_path: Path, dist: Path, run: Any) -> None:
    (dist / f"{WHEEL}.asc").write_text("-----BEGIN PGP SIGNATURE-----\n")
    (dist / "SHA256SUMS").write_text("...\n")
    make_wheel(dist / "old", "ancient", "0.1")

    result = run()

    assert result.code == 0, result.err
    assert "warning" not in result.err
    assert sorted(records(tmp_path)) == sorted([WHEEL, SDIST, OTHER])


def test_eggs_are_read_and_legacy_kinds_are_listed_without_metadata(tmp_path: Path, dist: Path, run: Any) -> None:
    egg = make_egg(dist, "eggy", "1.0", "An egg.")
    installer = dist / "eggy-1.0.win32.exe"
    installer.write_bytes(b"MZ not really an installer")

    result = run()

    assert result.code == 0, result.err
    got = records(tmp_path)
    assert got[egg.name]["summary"] == "An egg."
    assert got[egg.name]["hash"] == f"sha256={sha256(egg)}"
    assert got[installer.name] == {
        "filename": installer.name,
        "hash": f"sha256={sha256(installer)}",
        "size": installer.stat().st_size,
        "upload_timestamp": localdist.upload_timestamp(installer.stat()),
    }


def test_a_bad_requires_python_is_left_out_with_a_warning(tmp_path: Path, dist: Path, run: Any) -> None:
    wheel = make_wheel(dist, "oddpy", "1.0", requires_python="3.x or later")

    result = run()

    assert result.code == 0, result.err
    assert f"warning: dist/{wheel.name}: Requires-Python '3.x or later' is not a PEP 440 specifier set" in result.err
    assert "requires_python" not in records(tmp_path)[wheel.name]
    assert (tmp_path / "out" / "packages" / f"{wheel.name}.metadata").read_bytes() == wheel_metadata_bytes(wheel)


def test_an_empty_folder_publishes_nothing_unless_allowed(tmp_path: Path, run: Any) -> None:
    (tmp_path / "dist").mkdir()

    refused = run()
    assert refused.code == 1
    assert "error: dist has no distribution files; refusing to publish an empty index" in refused.err
    assert not (tmp_path / "out" / "simple").exists()

    assert run("--allow-empty").code == 0
    assert (tmp_path / "out" / "simple" / "index.html").is_file()


def test_a_missing_folder_is_an_error(tmp_path: Path, run: Any) -> None:
    result = run()

    assert result.code == 1
    assert "error: cannot read the folder dist: No such file or directory" in result.err


def test_the_published_folder_itself_is_refused_as_input(
    tmp_path: Path, dist: Path, run: Any, capsys: pytest.CaptureFixture[str],
) -> None:
    assert run().code == 0
    before = snapshot(tmp_path / "out")

    code = build_index(tmp_path, "--package-dir", "out/packages", "--output-dir", "out")

    assert code == 1
    assert "error: --package-dir out/packages is where the index publishes its files" in capsys.readouterr().err
    assert snapshot(tmp_path / "out") == before


def test_a_partial_rebuild_from_packages_json_matches_a_full_build(tmp_path: Path, dist: Path, run: Any) -> None:
    assert run().code == 0
    os.utime(dist / OTHER, ns=(MTIME_NS + 10**9, MTIME_NS + 10**9))
    make_wheel(dist, "newcomer", "1.0")

    partial = run("--previous-package-list-json", "out/packages.json")

    assert partial.code == 0, partial.err
    assert "partial build" in partial.err
    partial_tree = contents(tmp_path / "out")
    (tmp_path / "out" / "packages.json").unlink()
    assert run().code == 0
    assert contents(tmp_path / "out") == partial_tree
