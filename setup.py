import re

from setuptools import find_packages, setup

with open("dumb_pypi/__init__.py", encoding="utf-8") as f:
    VERSION = re.search(r'__version__ = "(.+)"', f.read()).group(1)  # type: ignore[union-attr]

setup(
    name="dumb-pypi",
    version=VERSION,
    description="A static PyPI index generator: the simple API in HTML and JSON, the JSON API, and pages for people.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(exclude=("tests*", "bench*")),
    package_data={"dumb_pypi": ["templates/*", "static/*", "py.typed"]},
    install_requires=["jinja2>=3.0", "packaging>=22", "pkginfo>=1.10"],
    entry_points={"console_scripts": ["dumb-pypi = dumb_pypi.cli:run"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Topic :: System :: Software Distribution",
    ],
)
