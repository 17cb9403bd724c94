import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dumb_pypi import __version__
from dumb_pypi.cli import main
from dumb_pypi.publish import LOCK_NAME, locked


class FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
        for p in root.rglob("*") if p.is_file()
    }


@pytest.fixture
def plain_list(tmp_path: Path) -> Path:
    path = tmp_path / "packages.txt"
    path.write_text("foo-1.0.tar.gz\nfoo-2.0-py3-none-any.whl\nbar-0.1.tar.gz\n")
    return path


def args(listing: Path, out: Path, *extra: str) -> list[str]:
    return ["--package-list", str(listing), "--packages-url", "../../pool/", "--output-dir", str(out), *extra]


def test_success_prints_a_one_line_summary(
    tmp_path: Path, plain_list: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert main(args(plain_list, out)) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("dumb-pypi: 2 projects, 3 files; full build wrote ")
    assert str(out) in line
    assert (out / "simple/foo/index.html").is_file()


def test_summary_counts_skipped_entries_after_their_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    listing = tmp_path / "packages.txt"
    listing.write_text("foo-1.0.tar.gz\n../evil-1.0.tar.gz\n")
    assert main(args(listing, tmp_path / "out")) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].startswith(f"warning: {listing}:2: skipped '../evil-1.0.tar.gz'")
    assert err[1].startswith("dumb-pypi: 1 projects, 1 files (1 skipped); full build")


def test_quiet_prints_nothing_on_success(
    tmp_path: Path, plain_list: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    plain_list.write_text(plain_list.read_text() + "README.txt\n")
    assert main(args(plain_list, tmp_path / "out", "--quiet")) == 0
    assert capsys.readouterr() == ("", "")


def test_partial_build_is_reported(
    tmp_path: Path, plain_list: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert main(args(plain_list, out, "--no-generate-timestamp")) == 0
    before = snapshot(out)
    capsys.readouterr()
    previous = ["--previous-package-list-json", str(out / "packages.json")]
    assert main(args(plain_list, out, "--no-generate-timestamp", *previous)) == 0
    assert "partial build wrote 0 and deleted 0 files" in capsys.readouterr().err
    assert snapshot(out) == before


def test_strict_turns_a_warning_into_exit_1(
    tmp_path: Path, plain_list: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    plain_list.write_text(plain_list.read_text() + "/abs/foo-3.0.tar.gz\n")
    assert main(args(plain_list, tmp_path / "out", "--strict")) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {plain_list}:4: ")
    assert not (tmp_path / "out").exists()


def test_bad_json_is_exit_1_with_path_and_line_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    listing = tmp_path / "packages.json"
    listing.write_text('{"filename": "foo-1.0.tar.gz"}\n{"filename": "bar-1.0.tar.gz", "size": true}\n')
    code = main(["--package-list-json", str(listing), "--packages-url", "/p", "--output-dir", str(tmp_path / "out")])
    assert code == 1
    err = capsys.readouterr().err
    assert err == f"error: {listing}:2: 'size' must be a whole number, not true\n"
    assert not (tmp_path / "out").exists()


def test_a_missing_list_is_exit_1_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args(tmp_path / "nope.txt", tmp_path / "out")) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read ") and "Traceback" not in err


def test_an_empty_list_is_exit_1_and_leaves_the_index_byte_identical(
    tmp_path: Path, plain_list: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert main(args(plain_list, out)) == 0
    before = snapshot(out)
    empty = tmp_path / "empty.txt"
    empty.write_text("# aws s3 ls printed nothing\n\n")
    capsys.readouterr()
    assert main(args(empty, out)) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {empty}: the list has no files;") and "--allow-empty" in err
    assert snapshot(out) == before


def test_allow_empty_builds_an_empty_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    out = tmp_path / "out"
    assert main(args(empty, out, "--allow-empty")) == 0
    assert json.loads((out / "simple/index.v1_json").read_text())["projects"] == []
    assert "0 projects, 0 files" in capsys.readouterr().err


def test_a_list_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(
        b"                           PRE sub/\n"
        b"2016-10-31 12:34:56      12345 foo-1.0.tar.gz\n",
    ))
    out = tmp_path / "out"
    assert main(["--package-list", "-", "--packages-url", "https://f.example/", "--output-dir", str(out)]) == 0
    [entry] = json.loads((out / "simple/foo/index.v1_json").read_text())["files"]
    assert (entry["url"], entry["size"]) == ("https://f.example/foo-1.0.tar.gz", 12345)


def test_errors_in_stdin_are_named_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(b"[]\n"))
    assert main(["--package-list-json", "-", "--packages-url", "/p", "--output-dir", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.startswith("error: <stdin>:1: expected a JSON object, not an array")


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--package-list", "x.txt"], id="no-output-dir"),
        pytest.param(["--output-dir", "out"], id="no-list"),
        pytest.param(["--package-list", "a", "--package-list-json", "b", "--output-dir", "out"], id="two-lists"),
        pytest.param(["--package-list", "a", "--output-dir", "out", "--quiet", "--verbose"], id="quiet-and-verbose"),
        pytest.param(["--package-list", "a", "--output-dir", "out", "--logo-width", "-3"], id="bad-logo-width"),
        pytest.param(["--package-list", "a", "--output-dir", "out", "--lock-wait", "soon"], id="bad-lock-wait"),
        pytest.param(["--package-list", "a", "--output-dir", "out", "--no-such-flag"], id="unknown-flag"),
        pytest.param(
            ["--package-list", "-", "--previous-package-list", "-", "--output-dir", "out"], id="stdin-twice",
        ),
        pytest.param(
            ["--package-list-json", "-", "--previous-package-list-json", "-", "--output-dir", "out"],
            id="stdin-twice-json",
        ),
    ],
)
def test_usage_errors_are_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert "usage: dumb-pypi" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_locked_output_folder_is_exit_1(
    tmp_path: Path, plain_list: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    with locked(out, wait=0):
        assert main(args(plain_list, out, "--lock-wait", "0")) == 1
    assert capsys.readouterr().err.startswith(f"error: another dumb-pypi run holds {out / LOCK_NAME}")
    assert [p.name for p in out.iterdir()] == [LOCK_NAME]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission")
def test_an_unwritable_output_folder_is_exit_1(
    tmp_path: Path, plain_list: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "simple").mkdir(mode=0o555)
    try:
        assert main(args(plain_list, out)) == 1
    finally:
        (out / "simple").chmod(0o755)
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_an_output_path_that_is_a_file_is_exit_1(
    tmp_path: Path, plain_list: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    (out / "simple").mkdir(parents=True)
    (out / "simple/foo").write_text("a file where a folder should be")
    assert main(args(plain_list, out)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert (out / "simple/foo").read_text() == "a file where a folder should be"


def test_python_m_dumb_pypi_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dumb_pypi", "--version"], capture_output=True, text=True, check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"dumb-pypi {__version__}\n", "")


def test_python_m_dumb_pypi_exit_code_of_an_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dumb_pypi", "--package-list", str(tmp_path / "nope"), "--packages-url", "/p",
         "--output-dir", str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot read ") and "Traceback" not in result.stderr
