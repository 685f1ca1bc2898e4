"""Fast settings for the unit tests: a cheap password hasher, eager tasks, quiet logs.

Everything else comes from ``settings`` so the integration tests (which export ``DATABASE_URL`` and
``REDIS_URL``) exercise the same configuration as production.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from backend.config.settings import *  # noqa: F403
from backend.config.settings import LOGGING

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]
# The embedded scheduler never starts by itself in the test suite; a test starts it when it needs it.
EMBEDDED_SCHEDULER = False
# Files the tests store (the archives' documents) go to a folder of this run, removed at its end;
# folders of runs that were killed (their process is gone) are removed by the next run.
for _stale in Path(tempfile.gettempdir()).glob("cm-test-media-*-*"):
    _pid = _stale.name.split("-")[3]
    if _pid.isdigit() and not Path(f"/proc/{_pid}").exists():
        shutil.rmtree(_stale, ignore_errors=True)
_TEST_MEDIA = tempfile.mkdtemp(prefix=f"cm-test-media-{os.getpid()}-")
atexit.register(shutil.rmtree, _TEST_MEDIA, True)
MEDIA_ROOT = Path(_TEST_MEDIA)
STORAGES = {
    **STORAGES,  # noqa: F405
    "archives": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": _TEST_MEDIA, "base_url": None},
    },
}
