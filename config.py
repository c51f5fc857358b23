"""Configuration classes; ``CASEAPP_*`` environment variables override them.

``CASEAPP_ENV`` picks the class (development, testing, production). Every other
``CASEAPP_<NAME>`` variable overrides the setting ``<NAME>``, with three friendlier
spellings: ``CASEAPP_DATABASE_URL``, ``CASEAPP_SECRET_KEY`` and ``CASEAPP_UPLOAD_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET_KEY = "dev-only-insecure-secret-key"

# Friendly variable names that map onto Flask / Flask-SQLAlchemy setting names.
# CASEAPP_* variables that are read elsewhere (the test suite, scripts/with-postgres).
NOT_SETTINGS = frozenset({"CASEAPP_ENV", "CASEAPP_TEST_DATABASE_URL", "CASEAPP_PG_ADMIN_URL",
                          "CASEAPP_REQUIRE_BROWSER"})

ENV_ALIASES = {
    "CASEAPP_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
}


class Config:
    SECRET_KEY = DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'caseapp.sqlite3'}"
    # hide_parameters: database errors must not carry client data (passport numbers) to logs.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    UPLOAD_DIR = str(INSTANCE_DIR / "uploads")
    MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    # The request body may carry a little form overhead on top of the file itself.
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 256 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a consultant keeps a form open through a working day

    # argon2id cost; argon2-cffi's defaults (RFC 9106 low-memory profile).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    # Retry-After (and X-RateLimit-*) on responses, so an API client knows when to retry.
    RATELIMIT_HEADERS_ENABLED = True
    # A burst guard per address on the login form (per process); the throttles below are the
    # real ones, counted in the database across processes (services.signins).
    LOGIN_RATE_LIMIT = "30 per minute"
    # An account (the email typed) is locked for LOGIN_LOCK_MINUTES after this many failures
    # within LOGIN_FAILURE_WINDOW_MINUTES with no success between; an address likewise, set
    # higher because an office signs in from behind one address. 0 turns one off.
    LOGIN_ACCOUNT_MAX_FAILURES = 5
    LOGIN_ADDRESS_MAX_FAILURES = 50
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_LOCK_MINUTES = 15
    # A session with no request for this long ends (0: never).
    SESSION_IDLE_MINUTES = 8 * 60
    # Calendar clients polling a consultant's feed (per address).
    CALENDAR_FEED_RATE_LIMIT = "60 per minute"

    # Response headers (web.security). HSTS only where the site is served over https.
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    )
    HSTS_SECONDS = 0
    # Static files are addressed with a digest of their content (?v=...), so a browser may
    # keep them for a year: a changed file has a new address.
    STATIC_MAX_AGE_SECONDS = 365 * 24 * 3600

    # The JSON API (caseapp/api): flask-smorest's settings, then ours.
    API_TITLE = "caseapp API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # Shared by every API route: per token (or per address without one), and per address.
    API_RATE_LIMIT_PER_TOKEN = "600 per minute"
    API_RATE_LIMIT_PER_ADDRESS = "1200 per minute"
    # A personal API token works for at most this many days.
    API_TOKEN_MAX_DAYS = 365

    # Business dates (today, "not in the future") are in this zone, whatever the server's.
    TIMEZONE = "Asia/Hong_Kong"
    # A phone number typed without "+" and a country code is read as a number of this region.
    PHONE_DEFAULT_REGION = "HK"
    CASES_PER_PAGE = 50
    # How many reverse proxies in front of the app set X-Forwarded-*; 0 trusts none.
    TRUSTED_PROXIES = 0
    # Submitting needs an eligible check run at most this many days old.
    SUBMISSION_CHECK_MAX_AGE_DAYS = 7
    STALE_CASE_DAYS = 14
    # Deposit evidence is verified or rejected by someone other than whoever recorded or last
    # edited it; a one-person consultancy sets CASEAPP_DEPOSIT_FOUR_EYES=0.
    DEPOSIT_FOUR_EYES = True
    # A recorded rate further than this (percent, either way) from the reference rate stands
    # only with a manager's confirmation. Text, read as a Decimal.
    DEPOSIT_RATE_TOLERANCE_PERCENT = "2"

    # A case note's author may edit it for this many minutes; after that it stands as written.
    NOTE_EDIT_MINUTES = 15

    # The daily e-mail digest (flask --app caseapp reminders send) and its SMTP server.
    # SMTP_STARTTLS upgrades a plain connection (port 587); port 465 is implicit TLS (SMTPS);
    # SMTP_USER set means log in with it and SMTP_PASSWORD. SMTP_TIMEOUT_SECONDS bounds each
    # connection's wait.
    SMTP_HOST = "localhost"
    SMTP_PORT = 25
    SMTP_STARTTLS = False
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    SMTP_FROM = "caseapp@localhost"
    SMTP_TIMEOUT_SECONDS = 30
    # A digest that fails is retried at the next run after DIGEST_RETRY_BASE_SECONDS, then
    # twice as long each time (at most an hour); after DIGEST_MAX_ATTEMPTS it is given up.
    DIGEST_MAX_ATTEMPTS = 5
    DIGEST_RETRY_BASE_SECONDS = 60
    # The address the site is reached at from outside (https://cases.example.com), for links
    # in e-mails; None: the digest carries no links.
    BASE_URL: str | None = None

    # QMAS rule-set overrides; None keeps the value of the packaged rule set.
    RULE_SET_VERSION: str | None = None
    DEPOSIT_SINGLE_HKD: str | None = None
    DEPOSIT_FAMILY_HKD: str | None = None
    DEPOSIT_FRESHNESS_MONTHS: int | None = None
    PASSPORT_WARNING_MONTHS: int | None = None


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SECRET_KEY = "testing-secret-key"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024  # cheap hashing keeps the suite fast; the scheme is the same
    # Most tests were written against the 2006 points table and pin it; the tests of the
    # choice by lodging date (and of the 2024 criteria) unset or change this.
    RULE_SET_VERSION: str | None = "qmas-2006-165"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_SECONDS = 365 * 24 * 3600
    # Addresses made outside a request (the digests' links) are https, as the site is.
    PREFERRED_URL_SCHEME = "https"
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {
        "pool_pre_ping": True, "pool_size": 10, "hide_parameters": True
    }


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _coerce(current: Any, raw: str) -> Any:
    """Give an environment string the type of the setting it overrides."""
    if isinstance(current, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(raw)
    return raw


def load_config(name: str | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The settings for ``name`` (or ``CASEAPP_ENV``) with environment overrides applied."""
    env = os.environ if environ is None else environ
    name = name or env.get("CASEAPP_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"CASEAPP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    cls = CONFIGS[name]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    settings["CASEAPP_ENV"] = name
    for var, raw in env.items():
        if not var.startswith("CASEAPP_") or var in NOT_SETTINGS:
            continue
        key = ENV_ALIASES.get(var, var.removeprefix("CASEAPP_"))
        settings[key] = _coerce(settings.get(key), raw)
    if name == "production":
        check_production(settings)
    return settings


def check_production(settings: dict[str, Any]) -> None:
    """Production refuses to start on the development key or a short one."""
    key = settings.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise RuntimeError(
            "Refusing to start in production without a real secret key: set CASEAPP_SECRET_KEY "
            "to a random string of at least 32 characters (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')."
        )
