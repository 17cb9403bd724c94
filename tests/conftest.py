from hypothesis import HealthCheck, settings

# Examples are timed on a shared 2-core machine: a slow example (or a slow
# draw of one) is load, not a bug.
settings.register_profile("dumb-pypi", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("dumb-pypi")
