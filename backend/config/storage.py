"""Where the archives' files are stored, from the environment (read by ``settings``).

Uploaded files (the archives' documents) live in the data folder and are never served from a
URL: every read goes through an audited API endpoint. ``ARCHIVE_STORAGE=s3`` keeps them in an
S3-compatible object store instead (django-storages; private objects, no public URL either).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from backend.config.env import env_str


def media_root(var_dir: Path) -> Path:
    return Path(env_str("MEDIA_ROOT", str(var_dir / "media")) or var_dir / "media")


def archive_storage(media: Path) -> dict[str, Any]:
    """The ``STORAGES["archives"]`` entry that ``ARCHIVE_STORAGE`` names."""
    kind = env_str("ARCHIVE_STORAGE", "filesystem") or "filesystem"
    if kind == "filesystem":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media / "archives"), "base_url": None},
        }
    if kind != "s3":
        raise ImproperlyConfigured(f"ARCHIVE_STORAGE={kind!r} must be filesystem or s3")
    options = {
        "bucket_name": env_str("ARCHIVE_S3_BUCKET", "") or "",
        "endpoint_url": env_str("ARCHIVE_S3_ENDPOINT_URL", "") or None,
        "region_name": env_str("ARCHIVE_S3_REGION", "") or None,
        "access_key": env_str("ARCHIVE_S3_ACCESS_KEY", "") or None,
        "secret_key": env_str("ARCHIVE_S3_SECRET_KEY", "") or None,
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    if not options["bucket_name"]:
        raise ImproperlyConfigured("ARCHIVE_STORAGE=s3 needs ARCHIVE_S3_BUCKET")
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
