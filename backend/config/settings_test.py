"""Fast settings for the unit tests: a cheap password hasher, eager tasks, quiet logs.

Everything else comes from ``settings`` so the integration tests (which export ``DATABASE_URL`` and
``REDIS_URL``) exercise the same configuration as production.
"""

from backend.config.settings import *  # noqa: F403
from backend.config.settings import LOGGING

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]
# The embedded scheduler never starts by itself in the test suite; a test starts it when it needs it.
EMBEDDED_SCHEDULER = False
