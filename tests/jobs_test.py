"""--jobs: pages written by several processes are the pages one process writes; progress; failures."""
from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dumb_pypi import inputs, publish, render, workers
from tests.support import output_tree
from dumb_pypi.build import Settings, Summary, build
from dumb_pypi.cli import main
from dumb_pypi.errors import InputError, OutputError


def tree(root: Path) -> dict[str, object]:
    return output_tree(root, skip=[publish.LOCK_NAME])


def listing(path: Path, projects: int, extra: str = "") -> Path:
    """`projects` projects of three releases each: enough pages that the writes are shared out."""
    records: list[dict[str, Any]] = []
    for i in range(projects):
        for version in ("1.0", "1.1", "2.0rc1"):
            records.append({"filename": f"proj{i}-{version}.tar.gz", "size": i, "upload_timestamp": 1500000000 + i})
            records.append({
                "filename": f"proj{i}-{version}-py3-none-any.whl", "hash": f"sha256={i:064x}",
                "requires_python": ">=3.8", "yanked_reason": "bad <b>" if i % 7 == 0 else None,
            })
    if extra:
        records.append({"filename": extra, "size": 1})
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in records))
    return path


def run(out: Path, listing: Path, jobs: int, previous: Path | None = None, **kwargs: Any) -> Summary:
    return build(Settings(
        output_dir=out, package_list_json=str(listing), packages_url="../../pool/",
        previous_package_list_json=None if previous is None else str(previous),
        generate_timestamp=False, jobs=jobs,
    ), **kwargs)


@pytest.fixture
def pids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file that gets the pid of every process that renders a simple page (forked workers inherit the patch)."""
    log = tmp_path / "pids.txt"
    real = render.ProjectPages.simple_html

    def simple_html(self: render.ProjectPages) -> str:
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        return real(self)

    monkeypatch.setattr(render.ProjectPages, "simple_html", simple_html)
    return log


def test_the_output_is_byte_identical_whatever_the_number_of_jobs(tmp_path: Path, pids: Path) -> None:
    base = listing(tmp_path / "base.json", 150)
    changed = listing(tmp_path / "changed.json", 150, extra="proj75-3.0.tar.gz")
    trees = {}
    for jobs in (1, 2, 3):
        out = tmp_path / f"out{jobs}"
        pids.write_text("")
        summary = run(out, base, jobs)
        # One process writes everything with --jobs 1; otherwise the pages are shared out.
        assert len(set(pids.read_text().split())) == (1 if jobs == 1 else jobs)
        assert summary.written > workers.MIN_PAGES
        full = tree(out)
        run(out, changed, jobs, previous=out / "packages.json")
        trees[jobs] = (full, tree(out))
    assert trees[1] == trees[2] == trees[3]
    # And a partial build is still a full build of the new list.
    run(tmp_path / "fresh", changed, 2)
    assert trees[2][1] == tree(tmp_path / "fresh")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_new_index_is_written_out_of_sight_and_its_top_folders_shown_once_their_pages_are_all_there(
    tmp_path: Path, pids: Path, monkeypatch: pytest.MonkeyPatch, jobs: int,
) -> None:
    out = tmp_path / "out"
    seen: dict[str, Any] = {}
    real_show = publish.Output.show

    def show(self: publish.Output) -> None:
        seen["shown"] = [
            p.relative_to(out).parts for p in out.rglob("*") if p.is_file() or p.name in ("simple", "pypi", "project")
        ]
        seen["hidden"] = {top: tree(out / name) for top, name in self.hidden().items()}
        real_show(self)

    monkeypatch.setattr(publish.Output, "show", show)
    run(out, listing(tmp_path / "list.json", 150), jobs)
    assert len(set(pids.read_text().split())) == jobs
    # No page was in sight yet (but temp files of the pages to come, and dumb-pypi's own files).
    assert [parts for parts in seen["shown"] if not any(part.startswith(".") for part in parts)] == []
    final = tree(out)
    assert sorted(seen["hidden"]) == ["project", "pypi", "simple"]
    for top, pages in seen["hidden"].items():
        assert {f"{top}/{path}": data for path, data in pages.items()} == {
            path: data for path, data in final.items() if path.startswith(f"{top}/")
        }
    assert not list(out.rglob(publish.TEMP_PREFIX + "*"))
    # An index built again into the same folder writes its folders in place, where they are.
    seen.clear()
    run(out, listing(tmp_path / "list.json", 150), jobs)
    assert seen["hidden"] == {} and tree(out) == final


def test_small_builds_are_written_by_one_process(tmp_path: Path, pids: Path) -> None:
    run(tmp_path / "out", listing(tmp_path / "list.json", 3), 4)
    assert len(set(pids.read_text().split())) == 1


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_counts_every_page_written(tmp_path: Path, jobs: int) -> None:
    seen: list[tuple[str, int, int]] = []
    summary = run(tmp_path / "out", listing(tmp_path / "list.json", 100), jobs,
                  progress=lambda stage, done, total: seen.append((stage, done, total)))
    writes = [(done, total) for stage, done, total in seen if stage == "write"]
    assert writes == sorted(writes)
    project_pages = [
        path for path in tree(tmp_path / "out")
        if path.startswith(("pypi/", "project/")) or path.startswith("simple/") and path.count("/") == 2
    ]
    assert writes[-1] == (len(project_pages), len(project_pages))
    reads = [done for stage, done, _ in seen if stage == "read"]
    assert reads and reads == sorted(reads) and reads[-1] == summary.files


def test_a_failing_worker_stops_the_build_and_the_next_run_heals_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = listing(tmp_path / "list.json", 150)
    real = render.ProjectPages.pypi_json

    def pypi_json(self: render.ProjectPages) -> str:
        if self.project.name == "proj99":
            raise OutputError("cannot write pypi/proj99/json: disk full")
        return real(self)

    monkeypatch.setattr(render.ProjectPages, "pypi_json", pypi_json)
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="proj99"):
        run(out, base, 2)
    # The indexes come after every project page: none was written, nor packages.json.
    assert not (out / "simple" / "index.html").exists()
    assert not (out / "packages.json").exists()
    assert not list(out.rglob(publish.TEMP_PREFIX + "*"))

    monkeypatch.setattr(render.ProjectPages, "pypi_json", real)
    run(out, base, 2, previous=out / "packages.json")
    run(tmp_path / "clean", base, 1)
    assert tree(out) == tree(tmp_path / "clean")


def test_jobs_must_be_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--package-list", "x", "--output-dir", "y", "--jobs", "0"])
    assert exit.value.code == 2
    assert "--jobs" in capsys.readouterr().err


def _cli(tmp_path: Path, listing: Path, tty: bool) -> str:
    """Run the CLI as cron or a person would; returns what it printed on stderr."""
    command = [sys.executable, "-m", "dumb_pypi", "--package-list-json", str(listing),
               "--packages-url", "../../pool/", "--output-dir", str(tmp_path / f"out-{tty}")]
    if not tty:
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        return result.stderr
    parent, child = pty.openpty()
    try:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=child, stdin=subprocess.DEVNULL)
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(parent, 65536)
            except OSError:  # the pty reports EIO once the child has gone
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait() == 0
    finally:
        os.close(parent)
    return b"".join(chunks).decode()


def test_progress_shows_on_a_terminal_and_not_in_cron(tmp_path: Path) -> None:
    big = listing(tmp_path / "list.json", 150)
    cron = _cli(tmp_path, big, tty=False)
    # In cron: one summary line, nothing else.
    assert cron.count("\n") == 1 and cron.startswith("dumb-pypi: 150 projects, 900 files;")
    terminal = _cli(tmp_path, big, tty=True)
    assert "writing" in terminal and "\r" in terminal
    assert terminal.rstrip().rsplit("\r", 1)[-1].lstrip("\x1b[K").startswith("dumb-pypi: 150 projects, 900 files;")


def _outcome(tmp_path: Path, data: bytes, json_lines: bool, jobs: int, **settings: Any) -> tuple[str, list[str]]:
    """What a build of `data` says: its summary or error, and its warnings in order."""
    listing = tmp_path / ("list.json" if json_lines else "list.txt")
    listing.write_bytes(data)
    warnings: list[str] = []
    try:
        summary = build(Settings(
            output_dir=tmp_path / f"out{jobs}", packages_url="../../pool/", generate_timestamp=False, jobs=jobs,
            per_release_json=False, **{"package_list_json" if json_lines else "package_list": str(listing)},
            **settings,
        ), warn=warnings.append)
        result = f"{summary.projects} projects, {summary.files} files, {summary.skipped} skipped"
    except InputError as e:
        result = str(e)
    return result, warnings


@pytest.fixture
def parts_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file that gets a line from each worker that reads a part of a list."""
    log = tmp_path / "parts.txt"
    real = workers.read_part

    def read_part(*args: Any) -> Any:
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        return real(*args)

    monkeypatch.setattr(workers, "read_part", read_part)
    return log


def _lines(count: int, json_lines: bool) -> list[bytes]:
    lines = []
    for i in range(count):
        filename = f"p{i % 300}-{i // 300}.{i % 3}.tar.gz"
        if i % 397 == 0:
            filename = f"no version {i}.tar.gz"  # refused with a warning
        if json_lines:
            record = {"filename": filename, "size": i, "summary": "a summary long enough to make the list long"}
            line = json.dumps(record)
            if i % 499 == 0:
                line = line[:-1] + ', "colour": "blue"}'  # an unknown key: a warning, not skipped
        else:
            line = f"a/folder/deep/enough/to/make/the/list/long/{filename}"
        lines.append(line.encode())
    return lines


BREAKAGES = {
    "none": lambda lines, json_lines: lines,
    "error early": lambda lines, json_lines: lines[:40] + [b"{" if json_lines else b"../x-1.0.tar.gz"] + lines[40:],
    "error late": lambda lines, json_lines: lines[:-40] + [b"\xff\xfe"] + lines[-40:],
    "two errors": lambda lines, json_lines: lines[:3000] + [b"\xff"] + lines[3000:-10] + [b"\xfe"] + lines[-10:],
    "cut off": lambda lines, json_lines: lines[:-1] + [lines[-1][:-3]],
    "too long": lambda lines, json_lines: lines[:5000] + [b"x" * (2 << 20)] + lines[5000:],
    "blank lines": lambda lines, json_lines: [line for pair in zip(lines, [b""] * len(lines)) for line in pair],
}


@pytest.mark.parametrize("json_lines", [False, True])
@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
@pytest.mark.parametrize("piece_rows", [inputs.PIECE_ROWS, 7])
def test_a_list_read_in_parts_gives_the_same_files_warnings_and_errors(
    tmp_path: Path, parts_read: Path, json_lines: bool, breakage: str, piece_rows: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker sends its part in pieces as it reads (the workers are forked after this).
    monkeypatch.setattr(inputs, "PIECE_ROWS", piece_rows)
    lines = BREAKAGES[breakage](_lines(3000, json_lines), json_lines)
    data = b"\n".join(lines) + (b"" if breakage == "cut off" else b"\n")
    assert len(data) > 2 * workers.MIN_BYTES, "long enough to be read in parts"
    expected = _outcome(tmp_path, data, json_lines, 1)
    assert expected[1], "the list has lines to warn about"
    assert not parts_read.exists()
    for jobs in (2, 3):
        assert _outcome(tmp_path, data, json_lines, jobs) == expected, f"--jobs {jobs}"
        if expected[0].endswith("skipped"):
            # (A failed read stops the workers, perhaps before they start.)
            # --jobs counts the build's own process, which reads the first part.
            assert len(set(parts_read.read_text().split())) == jobs - 1, "each worker read a part"
        parts_read.unlink(missing_ok=True)
    assert _outcome(tmp_path, data, json_lines, 3, strict=True) == _outcome(tmp_path, data, json_lines, 1, strict=True)


def test_the_same_file_listed_again_in_another_part_names_both_lines(tmp_path: Path) -> None:
    lines = _lines(3000, True)
    lines.append(json.dumps({"filename": "p7-0.1.tar.gz", "size": 1}).encode())
    data = b"\n".join(lines) + b"\n"
    for jobs in (1, 3):
        result, _ = _outcome(tmp_path, data, True, jobs)
        listing = tmp_path / "list.json"
        assert result == f"{listing}:3001: 'p7-0.1.tar.gz' is listed again with different data (first at {listing}:8)"
