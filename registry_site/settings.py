"""Settings for the model governance registry.

Everything comes from the environment, with embedded defaults that make `make run` work on a fresh
machine: SQLite, Celery tasks executed in-process, artifacts in a local folder. See README.md for
the list of variables.
"""
import hashlib
import hmac
import re
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env_bool("DJANGO_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set")
    # Embedded default for local use only; deployments set DJANGO_SECRET_KEY.
    SECRET_KEY = "insecure-local-registry-key-change-me-in-deployments"
# --- Audit chain (docs/governance.md, "Audit anchoring") --------------------------------------
# The key of the audit events' HMAC-SHA256 chain and of the head checkpoint's signature. It must not live in
# the database: whoever can read it can rewrite the record unnoticed. Deployments set it (at least 32
# characters); `make run` derives one from the secret key.
AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY")
if not AUDIT_HMAC_KEY:
    if not DEBUG and env_bool("DJANGO_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("AUDIT_HMAC_KEY must be set")
    # Embedded default for local use only; deployments set AUDIT_HMAC_KEY.
    AUDIT_HMAC_KEY = hmac.new(SECRET_KEY.encode(), b"registry audit chain", hashlib.sha256).hexdigest()
elif len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must be at least 32 characters long")
# The key the chain was written with before a rotation; read only by `verify_audit --rechain`.
AUDIT_HMAC_PREVIOUS_KEY = env_str("AUDIT_HMAC_PREVIOUS_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "axes",
    "models_app",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # NUL characters in paths, queries and forms; database refusals of a request's values; statement timeouts.
    "models_app.middleware.BadInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees the response of a locked-out login and can replace it with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "registry_site.urls"
# The MLflow client posts to paths without a trailing slash; a redirect would drop the body.
APPEND_SLASH = False

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
            ],
        },
    },
]

WSGI_APPLICATION = "registry_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'registry.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}


def _serves_web_requests(argv: list[str]) -> bool:
    """False for Celery workers and beat, and for management commands other than runserver (migrate, seeds)."""
    program = Path(argv[0]) if argv else Path()
    if "celery" in program.parts:  # the celery script, or python -m celery (…/celery/__main__.py)
        return False
    if program.name in ("manage.py", "django-admin"):
        return argv[1:2] in (["runserver"], ["testserver"])
    return True  # gunicorn, uwsgi, and the test runner


# Web requests: PostgreSQL stops any statement running longer than this, so no query holds a worker past
# gunicorn's timeout; models_app.middleware answers a stopped statement with a 503. Workers and commands
# (validation runs, migrate building an index on a full table) use WORKER_DATABASE_STATEMENT_TIMEOUT_MS.
# 0 means no limit.
DATABASE_STATEMENT_TIMEOUT_MS = (env_int("DATABASE_STATEMENT_TIMEOUT_MS", 30_000) if _serves_web_requests(sys.argv)
                                 else env_int("WORKER_DATABASE_STATEMENT_TIMEOUT_MS", 0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The registry's queries are short and indexed: JIT compiling them costs more than it saves (100+ ms on a
    # search sorted by a metric over 100k runs; see bench/search_at_scale.py).
    _options = ["-c jit=off"]
    if DATABASE_STATEMENT_TIMEOUT_MS > 0:
        # Sent with the connection's start-up packet: no extra query per connection.
        _options.append(f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}")
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", " ".join(_options))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
    if DATABASES["default"]["NAME"] != ":memory:":
        # A fresh clone has no var/ folder: SQLite creates the file, not the folders above it.
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Axes first: it refuses every password (right or wrong) of a locked-out username and address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Cache: throttling and lockout state --------------------------------------------------------
# A Redis URL in deployments, so every web worker counts the same failures and requests; without one a
# per-process memory cache (right for `make run`'s single process).
DJANGO_CACHE_URL = env_str("DJANGO_CACHE_URL")
if DJANGO_CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DJANGO_CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- HTTPS, cookies, headers (docs/deployment.md) ----------------------------------------------
# Off debug, cookies are Secure and browsers are told to use HTTPS only (HSTS, sent on HTTPS responses).
_HTTPS_DEFAULT = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# Behind a proxy that terminates TLS: the header it sets, e.g. "X-Forwarded-Proto: https". Only set it when the
# proxy always sets or strips that header, or clients could claim HTTPS.
_proxy_ssl_header = env_str("DJANGO_SECURE_PROXY_SSL_HEADER").strip()
if _proxy_ssl_header:
    _header_name, _, _header_value = _proxy_ssl_header.partition(":")
    if not _header_value.strip():
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', got {_proxy_ssl_header!r}")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _header_name.strip().upper().replace("-", "_"), _header_value.strip())
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", _HTTPS_DEFAULT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: pages put the token in hx-headers and forms.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles from this origin only, no inline code, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Login throttling (django-axes) ------------------------------------------------------------
# After REGISTRY_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that pair is refused
# (429) for REGISTRY_LOGIN_COOLOFF_MINUTES, the right password included: on the login pages and on API
# Basic/Bearer credentials alike (models_app/authentication.py).
AXES_ENABLED = env_bool("REGISTRY_LOGIN_THROTTLE", True)
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env_int("REGISTRY_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("REGISTRY_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "models_app.authentication.lockout_response"
AXES_CLIENT_IP_CALLABLE = "models_app.authentication.client_ip_address"
# Proxies in front of the server that append to X-Forwarded-For; 0 means the socket's address is the client's.
REGISTRY_TRUSTED_PROXY_HOPS = env_int("REGISTRY_TRUSTED_PROXY_HOPS", 0)
if not DJANGO_CACHE_URL and DEBUG:
    # `make run` is one process: its memory cache counts every attempt (deployments set DJANGO_CACHE_URL).
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]

# --- Artifacts -------------------------------------------------------------------------------
# Artifacts go through Django's storage API: a local folder by default, S3-compatible object
# storage when ARTIFACTS_S3_BUCKET is set.
ARTIFACTS_ROOT = Path(env_str("ARTIFACTS_ROOT", str(VAR_DIR / "artifacts")))
ARTIFACTS_S3_BUCKET = env_str("ARTIFACTS_S3_BUCKET")
# Validation datasets (labelled evidence) live in a storage root of their own, outside the artifact store that
# clients write to through the artifact proxy.
VALIDATION_DATASET_ROOT = Path(env_str("VALIDATION_DATASET_ROOT", str(VAR_DIR / "validation-datasets"))).resolve()
if not ARTIFACTS_S3_BUCKET and VALIDATION_DATASET_ROOT.is_relative_to(ARTIFACTS_ROOT.resolve()):
    raise ImproperlyConfigured("VALIDATION_DATASET_ROOT must not be inside ARTIFACTS_ROOT: clients write there")
if ARTIFACTS_S3_BUCKET:
    _artifact_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ARTIFACTS_S3_BUCKET,
            "endpoint_url": env_str("ARTIFACTS_S3_ENDPOINT_URL") or None,
            "location": env_str("ARTIFACTS_S3_PREFIX"),
            "file_overwrite": True,
        },
    }
else:
    _artifact_storage = {
        # FileSystemStorage that never follows a symbolic link out of ARTIFACTS_ROOT.
        "BACKEND": "models_app.storage.ContainedFileSystemStorage",
        "OPTIONS": {"location": str(ARTIFACTS_ROOT), "allow_overwrite": True},
    }
# Local folders, besides the local artifact root, that a version's source may name as a path or file: URI (MLflow
# refuses local paths). Sources in the artifact root are held by the registry; those in these folders are external.
REGISTRY_LOCAL_SOURCE_ROOTS = env_list("REGISTRY_LOCAL_SOURCE_ROOTS", [])
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("DJANGO_MANIFEST_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
    "artifacts": _artifact_storage,
    "validation_datasets": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VALIDATION_DATASET_ROOT), "allow_overwrite": False},
    },
}

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("REDIS_URL")
# No broker: run tasks in the calling process (one-off commands, most of the test suite). `make run` sets
# CELERY_BROKER_URL=filesystem:// and `manage.py serve` runs a worker and beat beside the web server.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# kombu's filesystem transport (the embedded broker): one message per file in CELERY_BROKER_FOLDER, which every
# process of the deployment (web, worker, beat) must share.
CELERY_BROKER_FOLDER = Path(env_str("CELERY_BROKER_FOLDER", str(VAR_DIR / "celery-broker")))
# Where `celery beat` keeps the last run time of each periodic task.
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule"))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

# --- Audit checkpoint -------------------------------------------------------------------------
# The chain's head (last event id, its hash, the count), signed with AUDIT_HMAC_KEY, written outside the
# database: to a file by default, or to an S3-compatible bucket when AUDIT_CHECKPOINT_S3_BUCKET is set (give
# the registry put/get rights only, and keep object versions). Written after each audited write and by beat.
AUDIT_CHECKPOINT_PATH = Path(env_str("AUDIT_CHECKPOINT_PATH", str(VAR_DIR / "audit-checkpoint.json")))
AUDIT_CHECKPOINT_S3_BUCKET = env_str("AUDIT_CHECKPOINT_S3_BUCKET")
AUDIT_CHECKPOINT_S3_KEY = env_str("AUDIT_CHECKPOINT_S3_KEY", "audit-checkpoint.json")
AUDIT_CHECKPOINT_S3_ENDPOINT_URL = env_str("AUDIT_CHECKPOINT_S3_ENDPOINT_URL")
AUDIT_CHECKPOINT_AFTER_WRITE = env_bool("AUDIT_CHECKPOINT_AFTER_WRITE", True)
AUDIT_CHECKPOINT_INTERVAL_SECONDS = env_int("AUDIT_CHECKPOINT_INTERVAL_SECONDS", 60)

# --- Registry rules --------------------------------------------------------------------------
# The seeds' rule: at most one version per model in Production and one in Staging; promoting
# another archives the previous occupant. Off gives MLflow's exact behaviour (any number).
REGISTRY_SINGLE_OCCUPANCY_STAGES = env_bool("REGISTRY_SINGLE_OCCUPANCY_STAGES", True)
# Requests to the APIs without credentials are refused unless this is on.
REGISTRY_ALLOW_ANONYMOUS = env_bool("REGISTRY_ALLOW_ANONYMOUS", False)
# The permission level every signed-in user holds on every registered model unless a grant gives more
# (a name from models_app.governance.PermissionLevel). The default lets signed-in users read every model and
# create their own (creators get CAN_MANAGE), not change other people's; CAN_MANAGE_PRODUCTION_VERSIONS is the
# open behaviour of earlier releases.
REGISTRY_PERMISSION_LEVEL_NAMES = (
    "NONE", "CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS", "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE",
)
REGISTRY_DEFAULT_PERMISSION = env_str("REGISTRY_DEFAULT_PERMISSION", "CAN_READ").strip().upper()
if REGISTRY_DEFAULT_PERMISSION not in REGISTRY_PERMISSION_LEVEL_NAMES:
    raise ImproperlyConfigured(
        f"REGISTRY_DEFAULT_PERMISSION must be one of {', '.join(REGISTRY_PERMISSION_LEVEL_NAMES)}, "
        f"got {REGISTRY_DEFAULT_PERMISSION!r}"
    )
# The same for experiments (models_app.governance.ExperimentLevel, MLflow's auth app's names), which their
# runs, logged models and artifacts inherit. Creators get MANAGE; EDIT is the open behaviour of earlier releases.
REGISTRY_EXPERIMENT_LEVEL_NAMES = ("NO_PERMISSIONS", "READ", "EDIT", "MANAGE")
REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = env_str("REGISTRY_DEFAULT_EXPERIMENT_PERMISSION", "READ").strip().upper()
if REGISTRY_DEFAULT_EXPERIMENT_PERMISSION not in REGISTRY_EXPERIMENT_LEVEL_NAMES:
    raise ImproperlyConfigured(
        f"REGISTRY_DEFAULT_EXPERIMENT_PERMISSION must be one of {', '.join(REGISTRY_EXPERIMENT_LEVEL_NAMES)}, "
        f"got {REGISTRY_DEFAULT_EXPERIMENT_PERMISSION!r}"
    )

# Members of this group (and staff superusers) are governance admins: they alone create, change and delete
# approval policies and validation datasets, see registry-wide audit events and may break glass.
REGISTRY_GOVERNANCE_ADMIN_GROUP = env_str("REGISTRY_GOVERNANCE_ADMIN_GROUP", "governance-admins").strip()

# --- Webhooks and notifications (approvals) ----------------------------------------------------
# Secrets of webhooks are encrypted at rest under this key (default: derived from DJANGO_SECRET_KEY).
REGISTRY_WEBHOOK_SECRET_KEY = env_str("REGISTRY_WEBHOOK_SECRET_KEY") or f"webhook-secrets:{SECRET_KEY}"
# URL schemes a webhook may use, and hosts that may resolve to loopback/private/link-local addresses (by default
# none: every delivery goes to a public address, checked after DNS resolution and pinned to it).
REGISTRY_WEBHOOK_ALLOWED_SCHEMES = env_list("REGISTRY_WEBHOOK_ALLOWED_SCHEMES", ["https"])
REGISTRY_WEBHOOK_ALLOWED_HOSTS = [host.lower() for host in env_list("REGISTRY_WEBHOOK_ALLOWED_HOSTS", [])]
REGISTRY_WEBHOOK_TIMEOUT_SECONDS = env_float("REGISTRY_WEBHOOK_TIMEOUT_SECONDS", 10.0)
# Attempts per delivery (429, 5xx, timeouts and connection errors are retried), the first retry's delay (doubled
# each time, capped), and failed deliveries in a row after which a webhook is disabled.
REGISTRY_WEBHOOK_MAX_ATTEMPTS = env_int("REGISTRY_WEBHOOK_MAX_ATTEMPTS", 5)
REGISTRY_WEBHOOK_BACKOFF_SECONDS = env_float("REGISTRY_WEBHOOK_BACKOFF_SECONDS", 10.0)
REGISTRY_WEBHOOK_BACKOFF_MAX_SECONDS = env_float("REGISTRY_WEBHOOK_BACKOFF_MAX_SECONDS", 600.0)
REGISTRY_WEBHOOK_DISABLE_AFTER_FAILURES = env_int("REGISTRY_WEBHOOK_DISABLE_AFTER_FAILURES", 10)
# How long a sender holds a delivery; after that beat sends it again (a worker died between claim and log).
REGISTRY_WEBHOOK_LEASE_SECONDS = env_int("REGISTRY_WEBHOOK_LEASE_SECONDS", 120)
REGISTRY_WEBHOOK_DISPATCH_INTERVAL_SECONDS = env_int("REGISTRY_WEBHOOK_DISPATCH_INTERVAL_SECONDS", 15)
# Sender of notification e-mails, and the address of the dashboard their links point to.
REGISTRY_NOTIFICATION_FROM_EMAIL = env_str("REGISTRY_NOTIFICATION_FROM_EMAIL", "registry@localhost")
REGISTRY_BASE_URL = env_str("REGISTRY_BASE_URL", "http://localhost:8000").rstrip("/")

# --- Bad input ------------------------------------------------------------------------------
# JSON request bodies (MLflow and native APIs) nested deeper than this are refused with a 400.
REQUEST_JSON_MAX_DEPTH = env_int("REQUEST_JSON_MAX_DEPTH", 32)
# Search filters (MLflow searches and the experiment page): clauses joined by AND (also the number of order_by
# entries) and characters. PostgreSQL's planning time grows faster than the clause count.
SEARCH_FILTER_MAX_CLAUSES = env_int("SEARCH_FILTER_MAX_CLAUSES", 30)
SEARCH_FILTER_MAX_LENGTH = env_int("SEARCH_FILTER_MAX_LENGTH", 10_000)

# Request rates ("N/second|minute|hour|day"; empty: no limit) per user, or per address for anonymous callers.
REGISTRY_API_THROTTLE_RATE = env_str("REGISTRY_API_THROTTLE_RATE", "1200/minute")
REGISTRY_ANON_THROTTLE_RATE = env_str("REGISTRY_ANON_THROTTLE_RATE", "300/minute")
REGISTRY_MLFLOW_API_THROTTLE_RATE = env_str("REGISTRY_MLFLOW_API_THROTTLE_RATE", "3000/minute")
for _rate_name in ("REGISTRY_API_THROTTLE_RATE", "REGISTRY_ANON_THROTTLE_RATE", "REGISTRY_MLFLOW_API_THROTTLE_RATE"):
    if globals()[_rate_name] and not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)",
                                                   globals()[_rate_name]):
        raise ImproperlyConfigured(f"{_rate_name} must look like '100/minute' (or be empty), got "
                                   f"{globals()[_rate_name]!r}")

# --- REST framework --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "models_app.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "models_app.api.parsers.CheckedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "models_app.api.exception_handlers.registry_exception_handler",
    # Per-user request rates (per address for anonymous callers), counted in the cache (models_app/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "models_app.throttling.ApiUserRateThrottle",
        "models_app.throttling.ApiAnonRateThrottle",
    ],
    "NUM_PROXIES": REGISTRY_TRUSTED_PROXY_HOPS,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Model governance registry API",
    "DESCRIPTION": "Native REST API: models, versions, review requests, policies, audit events.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The id and version path converters (models_app/converters.py), described with their ranges.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        "experiment_id": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
        "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    },
    "ENUM_NAME_OVERRIDES": {"StageEnum": "models_app.choices.Stage",
                            "ModelVersionStatusEnum": "models_app.choices.ModelVersionStatus",
                            "ReviewRequestStatusEnum": "approvals.choices.ReviewRequestStatus",
                            "ReviewActionEnum": "approvals.choices.ReviewAction",
                            "AuditActionEnum": "models_app.choices.AuditAction",
                            "ValidationStatusEnum": "approvals.choices.ValidationStatus",
                            "CheckStatusEnum": "approvals.choices.CheckStatus"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# --- Validation runs (approvals) ---------------------------------------------------------------
# Limits of the sandboxed process that loads and scores a model.
VALIDATION_SCORE_TIMEOUT_SECONDS = env_int("VALIDATION_SCORE_TIMEOUT_SECONDS", 300)
VALIDATION_SCORE_MEMORY_MB = env_int("VALIDATION_SCORE_MEMORY_MB", 4096)
# Processes and threads the model may start, and the largest file it may write (also the size of its private /tmp).
VALIDATION_SCORE_MAX_PROCESSES = env_int("VALIDATION_SCORE_MAX_PROCESSES", 64)
VALIDATION_SCORE_FILE_SIZE_MB = env_int("VALIDATION_SCORE_FILE_SIZE_MB", 512)
# The sandbox: bubblewrap at this path (empty: never), the unprivileged uid the model's code runs as, and whether
# to refuse scoring without bubblewrap (deployments) instead of falling back to a limited subprocess (laptops).
VALIDATION_SANDBOX_BWRAP = env_str("VALIDATION_SANDBOX_BWRAP", "/usr/bin/bwrap").strip()
VALIDATION_SANDBOX_UID = env_int("VALIDATION_SANDBOX_UID", 65534)
VALIDATION_REQUIRE_FULL_SANDBOX = env_bool("VALIDATION_REQUIRE_FULL_SANDBOX", False)
# A running run must finish this long after a worker claimed it, or the sweeper fails it.
VALIDATION_RUN_DEADLINE_SECONDS = env_int("VALIDATION_RUN_DEADLINE_SECONDS", 1800)
# A worker refreshes its run's heartbeat while executing; silent longer than this, the worker is taken as
# lost and the run is queued again, up to VALIDATION_MAX_ATTEMPTS claims.
VALIDATION_HEARTBEAT_SECONDS = env_int("VALIDATION_HEARTBEAT_SECONDS", 10)
VALIDATION_HEARTBEAT_TIMEOUT_SECONDS = env_int("VALIDATION_HEARTBEAT_TIMEOUT_SECONDS", 120)
VALIDATION_MAX_ATTEMPTS = env_int("VALIDATION_MAX_ATTEMPTS", 3)
# A queued run whose message may have been lost is sent again after this long (claims are idempotent).
VALIDATION_REDISPATCH_AFTER_SECONDS = env_int("VALIDATION_REDISPATCH_AFTER_SECONDS", 600)
# How often `celery -A registry_site beat` runs the dispatcher and the sweeper.
VALIDATION_MAINTENANCE_INTERVAL_SECONDS = env_int("VALIDATION_MAINTENANCE_INTERVAL_SECONDS", 30)
CELERY_BEAT_SCHEDULE = {
    "dispatch-validation-runs": {
        "task": "approvals.dispatch_validation_runs",
        "schedule": float(VALIDATION_MAINTENANCE_INTERVAL_SECONDS),
    },
    "sweep-validation-runs": {
        "task": "approvals.sweep_validation_runs",
        "schedule": float(VALIDATION_MAINTENANCE_INTERVAL_SECONDS),
    },
    "dispatch-webhook-deliveries": {
        "task": "approvals.webhook_deliveries_dispatch_pending",
        "schedule": float(REGISTRY_WEBHOOK_DISPATCH_INTERVAL_SECONDS),
    },
    "checkpoint-audit-chain": {
        "task": "models_app.audit_checkpoint_write",
        "schedule": float(AUDIT_CHECKPOINT_INTERVAL_SECONDS),
    },
}
# Publishing to a broker that is down must fail fast: the run stays QUEUED and the dispatcher sends it later.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 3)
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 10,
                                   "visibility_timeout": VALIDATION_RUN_DEADLINE_SECONDS + 600}
if CELERY_BROKER_URL.startswith("filesystem:"):
    # Producers write into the folder consumers read from: one folder for both directions (a consumer takes a
    # message by moving its file away, so two workers never get the same one).
    CELERY_BROKER_TRANSPORT_OPTIONS.update({
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"), "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
    })
    for _folder in ("queue", "control"):
        (CELERY_BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
