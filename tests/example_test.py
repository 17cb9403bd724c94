"""The README's "Try it" commands, run as a user would: build the shipped example, serve it, pip install."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import pip, serve

ROOT = Path(__file__).resolve().parent.parent
RUN = "dumb-pypi --package-list example/packages.txt --packages-url ../../pool/ --output-dir example/site"


def test_readme_shows_the_command_this_test_runs() -> None:
    assert f"venv/bin/{RUN}" in (ROOT / "README.md").read_text()


def test_the_example_builds_and_pip_installs_from_it(tmp_path: Path) -> None:
    # The example's pool is copied so the test writes nothing into the checkout.
    shutil.copytree(ROOT / "example", tmp_path / "example")
    result = subprocess.run(
        [sys.executable, "-m", "dumb_pypi", *RUN.split()[1:]],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "1 projects, 3 files" in result.stderr
    site = tmp_path / "example" / "site"
    assert (site / "simple" / "hello-dumb-pypi" / "index.html").is_file()

    with serve(site) as server:
        installed = pip(
            "install", "--index-url", server.url + "simple/", "--target", str(tmp_path / "t"),
            "--only-binary", ":all:", "hello-dumb-pypi",
        )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert list((tmp_path / "t").glob("hello_dumb_pypi-1.1.0.dist-info"))
    out = subprocess.run(
        [sys.executable, "-c", "import hello_dumb_pypi; print(hello_dumb_pypi.__version__)"],
        cwd=tmp_path / "t", capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "1.1.0"
