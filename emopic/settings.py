"""Settings for emopic: one file, configured from the environment.

The embedded default needs no services: SQLite, media on the local disk and the
in-memory channel layer. Environment variables switch each piece to its
production counterpart (see docs/DEPLOY.md once it exists).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default)
    if value not in ("", "True", "False"):
        raise ImproperlyConfigured(f"Unexpected value {name}={value}, use 'True' or 'False'")
    return value == "True"


def envint(name: str, default: str, minimum: int | None = None) -> int:
    value = os.getenv(name, default)
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value} is not an integer") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below its minimum, {minimum}")
    return number


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def redis_channel_layers(url: str) -> dict:
    """The Channels layer on the Redis server at ``url`` (also used by the tests of that profile)."""
    # Every consumer waits on its Redis channel with a 5 s blocking pop, and redis-py 8 stops reading after 5 s by
    # default: an idle socket (the coach's always is) would die at 5 s. So reads wait longer than the pop does.
    host = {"address": url, "socket_timeout": 15, "socket_connect_timeout": 3}
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host]}}}


DEBUG = envbool("EMOPIC_DEBUG", "True")
SECRET_KEY = os.getenv("EMOPIC_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("EMOPIC_SECRET_KEY must be set when EMOPIC_DEBUG=False")
    SECRET_KEY = "dev-only-not-secret-emopic"
ALLOWED_HOSTS = envlist("EMOPIC_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("EMOPIC_CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "apps.core.views.csrf_failure"  # a page that says what happened, not Django's bare 403

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "apps.core",
    "apps.idphoto",
    "apps.emoticon",
    "apps.seasons",
    "apps.suit",
    "apps.composition",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.intake.ImageIntakeMiddleware",
    "apps.core.faults.StorageFaultMiddleware",
]

ROOT_URLCONF = "emopic.urls"
WSGI_APPLICATION = "emopic.wsgi.application"
ASGI_APPLICATION = "emopic.asgi.application"

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
                "apps.core.context_processors.tools",
                "apps.core.context_processors.privacy",
            ],
        },
    },
]

# The embedded default is SQLite beside the code; EMOPIC_POSTGRES_DB switches to PostgreSQL (psycopg 3),
# which several web processes and machines can share.
if os.getenv("EMOPIC_POSTGRES_DB"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["EMOPIC_POSTGRES_DB"],
            "USER": os.getenv("EMOPIC_POSTGRES_USER", ""),
            "PASSWORD": os.getenv("EMOPIC_POSTGRES_PASSWORD", ""),
            "HOST": os.getenv("EMOPIC_POSTGRES_HOST", ""),  # empty: the local Unix socket
            "PORT": os.getenv("EMOPIC_POSTGRES_PORT", ""),
            # Persistent connections, checked before reuse: a restarted server costs one retry, not an error.
            "CONN_MAX_AGE": envint("EMOPIC_POSTGRES_CONN_MAX_AGE", "60", minimum=0),
            "CONN_HEALTH_CHECKS": True,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.getenv("EMOPIC_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # A transaction takes the write lock when it begins, so a second process (a job worker, a second
            # server) waits for it up to the timeout instead of failing at once with "database is locked".
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }

# The embedded default keeps everything in one process; with several ASGI processes or machines,
# point EMOPIC_REDIS_URL at a Redis server.
if os.getenv("EMOPIC_REDIS_URL"):
    CHANNEL_LAYERS = redis_channel_layers(os.environ["EMOPIC_REDIS_URL"])
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Media: local disk by default; S3-compatible object storage when a bucket is named.
MEDIA_ROOT = Path(os.getenv("EMOPIC_MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if os.getenv("EMOPIC_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["EMOPIC_S3_BUCKET"],
            "endpoint_url": os.getenv("EMOPIC_S3_ENDPOINT_URL") or None,
            "region_name": os.getenv("EMOPIC_S3_REGION") or None,
            "access_key": os.getenv("EMOPIC_S3_ACCESS_KEY") or None,
            "secret_key": os.getenv("EMOPIC_S3_SECRET_KEY") or None,
            "querystring_auth": envbool("EMOPIC_S3_SIGNED_URLS", "True"),
            "file_overwrite": False,
        },
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Image intake limits. A base64 data URL is 4/3 the size of its image, and the
# whole request body must fit under Django's own memory cap.
EMOPIC_MAX_IMAGE_BYTES = envint("EMOPIC_MAX_IMAGE_BYTES", str(15 * 1024 * 1024))
EMOPIC_MAX_IMAGE_PIXELS = envint("EMOPIC_MAX_IMAGE_PIXELS", str(40_000_000))
EMOPIC_MIN_IMAGE_SIDE = envint("EMOPIC_MIN_IMAGE_SIDE", "64")
DATA_UPLOAD_MAX_MEMORY_SIZE = EMOPIC_MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = EMOPIC_MAX_IMAGE_BYTES + 64 * 1024

# The source system used 0.8 with an SSD detector; BlazeFace scores masked faces lower: at 0.8 it
# found 26% of the masked faces in the face-mask data set, at 0.5 88% (docs/models/emoticon.md).
EMOPIC_EMOTICON_MIN_FACE_CONFIDENCE = float(os.getenv("EMOPIC_EMOTICON_MIN_FACE_CONFIDENCE", "0.5"))

ML_MODELS_DIR = Path(os.getenv("EMOPIC_ML_MODELS_DIR", str(BASE_DIR / "ml_models")))
EMOPIC_WARMUP_MODELS = envbool("EMOPIC_WARMUP_MODELS", "False")
# Threads that run the live coach's models per process: one per core is enough (the models serialise).
EMOPIC_INFERENCE_THREADS = envint("EMOPIC_INFERENCE_THREADS", str(os.cpu_count() or 2))

SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30

# HTTPS and browser hardening, for production only: development and the tests (live server and
# WebSockets included) run with DEBUG on and over plain HTTP. `manage.py check --deploy` passes with the defaults.
if not DEBUG:
    # Behind a TLS-terminating proxy, name the header it sets (X-Forwarded-Proto) so that Django sees HTTPS
    # requests as secure. Only when the proxy overwrites that header on every request: else a client could fake it.
    if proxy_header := os.getenv("EMOPIC_SECURE_PROXY_SSL_HEADER", ""):
        if not re.fullmatch(r"[A-Za-z0-9-]+", proxy_header):
            raise ImproperlyConfigured(f"EMOPIC_SECURE_PROXY_SSL_HEADER={proxy_header} is not a header name")
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_header.upper().replace("-", "_"), "https")
    # False only where the proxy itself redirects HTTP to HTTPS (check --deploy then warns security.W008).
    SECURE_SSL_REDIRECT = envbool("EMOPIC_SECURE_SSL_REDIRECT", "True")
    # Browsers remember HSTS for this long: start lower (3600) when first switching a domain to HTTPS.
    # Subdomains and preloading commit the whole domain to HTTPS; turn them off if a subdomain is plain HTTP.
    SECURE_HSTS_SECONDS = envint("EMOPIC_HSTS_SECONDS", str(60 * 60 * 24 * 365), minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("EMOPIC_HSTS_INCLUDE_SUBDOMAINS", "True")
    SECURE_HSTS_PRELOAD = envbool("EMOPIC_HSTS_PRELOAD", "True")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Django's defaults, stated so that a later change of default cannot loosen them silently.
    X_FRAME_OPTIONS = "DENY"
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Privacy: creations (the uploaded photo and everything made from it) older than this are deleted
# by `manage.py purge_creations`, run daily. 0 keeps them.
EMOPIC_RETENTION_DAYS = envint("EMOPIC_RETENTION_DAYS", "30", minimum=0)

# Heavy generation (idphoto, emoticon, seasons, suit): "inline" runs it in the web request (the embedded
# default, no other service); "celery" queues it for Celery workers on a Redis broker, and the page or
# the API follows the job (docs/DEPLOY.md). The live coach and the light redraws always stay in the web process.
EMOPIC_JOBS = os.getenv("EMOPIC_JOBS", "inline")
if EMOPIC_JOBS not in ("inline", "celery"):
    raise ImproperlyConfigured(f"EMOPIC_JOBS must be inline or celery, not {EMOPIC_JOBS!r}")
# A job's attempt may run this long; after it (plus a margin) a running job whose worker died is run again,
# up to EMOPIC_JOB_MAX_ATTEMPTS attempts in all, then marked failed.
# Inline generations one web process runs at once (the others wait, up to the wait below, then get a 503
# "busy"): one per core keeps each request at full speed and memory bounded (docs/PERFORMANCE.md, load test).
EMOPIC_GENERATION_SLOTS = envint("EMOPIC_GENERATION_SLOTS", str(os.cpu_count() or 2), minimum=1)
EMOPIC_GENERATION_WAIT_SECONDS = envint("EMOPIC_GENERATION_WAIT_SECONDS", "60", minimum=1)
EMOPIC_JOB_TIME_LIMIT = envint("EMOPIC_JOB_TIME_LIMIT", "120", minimum=5)
EMOPIC_JOB_MAX_ATTEMPTS = envint("EMOPIC_JOB_MAX_ATTEMPTS", "3", minimum=1)
CELERY_BROKER_URL = os.getenv("EMOPIC_CELERY_BROKER_URL") or os.getenv("EMOPIC_REDIS_URL", "")
EMOPIC_JOB_QUEUE = os.getenv("EMOPIC_JOB_QUEUE", "emopic")
CELERY_TASK_DEFAULT_QUEUE = EMOPIC_JOB_QUEUE  # what `celery -A emopic worker` consumes unless told -Q
if EMOPIC_JOBS == "celery" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("EMOPIC_JOBS=celery needs EMOPIC_CELERY_BROKER_URL or EMOPIC_REDIS_URL")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # a job's state lives in its row (apps.core.models.Job), not a result backend
# Acknowledge a message only once its job has ended, and give it back if the worker dies: a killed worker's
# job is delivered again (after the visibility timeout) instead of being lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # jobs are seconds long: a worker takes one at a time
CELERY_TASK_TIME_LIMIT = EMOPIC_JOB_TIME_LIMIT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": EMOPIC_JOB_TIME_LIMIT * 2,
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
}
# With the broker down, a request is told so within about a second, not after Celery's long default retries.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.4}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# `celery -A emopic worker --beat` (one worker only) or a separate `celery -A emopic beat` runs this.
CELERY_BEAT_SCHEDULE = {"recover-stalled-jobs": {"task": "emopic.recover_stalled_jobs", "schedule": 60.0}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"apps": {"handlers": ["console"], "level": os.getenv("EMOPIC_LOG_LEVEL", "INFO")}},
}
