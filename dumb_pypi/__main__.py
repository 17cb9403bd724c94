from dumb_pypi.cli import run

run()
