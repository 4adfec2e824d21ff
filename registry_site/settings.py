"""Settings for the model governance registry.

Everything comes from the environment, with embedded defaults that make `make run` work on a fresh
machine: SQLite, Celery tasks executed in-process, artifacts in a local folder. See README.md for
the list of variables.
"""
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env_bool("DJANGO_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set")
    # Embedded default for local use only; deployments set DJANGO_SECRET_KEY.
    SECRET_KEY = "insecure-local-registry-key-change-me-in-deployments"
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
    "models_app",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The registry's queries are short and indexed: JIT compiling them costs more than it saves (100+ ms on a
    # search sorted by a metric over 100k runs; see bench/search_at_scale.py).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
    if DATABASES["default"]["NAME"] != ":memory:":
        # A fresh clone has no var/ folder: SQLite creates the file, not the folders above it.
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

# --- Artifacts -------------------------------------------------------------------------------
# Artifacts go through Django's storage API: a local folder by default, S3-compatible object
# storage when ARTIFACTS_S3_BUCKET is set.
ARTIFACTS_ROOT = Path(env_str("ARTIFACTS_ROOT", str(VAR_DIR / "artifacts")))
ARTIFACTS_S3_BUCKET = env_str("ARTIFACTS_S3_BUCKET")
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
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(ARTIFACTS_ROOT), "allow_overwrite": True},
    }
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
}

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("REDIS_URL")
# No broker: run tasks in the calling process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

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

# --- REST framework --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "models_app.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "models_app.api.exception_handlers.registry_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Model governance registry API",
    "DESCRIPTION": "Native REST API: models, versions, review requests, policies, audit events.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"StageEnum": "models_app.choices.Stage",
                            "ModelVersionStatusEnum": "models_app.choices.ModelVersionStatus",
                            "ReviewRequestStatusEnum": "approvals.choices.ReviewRequestStatus"},
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
}
# Publishing to a broker that is down must fail fast: the run stays QUEUED and the dispatcher sends it later.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 3)
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 10,
                                   "visibility_timeout": VALIDATION_RUN_DEADLINE_SECONDS + 600}
