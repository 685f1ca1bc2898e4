"""Django settings, all read from the environment.

With nothing set, the project runs embedded: SQLite, an in-memory channel layer, Celery tasks run
eagerly in-process, the console push transport. Setting ``DATABASE_URL`` (PostgreSQL) and
``REDIS_URL`` switches to the real parts. ``DJANGO_ENV=production`` turns on the production checks:
no default secret, explicit allowed hosts, secure cookies.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from backend.config.env import env_bool, env_int, env_list, env_str
from backend.config.storage import archive_storage, media_root

BASE_DIR = Path(__file__).resolve().parent.parent  # backend/
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(env_str("VAR_DIR", str(PROJECT_DIR / "var")) or PROJECT_DIR / "var")

DJANGO_ENV = env_str("DJANGO_ENV", "development") or "development"
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV={DJANGO_ENV!r} must be development, test or production")
PRODUCTION = DJANGO_ENV == "production"

# ---------------------------------------------------------------------------------------------
# Security
# ---------------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")

SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DJANGO_ENV=production")
    # A development-only key: never used in production because of the check above.
    SECRET_KEY = "dev-only-insecure-key-corrections-monitor-do-not-use-in-production"
elif PRODUCTION and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver", "[::1]"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DJANGO_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if PRODUCTION and not SESSION_COOKIE_SECURE:
    raise ImproperlyConfigured("SECURE_COOKIES cannot be turned off when DJANGO_ENV=production")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=300)
# Staff sign-in (backend/accounts: sessions.py, otp.py, lockout.py): signed out after
# STAFF_IDLE_TIMEOUT seconds without a request and STAFF_SESSION_MAX_AGE after signing in (API
# tokens too); a TOTP code besides the password on every staff path, which only a non-production
# deployment may turn off.
STAFF_IDLE_TIMEOUT = env_int("STAFF_IDLE_TIMEOUT", 30 * 60, minimum=60)
STAFF_SESSION_MAX_AGE = env_int("STAFF_SESSION_MAX_AGE", 12 * 3600, minimum=300)
STAFF_OTP_REQUIRED = env_bool("STAFF_OTP_REQUIRED", default=True)
if PRODUCTION and not STAFF_OTP_REQUIRED:
    raise ImproperlyConfigured("STAFF_OTP_REQUIRED cannot be turned off when DJANGO_ENV=production")
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "corrections-monitor") or "corrections-monitor"
# The admin's pages for authenticator devices show neither the key nor its QR code: whoever reads
# them could otherwise copy a staff member's second factor.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Lockout: 5 failures within 15 minutes lock the username and, separately, the client address.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "backend.accounts.client.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "backend.accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # the access log of backend.audit records sign-ins
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    # TLS terminates at the reverse proxy, which sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

# ---------------------------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------------------------

INSTALLED_APPS = [
    "daphne",
    "backend.accounts.admin_apps.StaffAdminConfig",  # django.contrib.admin, with the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from here: the docs work offline
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "backend.core",
    "backend.accounts",
    "backend.audit",
    "backend.supervision",
    "backend.monitoring",
    "backend.reminders",
    "backend.bureau",
    "backend.lawadmin",
    "backend.business",
    "django_celery_beat",  # the periodic jobs' schedule, as data staff see and change in the admin
    "backend.duty",
    "backend.education",
    "backend.resettlement",
    "backend.screening",
    "backend.casework",
    "backend.archives",
    "backend.publicity",
    "backend.mediation",
    "backend.learning",
    "backend.plan",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "backend.accounts.sessions.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "backend.core.errors.UnavailableMiddleware",  # last: the first to see a view's exception
]

ROOT_URLCONF = "backend.config.urls"
WSGI_APPLICATION = "backend.config.wsgi.application"
ASGI_APPLICATION = "backend.config.asgi.application"
AUTH_USER_MODEL = "accounts.User"
# The lockout's check runs before the password's (django-axes); see backend/accounts/lockout.py.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/admin/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Database, cache, channel layer, Celery
# ---------------------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL") or ""
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    # Off by default: the check is a round trip before each request's first query (on a check-in,
    # a quarter of its database time). A connection that broke (database restarted) fails one
    # request and is then replaced; phones retry, uploads are idempotent.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DB_CONN_HEALTH_CHECKS", default=False)
    # JIT compilation never pays for this workload's short statements, and PostgreSQL turns it
    # on by estimated cost: before the statistics exist (a new table, autovacuum behind), the
    # evaluator's prepared round was estimated past jit_above_cost and compiled at every run
    # (measured: 320 ms a round instead of 1). A ``jit`` setting in DATABASE_URL's options wins.
    db_options = DATABASES["default"].setdefault("OPTIONS", {})
    if "postgresql" in DATABASES["default"]["ENGINE"] and "jit" not in str(db_options.get("options", "")):
        db_options["options"] = f"{db_options.get('options', '')} -c jit=off".strip()
else:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL (PostgreSQL) is required when DJANGO_ENV=production")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            # WAL lets the console read while check-ins are written.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
# Well-formed check-in uploads are answered in front of Django by the WSGI application's fast
# path (``backend.monitoring.api.fast_path``); off, they take the view like every request.
CHECKIN_FAST_PATH = env_bool("CHECKIN_FAST_PATH", default=True)
# The hot statements (phone uploads, device auth, evaluator rounds) are prepared on the server
# (``backend.core.db.hot_cursor``) from their second run; off behind a pooler in transaction
# mode. The ORM's statements bind on the client and are never prepared either way.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", default=True)
if DATABASE_URL and DB_PREPARED_STATEMENTS:
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL") or ""
# Group messages past this many per channel are dropped silently by channels-redis (default 100);
# the console replays from the database, but size it so that replay is the exception.
CHANNEL_CAPACITY = env_int("CHANNEL_CAPACITY", 5000, minimum=100)
# Namespaces this deployment's Redis keys (the channel layer's) in a shared Redis.
CHANNEL_PREFIX = env_str("CHANNEL_PREFIX", "cm") or "cm"
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "backend.core.channel_layer.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s timeout by default, the length of channels-redis's
                # blocking pop: every idle websocket's receive failed after 5 s. Reads wait longer.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "socket_connect_timeout": 5}],
                "capacity": CHANNEL_CAPACITY,
                "group_expiry": 86400,
                "prefix": CHANNEL_PREFIX,
            },
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Where uploaded fixes are evaluated: "inline" in the upload's process (embedded default), or
# "queue": the API only stores them and `manage.py run_evaluator` processes evaluate them.
CHECKIN_EVALUATION = env_str("CHECKIN_EVALUATION", "inline") or "inline"
if CHECKIN_EVALUATION not in ("inline", "queue"):
    raise ImproperlyConfigured("CHECKIN_EVALUATION must be 'inline' or 'queue'.")
if CHECKIN_EVALUATION == "queue" and "postgresql" not in DATABASES["default"]["ENGINE"]:
    raise ImproperlyConfigured(
        "CHECKIN_EVALUATION=queue needs PostgreSQL (evaluators share the work through its row locks)."
    )

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or REDIS_URL or None
# Without a broker the embedded default runs tasks in-process, right after the commit that queued them.
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not (REDIS_URL or env_str("CELERY_BROKER_URL"))
)
CELERY_TASK_EAGER_PROPAGATES = True
# Publishing gives up after one quick retry: with Redis away a request (or an evaluator round)
# must not wait seconds per task; the outbox (backend/core/outbox.py) hands the task over later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.2,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
# The periodic jobs, one line each. The schedule itself is data (django-celery-beat's tables, in the
# admin, where staff may change or disable an entry): a line here is added to it when the scheduler
# starts and no entry of that name exists; a line's later edits do not overwrite the database's.
CELERY_BEAT_SCHEDULER = "backend.duty.scheduler:ProjectScheduler"
from backend.config import schedule as _schedule  # noqa: E402  (the jobs, one line each, there)

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = _schedule.CELERY_BEAT_SCHEDULE

# Without a broker (the embedded default) the same schedule runs in a thread of the server
# process (``backend.duty.scheduler``); with a broker, `celery beat` runs it.
EMBEDDED_SCHEDULER = env_bool(
    "EMBEDDED_SCHEDULER", default=not (PRODUCTION or REDIS_URL or env_str("CELERY_BROKER_URL"))
)

# ---------------------------------------------------------------------------------------------
# Passwords, language, time
# ---------------------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Leaflet (the console map) from the pinned django-leaflet package's static files, served from here.
# Not an installed app: its admin module needs GDAL. Located without importing it (it reads settings).
_LEAFLET = importlib.util.find_spec("leaflet")
if _LEAFLET is None or _LEAFLET.origin is None:
    raise ImproperlyConfigured("django-leaflet is not installed (pip install -e .)")
STATICFILES_DIRS = [BASE_DIR / "static", ("leaflet", Path(_LEAFLET.origin).parent / "static" / "leaflet")]
# The archives' files: under MEDIA_ROOT in the data folder, or object storage (config/storage.py).
MEDIA_ROOT = media_root(VAR_DIR)
MEDIA_URL = None
# One document file at most this many bytes; a phone's monthly report at most 5 photos.
ARCHIVE_MAX_FILE_SIZE = env_int("ARCHIVE_MAX_FILE_SIZE", 20 * 1024 * 1024, minimum=1024)
# A dotted path to ``scan(name: str, stream) -> str | None`` (a reason to refuse, e.g. ClamAV's
# finding) run on every uploaded file before it is stored; empty: no scan.
ARCHIVE_VIRUS_SCAN = env_str("ARCHIVE_VIRUS_SCAN", "") or ""
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"base_url": None}},
    "archives": archive_storage(MEDIA_ROOT),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# ---------------------------------------------------------------------------------------------
# REST API and OpenAPI
# ---------------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated request answers 401 with a WWW-Authenticate header.
        "backend.accounts.authentication.StaffTokenAuthentication",
        "backend.accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["backend.accounts.permissions.IsStaffMember"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON only, with bounded depth and storable text (``backend.core.parsers``).
    "DEFAULT_PARSER_CLASSES": ["backend.core.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "backend.core.api.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "backend.accounts.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": env_str("LOGIN_THROTTLE", "10/min"), "enroll": "20/min"},
    # How many proxies in front append to X-Forwarded-For: throttles count the address the last
    # of them saw. 0 (no proxy) counts the connection's address: a client's own X-Forwarded-For
    # must never let it dodge the login and enrollment limits.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0, minimum=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "corrections-monitor API",
    "DESCRIPTION": "Mobile API for the supervision phone app and the staff API of the county justice bureau.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "ENUM_NAME_OVERRIDES": {
        "RiskBandEnum": "backend.screening.rules.Band",
        "ArchiveKindEnum": "backend.archives.models.ArchiveKind",
        "SanctionKindEnum": "backend.archives.models.SanctionKind",
        "SanctionStatusEnum": "backend.archives.models.Sanction.Status",
        "ArchiveStageEnum": "backend.archives.models.Stage",
        "SupervisionLevelEnum": "backend.supervision.models.Subject.Level",
        # Named here because two components carry each (the list's row and the record).
        "SubjectStatusEnum": "backend.supervision.models.Subject.Status",
        "ReleasedPersonStatusEnum": "backend.supervision.models.ReleasedPerson.Status",
        "ReleasedPersonSourceEnum": "backend.supervision.models.ReleasedPerson.Source",
        "EducationSessionKindEnum": "backend.education.models.SessionKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.core.openapi.add_error_responses",
        "backend.core.openapi.local_times",
    ],
    # The docs pages load their scripts from this server (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise send the schema to swagger.io's online validator for its badge.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# ---------------------------------------------------------------------------------------------
# Product settings
# ---------------------------------------------------------------------------------------------

DEMO_MODE = env_bool("DEMO_MODE", default=not PRODUCTION)
# Fixes, their console events, the positions in alert evidence and last positions are deleted
# this many days after they were received (a daily job; backend/monitoring/services/retention.py).
LOCATION_RETENTION_DAYS = env_int("LOCATION_RETENTION_DAYS", 180, minimum=7)
ENROLLMENT_CODE_TTL_HOURS = env_int("ENROLLMENT_CODE_TTL_HOURS", 24, minimum=1)
# Phones sign every request with the key they registered at enrollment (backend/supervision/
# signing.py). Off, phones enrolled without a key are accepted unsigned (a migration period);
# a phone with a key must sign all the same.
PHONE_SIGNATURES_REQUIRED = env_bool("PHONE_SIGNATURES_REQUIRED", default=True)
# A signed request is accepted this many seconds either side of the server's clock, once.
PHONE_SIGNATURE_WINDOW_SECONDS = env_int("PHONE_SIGNATURE_WINDOW_SECONDS", 300, minimum=30)
# People a screening worker scores in one transaction (one chunk: a few queries for all of them).
SCREENING_CHUNK_SIZE = env_int("SCREENING_CHUNK_SIZE", 2000, minimum=1)
# The console map's optional base layer: {z}/{x}/{y} tile URLs in Web Mercator, space-separated and
# drawn in that order ({s} takes one of MAP_TILE_SUBDOMAINS). None by default: the map draws its
# vectors alone and the page's Content-Security-Policy lets images come from this server only.
MAP_TILE_URLS = (env_str("MAP_TILE_URL", "") or "").split()
for _url in MAP_TILE_URLS:
    if not re.fullmatch(r"https?://[^/?#\s]+/\S*", _url) or not all(k in _url for k in ("{z}", "{x}", "{y}")):
        raise ImproperlyConfigured(
            f"MAP_TILE_URL: {_url!r} is not an http(s) URL with {{z}}, {{x}} and {{y}}"
        )
MAP_TILE_SUBDOMAINS = env_list("MAP_TILE_SUBDOMAINS", ["a", "b", "c"])
if not MAP_TILE_SUBDOMAINS and any("{s}" in url for url in MAP_TILE_URLS):
    raise ImproperlyConfigured("MAP_TILE_SUBDOMAINS is empty but MAP_TILE_URL has {s}")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "") or ""
MAP_TILE_MAX_ZOOM = env_int("MAP_TILE_MAX_ZOOM", 18, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO") or "INFO"},
    # kombu warns that the embedded memory:// broker has no host name; that is expected.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "kombu.connection": {"level": "ERROR"},
        # django-axes logs the username and address of every failed sign-in; the access log has them.
        "axes": {"level": "ERROR"},
    },
}

# ---------------------------------------------------------------------------------------------
# Push notifications
# ---------------------------------------------------------------------------------------------

# console (default: logs and keeps pushes, sends nothing) or fcm; a plug-in transport registered
# with notifications.register_transport may be named too.
PUSH_TRANSPORT = (env_str("PUSH_TRANSPORT", "console") or "console").strip()
FCM_CREDENTIALS_FILE = (env_str("FCM_CREDENTIALS_FILE", "") or "").strip()
FCM_PROJECT_ID = (env_str("FCM_PROJECT_ID", "") or "").strip()
FCM_DRY_RUN = env_bool("FCM_DRY_RUN", default=False)
# Huawei Push Kit (PUSH_TRANSPORT=hms, or fcm,hms to route each token by its "hms:" prefix).
HMS_APP_ID = (env_str("HMS_APP_ID", "") or "").strip()
HMS_CLIENT_SECRET = (env_str("HMS_CLIENT_SECRET", "") or "").strip()
if "hms" in PUSH_TRANSPORT.split(",") and not (HMS_APP_ID and HMS_CLIENT_SECRET):
    raise ImproperlyConfigured("PUSH_TRANSPORT with hms needs HMS_APP_ID and HMS_CLIENT_SECRET (or _FILE)")
if "fcm" in PUSH_TRANSPORT.split(",") and not FCM_CREDENTIALS_FILE:
    raise ImproperlyConfigured(
        "PUSH_TRANSPORT=fcm needs FCM_CREDENTIALS_FILE (path to a service-account JSON)"
    )
# Addresses (a leave's destination, a home) are looked up by Baidu's geocoder only with a key:
# empty (the default), nothing reaches the network and staff set the point on the map.
BAIDU_GEOCODER_KEY = (env_str("BAIDU_GEOCODER_KEY", "") or "").strip()
# Sends of one push, the first included; temporary failures are retried with backoff in between.
PUSH_MAX_ATTEMPTS = env_int("PUSH_MAX_ATTEMPTS", 5, minimum=1)
# Non-urgent reminders due in this window are held until it ends; "off" disables it.
QUIET_HOURS = (env_str("QUIET_HOURS", "22:00-07:00") or "").strip()
QUIET_HOURS_TIME_ZONE = (env_str("QUIET_HOURS_TIME_ZONE", "Asia/Shanghai") or "Asia/Shanghai").strip()
_quiet_hours_format = r"^(off|([01]?\d|2[0-3]):[0-5]\d\s*-\s*([01]?\d|2[0-3]):[0-5]\d)?$"
if not re.match(_quiet_hours_format, QUIET_HOURS.lower()):
    raise ImproperlyConfigured(f"QUIET_HOURS={QUIET_HOURS!r} must look like 22:00-07:00, or be off")
try:
    zoneinfo.ZoneInfo(QUIET_HOURS_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"QUIET_HOURS_TIME_ZONE={QUIET_HOURS_TIME_ZONE!r} is not a time zone") from exc
