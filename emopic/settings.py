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


DEBUG = envbool("EMOPIC_DEBUG", "True")
SECRET_KEY = os.getenv("EMOPIC_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("EMOPIC_SECRET_KEY must be set when EMOPIC_DEBUG=False")
    SECRET_KEY = "dev-only-not-secret-emopic"
ALLOWED_HOSTS = envlist("EMOPIC_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("EMOPIC_CSRF_TRUSTED_ORIGINS", "")

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
        }
    }

# The embedded default keeps everything in one process; with several ASGI processes or machines,
# point EMOPIC_REDIS_URL at a Redis server.
if os.getenv("EMOPIC_REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["EMOPIC_REDIS_URL"]]},
        }
    }
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"apps": {"handlers": ["console"], "level": os.getenv("EMOPIC_LOG_LEVEL", "INFO")}},
}
