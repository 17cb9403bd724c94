import itertools

import pytest
from packaging.utils import canonicalize_name

from dumb_pypi.errors import InvalidFilename
from dumb_pypi.model import Package, assemble_project, group_projects, make_package, make_project, release_keys


def _versions(packages: list[Package]) -> list[str]:
    return [r.version for r in make_project(packages).releases]


def test_make_package_derives_name_version_and_kind_from_the_filename() -> None:
    p = make_package("python_dateutil-2.8.2-py2.py3-none-any.whl")
    assert (p.name, p.display_name, p.version, p.packagetype, p.python_version) == (
        "python-dateutil", "python_dateutil", "2.8.2", "bdist_wheel", "py2.py3",
    )
    assert p.path == p.filename
    assert make_package("python-dateutil-2.8.2.tar.gz").packagetype == "sdist"


def test_make_package_refuses_a_filename_it_cannot_list() -> None:
    with pytest.raises(InvalidFilename):
        make_package("README.txt")


def test_yanked_reason_implies_yanked() -> None:
    assert make_package("foo-1.0.tar.gz", yanked_reason="broken").yanked
    assert not make_package("foo-1.0.tar.gz").yanked


def test_names_that_normalise_alike_are_one_project() -> None:
    projects = group_projects([
        make_package("aspy.yaml-1.0.tar.gz"),
        make_package("aspy_yaml-1.1-py3-none-any.whl"),
        make_package("ASPY-YAML-0.9.tar.gz"),
        make_package("other-1.0.tar.gz"),
    ])
    assert list(projects) == ["aspy-yaml", "other"]
    assert len(projects[canonicalize_name("aspy-yaml")].files) == 3


def test_projects_are_ordered_by_normalised_name() -> None:
    projects = group_projects(make_package(f) for f in ("Zeta-1.tar.gz", "alpha-1.tar.gz", "Mid_dle-1.tar.gz"))
    assert list(projects) == ["alpha", "mid-dle", "zeta"]


def test_versions_that_compare_equal_and_normalise_alike_are_one_release() -> None:
    project = make_project([
        make_package("foo-1.00-py3-none-any.whl"),
        make_package("foo-1.0.tar.gz"),
        make_package("foo-0.9.tar.gz"),
    ])
    assert [(r.version, [f.filename for f in r.files]) for r in project.releases] == [
        ("0.9", ["foo-0.9.tar.gz"]),
        # The sdist first, as PyPI lists it.
        ("1.0", ["foo-1.0.tar.gz", "foo-1.00-py3-none-any.whl"]),
    ]


def test_1_0_and_1_0_0_are_two_adjacent_releases() -> None:
    # They are equal PEP 440 versions but normalise to different strings, so
    # each keeps its own release (and its own pypi/<name>/<version>/json);
    # the tie-break keeps each release's files together.
    packages = [
        make_package("foo-1.0.0-py3-none-any.whl"),
        make_package("foo-1.0-py3-none-any.whl"),
        make_package("foo-1.0.0.tar.gz"),
        make_package("foo-1.0.tar.gz"),
        make_package("foo-2.0.tar.gz"),
    ]
    project = make_project(packages)
    assert [(r.version, len(r.files)) for r in project.releases] == [("1.0", 2), ("1.0.0", 2), ("2.0", 1)]


def test_releases_follow_pep_440_order_not_text_order() -> None:
    names = ["foo-1.10.tar.gz", "foo-1.9.tar.gz", "foo-1.0rc1.tar.gz", "foo-1.0.tar.gz", "foo-1.0.post1.tar.gz"]
    assert _versions([make_package(n) for n in names]) == ["1.0rc1", "1.0", "1.0.post1", "1.9", "1.10"]


def test_versions_that_are_not_pep_440_are_listed_before_valid_ones() -> None:
    packages = [make_package(n) for n in ("foo-2.0.tar.gz", "foo-1.0.x.tar.gz", "foo-0.1.tar.gz", "foo-2004d.tar.gz")]
    project = make_project(packages)
    assert [r.version for r in project.releases] == ["1.0.x", "2004d", "0.1", "2.0"]
    assert len(project.files) == 4


def test_versions_that_are_not_pep_440_and_differ_only_in_case_are_one_release() -> None:
    # Two releases "1.0.X" and "1.0.x" would be two folders pypi/foo/<version>/
    # that a case-insensitive file system takes for one; "1.0.Y" sorts
    # between them by text, so the order must use the same key as the grouping.
    names = ["foo-1.0.X.tar.gz", "foo-1.0.Y.tar.gz", "foo-1.0.X-py3-none-any.whl", "foo-1.0.x.zip"]
    for permutation in itertools.permutations(names):
        project = make_project([make_package(n) for n in permutation])
        assert [(r.version, [f.filename for f in r.files]) for r in project.releases] == [
            ("1.0.x", ["foo-1.0.X.tar.gz", "foo-1.0.x.zip", "foo-1.0.X-py3-none-any.whl"]),  # sdists first
            ("1.0.y", ["foo-1.0.Y.tar.gz"]),
        ]


def test_release_order_is_independent_of_input_order() -> None:
    names = ["foo-1.0.tar.gz", "foo-1.0-py3-none-any.whl", "foo-2004d.tar.gz", "foo-0.5.zip", "foo-1.00.zip"]
    packages = [make_package(n) for n in names]
    first = make_project(packages)
    for permutation in itertools.permutations(packages):
        assert make_project(permutation) == first


def _latest(*filenames: str, yanked: tuple[str, ...] = ()) -> str:
    packages = [make_package(f, yanked=f in yanked) for f in filenames]
    return group_projects(packages)[canonicalize_name("foo")].latest.version


def test_latest_is_the_newest_final_unyanked_release() -> None:
    assert _latest("foo-1.0.tar.gz", "foo-2.0.tar.gz", "foo-3.0b1.tar.gz", yanked=("foo-2.0.tar.gz",)) == "1.0"


def test_latest_skips_versions_that_are_not_pep_440_when_a_final_exists() -> None:
    assert _latest("foo-1.0.tar.gz", "foo-2004d.tar.gz") == "1.0"


def test_latest_is_a_prerelease_when_there_is_no_unyanked_final() -> None:
    assert _latest("foo-1.0a1.tar.gz", "foo-1.0b1.tar.gz", "foo-0.9.tar.gz", yanked=("foo-0.9.tar.gz",)) == "1.0b1"


def test_latest_is_the_newest_release_when_everything_is_yanked() -> None:
    names = ("foo-1.0.tar.gz", "foo-2.0.tar.gz")
    assert _latest(*names, yanked=names) == "2.0"


def test_a_release_is_yanked_only_when_all_its_files_are() -> None:
    latest = _latest("foo-1.0.tar.gz", "foo-2.0.tar.gz", "foo-2.0-py3-none-any.whl", yanked=("foo-2.0.tar.gz",))
    assert latest == "2.0"


@pytest.mark.parametrize(
    "filenames",
    [
        ("aspy_yaml-1.0-py3-none-any.whl", "aspy.yaml-1.0.tar.gz", "ASPY-YAML-0.9.tar.gz"),
        ("ASPY-YAML-0.9.tar.gz", "aspy.yaml-1.0.tar.gz", "aspy_yaml-1.0-py3-none-any.whl"),
        ("aspy.yaml-1.0.tar.gz", "ASPY-YAML-0.9.tar.gz", "aspy_yaml-1.0-py3-none-any.whl"),
    ],
)
def test_display_name_is_the_newest_sdist_spelling_whatever_the_input_order(filenames: tuple[str, ...]) -> None:
    project = group_projects(make_package(f) for f in filenames)[canonicalize_name("aspy-yaml")]
    assert project.display_name == "aspy.yaml"


def test_display_name_without_an_sdist_is_independent_of_input_order() -> None:
    a = make_package("Foo_Bar-1.0-py3-none-any.whl")
    b = make_package("foo_bar-1.0-py2-none-any.whl")
    # A wheel escapes the name, so the normalised name is the better guess.
    assert make_project([a, b]).display_name == make_project([b, a]).display_name == "foo-bar"


def test_display_name_comes_from_an_older_sdist_when_the_newest_release_has_only_wheels() -> None:
    files = [make_package("Foo.Bar-1.0.tar.gz"), make_package("foo_bar-2.0-py3-none-any.whl")]
    assert make_project(files).display_name == "Foo.Bar"


def test_release_upload_time_is_its_first_upload_and_project_last_upload_the_newest() -> None:
    project = make_project([
        make_package("foo-1.0.tar.gz", upload_timestamp=200),
        make_package("foo-1.0-py3-none-any.whl", upload_timestamp=100),
        make_package("foo-2.0.tar.gz", upload_timestamp=300.5),
        make_package("foo-3.0.tar.gz"),
    ])
    assert [r.upload_timestamp for r in project.releases] == [100, 300.5, None]
    assert project.last_upload == 300.5


def test_to_json_writes_only_what_is_known() -> None:
    assert make_package("foo-1.0.tar.gz").to_json() == {"filename": "foo-1.0.tar.gz"}
    p = make_package(
        "foo-1.0.tar.gz", path="pool/foo-1.0.tar.gz", yanked=True, requires_dist=("bar>=1",), size=0,
    )
    assert p.to_json() == {
        "filename": "foo-1.0.tar.gz", "path": "pool/foo-1.0.tar.gz", "yanked": True,
        "requires_dist": ["bar>=1"], "size": 0,
    }
    with_reason = make_package("foo-1.0.tar.gz", yanked=True, yanked_reason="")
    assert with_reason.to_json() == {"filename": "foo-1.0.tar.gz", "yanked_reason": ""}


def test_release_keys_name_exactly_the_releases_of_the_project() -> None:
    # Spellings of one version, versions that are not PEP 440 in two cases, and local versions.
    versions = ["1.0", "1.00", "1.0.0", "2.0rc1", "2.0.0rc1", "1.0.X", "1.0.x", "0.9+local", "v3", "3"]
    files = [make_package(f"foo-{v}.tar.gz") for v in versions] + [make_package("foo-1.0-py3-none-any.whl")]
    projects = group_projects(files)
    assert {r.version for r in projects["foo"].releases} == release_keys(files) == {
        "1.0", "1.0.0", "2.0rc1", "2.0.0rc1", "1.0.x", "0.9+local", "3",
    }


def test_a_project_assembled_from_its_release_cuts_is_the_project_make_project_makes() -> None:
    filenames = [
        "foo-1.0.tar.gz", "foo-1.0-py3-none-any.whl", "foo-1.00.zip", "foo-2.0rc1.tar.gz", "foo-1.0.X.tar.gz",
        "foo-1.0.x.zip", "foo-3.0.tar.gz",
    ]
    files = [make_package(f, yanked=f.startswith("foo-3")) for f in filenames]
    project = make_project(files)
    cuts = [(r.version, len(r.files), r.prerelease) for r in project.releases]
    assert assemble_project(project.files, cuts) == project
