"""Production settings: `manage.py check --deploy` is clean, and a missing or bad setting stops the start.

Settings are read once per process, so each case runs manage.py in a subprocess with its own environment.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys

from django.conf import settings
from django.core.management.utils import get_random_secret_key

PRODUCTION = {
    "EMOPIC_DEBUG": "False",
    "EMOPIC_SECRET_KEY": get_random_secret_key(),  # 50 random characters
    "EMOPIC_ALLOWED_HOSTS": "emopic.example",
}
HARDENING = ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
             "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")  # fmt: skip


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # The test run's environment without its EMOPIC_ and DJANGO_ variables, so only ``env`` configures the site
    # (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly warns about).
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("EMOPIC_", "DJANGO_"))}
    clean["DJANGO_SETTINGS_MODULE"] = "emopic.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env={**clean, **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def settings_in(env: dict[str, str], *names: str) -> dict[str, object]:
    """The values of the settings ``names`` in a process started with ``env``."""
    code = f"from django.conf import settings as s; print({{n: getattr(s, n) for n in {names!r}}})"
    result = manage("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])


def test_check_deploy_passes_with_the_production_defaults():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_passes_behind_a_tls_proxy():
    env = {**PRODUCTION, "EMOPIC_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stderr
    assert settings_in(env, "SECURE_PROXY_SSL_HEADER") == {
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")
    }


def test_production_refuses_to_start_without_a_secret_key():
    env = {name: value for name, value in PRODUCTION.items() if name != "EMOPIC_SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "EMOPIC_SECRET_KEY" in result.stderr


def test_production_turns_on_https_hsts_and_secure_cookies():
    assert settings_in(PRODUCTION, *HARDENING) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }


def test_the_hsts_and_redirect_settings_follow_the_environment():
    env = {**PRODUCTION, "EMOPIC_HSTS_SECONDS": "3600", "EMOPIC_HSTS_INCLUDE_SUBDOMAINS": "False",
           "EMOPIC_HSTS_PRELOAD": "False", "EMOPIC_SECURE_SSL_REDIRECT": "False"}  # fmt: skip
    assert settings_in(env, *HARDENING[:4]) == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
    }


def test_development_keeps_plain_http():
    """The dev server, the tests' live server and their WebSockets run over plain HTTP."""
    assert settings_in({}, "DEBUG", *HARDENING) == {
        "DEBUG": True,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
    }


def test_bad_values_stop_the_start():
    for env in (
        {"EMOPIC_HSTS_SECONDS": "a year"},
        {"EMOPIC_HSTS_SECONDS": "-1"},
        {"EMOPIC_SECURE_SSL_REDIRECT": "yes"},
        {"EMOPIC_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"},
        {"EMOPIC_RETENTION_DAYS": "-1"},
    ):
        result = manage("check", **env, **PRODUCTION)
        assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr, env
