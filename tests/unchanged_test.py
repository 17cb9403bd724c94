"""A rerun on the very list of the last run: what it prints, that it writes nothing, and that it loads no renderer."""
from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

import pytest

from dumb_pypi import unchanged
from dumb_pypi.cli import main
from dumb_pypi.partial import CACHE_NAME
from dumb_pypi.publish import JOURNAL_NAME, MANIFEST_NAME, Output
from dumb_pypi.settings import Settings

LIST = (
    "# the pool\n"
    "foo-1.0.tar.gz\n"
    "../evil-1.0.tar.gz\n"
    "\n"
    "foo-2.0-py3-none-any.whl\n"
    "noversion.tar.gz\n"
    "2016-10-31 12:34:56      12345 pool/bar-0.1.tar.gz\n"
)


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
        for p in root.rglob("*") if p.is_file()
    }


def cli(
    capsys: pytest.CaptureFixture[str], listing: Path, out: Path, *extra: str, previous: bool = True,
) -> tuple[int, list[str]]:
    code = main([
        "--package-list", str(listing), "--packages-url", "../../pool/", "--output-dir", str(out),
        *(["--previous-package-list-json", str(out / "packages.json")] if previous else []), *extra,
    ])
    # The summary's time and kind of build vary; the rest must not.
    err = [re.sub(r" in \S+s$", "", line) for line in capsys.readouterr().err.splitlines()]
    return code, err


def test_a_rerun_on_the_same_list_prints_the_same_warnings_and_summary_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    listing = tmp_path / "packages.txt"
    listing.write_text(LIST)
    out = tmp_path / "out"
    code, first = cli(capsys, listing, out, previous=False)
    assert code == 0
    before = snapshot(out)

    code, second = cli(capsys, listing, out)

    assert code == 0
    assert second[:-1] == first[:-1] == [
        f"warning: {listing}:3: skipped '../evil-1.0.tar.gz': path segment '..' is not allowed",
        f"warning: {listing}:6: skipped 'noversion.tar.gz': no '-' separates the project name from the version",
    ]
    assert first[-1].replace("full build wrote", "build wrote").split(" build wrote")[0] == (
        second[-1].replace("partial build wrote", "build wrote").split(" build wrote")[0]
    ) == "dumb-pypi: 2 projects, 3 files (2 skipped);"
    assert second[-1].endswith(f"partial build wrote 0 and deleted 0 files in {out}")
    assert snapshot(out) == before


def test_a_rerun_on_the_same_list_under_strict_fails_as_reading_it_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    listing = tmp_path / "packages.txt"
    listing.write_text(LIST)
    out = tmp_path / "out"
    assert cli(capsys, listing, out, previous=False)[0] == 0
    before = snapshot(out)

    code, err = cli(capsys, listing, out, "--strict")

    assert code == 1
    assert err == [f"error: {listing}:3: skipped '../evil-1.0.tar.gz': path segment '..' is not allowed"]
    assert snapshot(out) == before


def test_a_rerun_with_nothing_to_do_loads_no_renderer(tmp_path: Path) -> None:
    listing = tmp_path / "packages.txt"
    listing.write_text(LIST)
    out = tmp_path / "out"
    argv = [
        "--package-list", str(listing), "--packages-url", "../../pool/", "--output-dir", str(out),
        "--previous-package-list-json", str(out / "packages.json"), "-q",
    ]
    script = (
        "import sys; from dumb_pypi.cli import main; code = main(sys.argv[1:]);"
        " print(code, sorted(m for m in ('jinja2', 'packaging', 'dumb_pypi.render', 'dumb_pypi.model') if m in sys.modules))"
    )
    first = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, check=True)
    assert first.stdout.split(" ", 1)[1].strip() != "[]"  # a build that reads does load them
    again = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, check=True)
    assert again.stdout == "0 []\n"


@pytest.mark.parametrize(
    "change",
    ["list", "previous", "settings", "journal", "reading", "manifest", "empty"],
)
def test_a_rerun_reads_its_list_unless_all_is_as_the_last_run_left_it(tmp_path: Path, change: str) -> None:
    listing = tmp_path / "packages.txt"
    listing.write_text(LIST if change != "empty" else "# nothing yet\n")
    out = tmp_path / "out"
    settings = Settings(
        output_dir=out, package_list=str(listing), packages_url="../../pool/",
        previous_package_list_json=str(out / "packages.json"), allow_empty=change == "empty",
    )
    assert main([
        "--package-list", str(listing), "--packages-url", "../../pool/", "--output-dir", str(out), "-q",
        *(["--allow-empty"] if change == "empty" else []),
    ]) == 0
    assert unchanged.rerun(settings) is not None
    if change == "list":
        listing.write_text(LIST + "baz-1.0.tar.gz\n")
    elif change == "previous":
        (out / "packages.json").write_text("")
    elif change == "settings":
        settings = settings._replace(title="Another title")
    elif change == "journal":
        (out / JOURNAL_NAME).write_text('{"paths": []}\n')
    elif change == "reading":
        settings = settings._replace(package_list=None, package_list_json=str(listing))
    elif change == "manifest":
        (out / MANIFEST_NAME).write_text("{not json")
    elif change == "empty":
        # An empty index on purpose last time is no licence to publish one now.
        settings = settings._replace(allow_empty=False)
    assert unchanged.rerun(settings) is None
    assert (out / CACHE_NAME).is_file()


@pytest.mark.parametrize("whole", [False, True])
def test_the_previous_list_of_a_new_list_is_mapped_where_it_is_the_outputs_packages_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, whole: bool,
) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(LIST)
    out = tmp_path / "out"
    assert cli(capsys, listing, out, previous=False)[0] == 0
    copy = tmp_path / "copy.json"
    copy.write_bytes((out / "packages.json").read_bytes())
    expected = hashlib.sha256(copy.read_bytes()).hexdigest()
    mapped: list[str] = []
    real = unchanged.mapped_hashed

    def spy(f: BinaryIO) -> tuple[unchanged.Bytes, str]:
        mapped.append(f.name)
        return real(f)

    monkeypatch.setattr(unchanged, "mapped_hashed", spy)
    output = Output(out)

    assert unchanged._previous_sha256(output, str(copy), whole) == expected
    assert mapped == []
    assert unchanged._previous_sha256(output, str(out / "packages.json"), whole) == expected
    assert mapped == ([str(out / "packages.json")] if whole else [])
