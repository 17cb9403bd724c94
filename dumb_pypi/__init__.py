"""dumb-pypi: a static PyPI index generator."""
__version__ = "2.0.0.dev0"
