"""The pages for people in headless Chromium: find one of 100,000 projects by typing, copy an install line that pip runs.

Screenshots of every page these tests open are saved in each test's tmp_path
(pytest prints where with -v --basetemp=DIR), to be looked at by a person.
"""
from __future__ import annotations

import datetime
import json
import random
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from dumb_pypi import plan
from dumb_pypi.model import group_projects, make_package
from dumb_pypi.publish import Output
from dumb_pypi.render import Site
from tests.support import Server, build_index, json_record, make_wheel, pip, require_module, require_tool, serve, write_json_list

pytestmark = pytest.mark.system

PROJECTS = 100_000
T0 = 1_600_000_000
WORDS = [
    "async", "auth", "aws", "cli", "client", "core", "data", "db", "django", "flask",
    "http", "json", "lint", "pandas", "sdk", "test", "tools", "utils", "web", "yaml",
]
# Projects the tests look for, among the generated ones.
KNOWN = {
    "aspy.yaml": "A few extensions to pyyaml.",
    "yaml": "The plain one.",
    "Django-Extensions": "Global custom management extensions for Django.",
}


def _names(count: int) -> list[str]:
    """COUNT distinct project names like `http-yaml-bqxd`, KNOWN among them."""
    rnd = random.Random(4)
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = list(KNOWN)
    for i in range(count - len(names)):
        code = "".join(letters[(i // 26**k) % 26] for k in range(4))
        names.append(f"{rnd.choice(WORDS)}-{rnd.choice(WORDS)}-{code}")
    return names


@pytest.fixture(scope="module")
def big_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """An index of PROJECTS projects: every listing page, search file and asset, and the KNOWN projects' pages.

    Written by the build's own plan and publisher; the other project pages
    (half a million files that no test opens) are left out to keep this fast.
    """
    root = tmp_path_factory.mktemp("big")
    names = _names(PROJECTS)
    packages = [
        make_package(
            f"{name}-1.{i % 7}.0.tar.gz",
            upload_timestamp=T0 + i * 60,
            size=1000 + i,
            summary=KNOWN.get(name, f"Does {name.split('-')[0]} things." if i % 3 == 0 else None),
        )
        for i, name in enumerate(names)
    ]
    projects = group_projects(packages)
    assert len(projects) == PROJECTS
    site = Site(packages_url="../../pool/", title="Acme Packages")
    output = Output(root)
    for name in ("aspy-yaml", "yaml", "django-extensions"):
        for page in plan.project_pages(projects[name], site):  # type: ignore[index]
            output.write(page.path, page.render())
    for page in plan.index_pages(projects, site):
        output.write(page.path, page.render())
    return root, [str(name) for name in projects]


class Browser:
    """One headless Chromium for the module, and the checks every page must pass in it."""

    def __init__(self, driver: Any, by: Any, wait: Callable[..., Any]) -> None:
        self.driver = driver
        self.by = by
        self._wait = wait

    def wait(self, seconds: float, condition: Callable[[Any], Any], message: str = "") -> Any:
        return self._wait(self.driver, seconds).until(condition, message)

    def find(self, css: str) -> Any:
        return self.driver.find_element(self.by.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[Any]:
        return list(self.driver.find_elements(self.by.CSS_SELECTOR, css))

    def open(self, url: str) -> None:
        # What the browser logged before (its own start-up pages among it) is not this page's.
        self.driver.get_log("browser")
        self.driver.get_log("performance")
        self.driver.get(url)
        self.wait(10, lambda d: d.execute_script("return document.readyState") == "complete")

    def check_page(self, tmp_path: Path, shot: str, site: str) -> None:
        """A screenshot; no console errors; no request anywhere but SITE since the last check."""
        self.driver.save_screenshot(str(tmp_path / f"{shot}.png"))
        errors = [entry for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == [], errors
        requested = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requested.append(message["params"]["request"]["url"])
        assert requested, "the performance log recorded no request"
        assert [url for url in requested if not url.startswith((site, "data:"))] == []

    def rows(self, css: str) -> list[list[str]]:
        """The text of each cell of the table rows CSS selects, read in one round trip."""
        rows: list[list[str]] = self.driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map((row) => [...row.cells].map((c) => c.innerText.trim()))",
            css,
        )
        return rows


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    webdriver = require_module("selenium.webdriver", "the browser tests drive Chromium with Selenium")
    by = require_module("selenium.webdriver.common.by", "the browser tests drive Chromium with Selenium").By
    wait = require_module("selenium.webdriver.support.ui", "the browser tests drive Chromium with Selenium").WebDriverWait
    chromium = require_tool("chromium", "the browser tests run Debian's headless Chromium")
    chromedriver = require_tool("chromedriver", "the browser tests drive Chromium through chromedriver")

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1280,900",
        # Anything but loopback fails at once: a test must never reach outside 127.0.0.1.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # An explicit driver path: Selenium Manager must not try to download one.
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=chromedriver), options=options)
    try:
        yield Browser(driver, by, wait)
    finally:
        driver.quit()


def _served_bytes(root: Path, server: Server) -> int:
    return sum((root / path.lstrip("/").partition("?")[0]).stat().st_size for path, _ in server.requests)


def _matches(names: list[str], query: str) -> list[str]:
    """What the filter promises, as people see it: exact name, then names starting with the query,
    then names with a word starting with it, then the rest; each group in name order."""
    def rank(name: str) -> int:
        return 0 if name == query else 1 if name.startswith(query) else 2 if "-" + query in name else 3
    found = sorted((rank(name), position) for position, name in enumerate(names) if query in name)
    return [_display(names[position]) for _, position in found]


def _normalise(query: str) -> str:
    """A one-word query as the filter reads it: as PEP 503 normalises names."""
    return re.sub(r"[-_.]+", "-", query.lower())


def _display(name: str) -> str:
    return {canonicalize_name(known): known for known in KNOWN}.get(name, name)


def _status(query: str, count: int) -> str:
    quoted = f"\u201c{query}\u201d"
    if count == 0:
        return f"No project matches {quoted}."
    if count == 1:
        return f"1 project matches {quoted}."
    if count > 50:
        return f"Showing 50 of {count:,} projects matching {quoted}."
    return f"{count} projects match {quoted}."


def test_typing_part_of_a_name_finds_it_among_100000_projects(
    browser: Browser, big_index: tuple[Path, list[str]], tmp_path: Path,
) -> None:
    root, names = big_index
    timings: dict[str, str] = {}
    with serve(root) as server:
        browser.open(server.url + "index.html")
        browser.wait(5, lambda d: browser.find("form.search").is_displayed(), "the script did not show the search box")
        first_page = browser.rows("#all tbody tr")
        assert len(first_page) == 500
        assert [row[0] for row in first_page] == [_display(name) for name in names[:500]]
        # Before anyone types, the first results cost only the page and our own CSS and script.
        assert not any("search/" in path for path, _ in server.requests)
        assert _served_bytes(root, server) < 1_000_000
        browser.check_page(tmp_path, "index", server.url)

        box = browser.find("#filter")
        box.click()
        browser.wait(30, lambda d: browser.find("form.search").get_attribute("data-state") == "ready")
        loaded = _served_bytes(root, server)

        def search(query: str, status: str = "") -> list[list[str]]:
            status = status or _status(query, len(_matches(names, _normalise(query))))
            box.clear()
            box.send_keys(query)
            browser.wait(1, lambda d: browser.find("#status").text == status, f"{query!r}: {browser.find('#status').text!r}")
            # The rows' details come from the search data's shards, on demand.
            browser.wait(1, lambda d: browser.find("#results").get_attribute("data-complete") in ("yes", None))
            form = browser.find("form.search")
            timings[query] = f"{form.get_attribute('data-ms')} ms to show, {form.get_attribute('data-ms-complete')} ms to complete"
            return browser.rows("#results tbody tr")

        found = search("aspy_yaml", "1 project matches \u201caspy_yaml\u201d.")
        assert found == [["aspy.yaml", "1.0.0", "2020-09-13", "A few extensions to pyyaml."]]
        assert not browser.find("#all").is_displayed()
        browser.check_page(tmp_path, "search-aspy_yaml", server.url)

        expected = _matches(names, "yaml")
        assert len(expected) > 100
        found = search("YAML")
        assert [row[0] for row in found] == expected[:50]
        assert found[0] == ["yaml", "1.1.0", "2020-09-13", "The plain one."]
        assert all(row[1] for row in found), "every shown row has its version from the search data"
        browser.find("#more").click()
        browser.wait(5, lambda d: len(browser.rows("#results tbody tr")) == 100)

        middle = names[54321].split("-")[-1][1:]  # three letters from inside one name
        expected = _matches(names, middle)
        found = search(middle)
        assert [row[0] for row in found] == expected[:50]
        assert names[54321] in [row[0] for row in found]

        found = search("django ext", "1 project matches \u201cdjango ext\u201d.")
        assert [row[0] for row in found] == ["Django-Extensions"]
        search("no-such-project", "No project matches \u201cno-such-project\u201d.")
        assert not browser.find("#results").is_displayed()
        browser.check_page(tmp_path, "search-none", server.url)

        box.clear()
        box.send_keys(" ")
        browser.wait(1, lambda d: browser.find("#all").is_displayed())
        assert len(browser.rows("#all tbody tr")) == 500

        # Enter opens the best match.
        search("aspy-yaml", "1 project matches \u201caspy-yaml\u201d.")
        box.submit()
        browser.wait(5, lambda d: d.current_url == server.url + "project/aspy-yaml/")
        assert browser.find("h1").text == "aspy.yaml 1.0.0"
        browser.check_page(tmp_path, "project", server.url)
    (tmp_path / "timings.json").write_text(json.dumps({"search data bytes": loaded, "ms": timings}, indent=1))


def test_the_no_javascript_list_pages_and_changelog_render_cleanly(
    browser: Browser, big_index: tuple[Path, list[str]], tmp_path: Path,
) -> None:
    root, names = big_index
    with serve(root) as server:
        browser.open(server.url + "list/page200.html")
        rows = browser.rows("#all tbody tr")
        assert [row[0] for row in rows] == [_display(name) for name in names[-500:]]
        browser.check_page(tmp_path, "list-last", server.url)
        browser.find("a[rel=prev]").click()
        browser.wait(5, lambda d: d.current_url.endswith("/list/page199.html"))

        # The newest page, at the link every header gives.
        browser.open(server.url + "changelog/index.html")
        rows = browser.rows("table.changelog tbody tr")
        assert len(rows) == (PROJECTS % 500 or 500)
        newest = datetime.datetime.fromtimestamp(T0 + (PROJECTS - 1) * 60, datetime.timezone.utc)
        assert rows[0][0] == newest.strftime("%Y-%m-%d %H:%M:%S UTC")
        browser.check_page(tmp_path, "changelog", server.url)


@pytest.fixture
def real_index(tmp_path: Path) -> Iterator[tuple[Path, Server]]:
    """A small index built by the command line, with real wheels in ROOT/pool/, served over loopback."""
    root = tmp_path / "root"
    pool = root / "pool"
    wheels = [make_wheel(pool, "hello-people", version, summary="Says hello.") for version in ("1.0", "1.1")]
    write_json_list(tmp_path / "list.jsonl", [
        json_record(wheels[0], upload_timestamp=T0, uploaded_by="alice"),
        json_record(wheels[1], upload_timestamp=T0 + 86400, uploaded_by="bob", summary="Says hello."),
    ])
    code = build_index(
        tmp_path, "--package-list-json", "list.jsonl", "--packages-url", "../../pool/",
        "--output-dir", "root", "--title", "Acme Packages", "-q",
    )
    assert code == 0
    with serve(root) as server:
        yield root, server


def test_the_copy_button_copies_an_install_line_that_pip_runs(
    browser: Browser, real_index: tuple[Path, Server], tmp_path: Path,
) -> None:
    root, server = real_index
    origin = server.url.rstrip("/")
    browser.driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
    })
    browser.open(server.url + "project/hello-people/")
    line = f"pip install --index-url {server.url}simple/ hello-people==1.1"
    assert browser.find("#install-line").text == line
    button = browser.find("button.copy")
    button.click()
    browser.wait(5, lambda d: button.get_attribute("data-copied") == "yes", "the copy button did not copy")
    clipboard = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.clipboard.readText().then(done, (e) => done('error: ' + e));"
    )
    assert clipboard == line
    browser.check_page(tmp_path, "project", server.url)

    words = shlex.split(clipboard)
    assert words[:2] == ["pip", "install"]
    installed = pip(*words[1:], "--target", str(tmp_path / "t"))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    version = subprocess.run(
        [sys.executable, "-c", "import hello_people; print(hello_people.__version__)"],
        cwd=tmp_path / "t", capture_output=True, text=True, check=True,
    )
    assert version.stdout.strip() == "1.1"


def test_pages_fit_a_phone_screen(browser: Browser, real_index: tuple[Path, Server], tmp_path: Path) -> None:
    root, server = real_index
    browser.driver.set_window_size(390, 844)
    try:
        for path, shot in [
            ("index.html", "phone-index"),
            ("project/hello-people/", "phone-project"),
            ("changelog/page1.html", "phone-changelog"),
        ]:
            browser.open(server.url + path)
            overflow = browser.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow == 0, f"{path} scrolls sideways on a phone by {overflow}px"
            browser.check_page(tmp_path, shot, server.url)
    finally:
        browser.driver.set_window_size(1280, 900)


def test_the_filter_works_from_a_file_url(browser: Browser, real_index: tuple[Path, Server], tmp_path: Path) -> None:
    root, _ = real_index
    site = root.as_uri() + "/"
    browser.open(site + "index.html")
    box = browser.find("#filter")
    box.send_keys("people")
    browser.wait(5, lambda d: browser.find("#status").text == "1 project matches \u201cpeople\u201d.")
    assert browser.rows("#results tbody tr") == [["hello-people", "1.1", "2020-09-14", "Says hello."]]
    browser.check_page(tmp_path, "file-url", site)
    browser.open(site + "project/hello-people/index.html")
    assert browser.find("#install-line").text == f"pip install --index-url {site}simple/ hello-people==1.1"
