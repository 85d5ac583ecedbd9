"""Production settings: `check --deploy` is clean and a missing secret stops the app."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.db import connection

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "STATIC_"))}
    env.pop("WHITENOISE_USE_FINDERS", None)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="persist.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {"DEBUG": "false", "SECRET_KEY": ""}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_a_bare_checkout_runs_management_commands_without_any_environment(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"} and not k.startswith("SECURE_")
    }
    env["PERSIST_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_session_and_csrf_cookies_are_secure_http_only_and_same_site(client):
    user = UserFactory(hiring_manager=True)
    login_page = client.get("/login/")
    csrf = login_page.cookies["csrftoken"]
    response = client.post(
        "/login/",
        {
            "username": user.username,
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": csrf.value,
        },
        secure=True,
    )
    assert response.status_code == 302
    for cookie in (csrf, response.cookies["sessionid"]):
        assert cookie["secure"] is True, cookie.key
        assert cookie["httponly"] is True, cookie.key
        assert cookie["samesite"] == "Lax", cookie.key
    # HSTS is sent over HTTPS (the proxy's X-Forwarded-Proto says so behind one).
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_with_redis_url_the_cache_and_sessions_use_the_shared_redis():
    # Redis runs on 127.0.0.1:6379 on every machine of this project (as PostgreSQL does).
    script = (
        "from django.conf import settings; from django.core.cache import cache; "
        "from django.contrib.sessions.backends.cached_db import SessionStore; "
        "cache.set('persist-redis-check', 42); s = SessionStore(); s['k'] = 'v'; s.create(); "
        "print(settings.SESSION_ENGINE, cache.get('persist-redis-check'), "
        "cache.get(s.cache_key) is not None); s.delete()"
    )
    db = connection.settings_dict
    result = _manage(
        "shell",
        "-c",
        script,
        REDIS_URL="redis://127.0.0.1:6379/15",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "django.contrib.sessions.backends.cached_db",
        "42",
        "True",
    ]
