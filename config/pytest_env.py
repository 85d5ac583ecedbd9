"""Loaded by pytest (``-p config.pytest_env``) before Django is configured.

The suite runs with production-like settings (DEBUG off), a throwaway key and PostgreSQL, so a
plain ``pytest`` behaves like ``make test``.
"""

import os

os.environ.setdefault("SECRET_KEY", "insecure-test-only-secret-key-not-for-production")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/persist")
os.environ.setdefault("DEBUG", "false")
# Tests must never try to redirect the test client to https.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Static files come from the source tree: no collectstatic step before the suite.
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("WHITENOISE_USE_FINDERS", "true")
