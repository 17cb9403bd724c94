from hypothesis import settings

# Examples are timed on a shared 2-core machine: a slow example is load, not a bug.
settings.register_profile("dumb-pypi", deadline=None)
settings.load_profile("dumb-pypi")
