"""Persist settings: one module, configured from environment variables.

Development defaults are deliberately zero-setup (an embedded PostgreSQL under ``var/``);
production refuses to start without the secrets it needs (``DEBUG`` off and no ``SECRET_KEY`` is an
error, not a warning).
"""

import os
import urllib.parse
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


# A checkout without DATABASE_URL is the zero-setup local app: development mode unless
# told otherwise, so `python manage.py …` works there without any environment. A deployment sets
# DATABASE_URL, so DEBUG defaults to off and a missing SECRET_KEY stops it (fail fast).
DEBUG = env_bool("DEBUG", not os.environ.get("DATABASE_URL"))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY (e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`) or DEBUG=true."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Where the embedded database and other local state live.
VAR_DIR = Path(os.environ.get("PERSIST_VAR_DIR", BASE_DIR / "var"))

INSTALLED_APPS = [
    # django.contrib.admin with config.admin_site.PersistAdminSite as admin.site.
    "config.apps.PersistAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_q",
    "anymail",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Drag-and-drop stage order in the pipeline admin (its static files and inline template).
    "adminsortable2",
    # Layered, lowest first: each app imports only from the apps listed before it (the
    # contract is [tool.importlinter] in pyproject.toml; docs/design.md explains the layers).
    "accounts",
    "audit",
    "twofactor",
    # Optional OpenID Connect sign-in (docs/operations.md, "Single sign-on").
    "sso",
    "hiring",
    "candidates",
    "followups",
    "silence",
    "scoring",
    "dashboards",
    "privacy",
    # Fairness evidence: bias audit, validity, voluntary self-identification (docs/evidence.md).
    "evidence",
    # Outbound webhooks and the Slack / Teams digest (docs/operations.md, "Integrations").
    "integrations",
    # Decisions from the home page: email templates, scheduled emails, bulk actions.
    "decisions",
    # The REST API (/api/v1/, docs/api.md), above every app whose selectors and actions it calls.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    # Development data (the seed_demo and seed_scale commands); the product never imports it.
    "devdata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # user.is_verified(): has this session passed the second sign-in step (django-otp)?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "hiring.middleware.UserTimezoneMiddleware",
    # After the time zone middleware, which caches the user's roles for it.
    "twofactor.middleware.SecondFactorMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.roles",
            ],
        },
    },
]

# Without DATABASE_URL: the embedded PostgreSQL server that `make run` starts under var/postgres
# (scripts/embedded_postgres.py), reached through its Unix socket. PostgreSQL is the only engine:
# the product's set-based SQL (locks, SKIP LOCKED, jsonb) is written for it.
DATABASE_URL = os.environ.get("DATABASE_URL") or (
    f"postgres://postgres@{urllib.parse.quote(str(VAR_DIR / 'postgres'), safe='')}/persist"
)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
# The pages' compiled access-and-version queries (hiring.sql.compiled_execute) run prepared,
# planned once per connection; Django's own queries never are (they bind on the client). Turn
# off behind a transaction-pooling PgBouncer older than 1.21, which cannot keep a prepared
# statement with the session that made it.
if env_bool("DB_PREPARED_STATEMENTS", True):
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(f"Persist runs on PostgreSQL only; DATABASE_URL is {DATABASE_URL!r}")
# PostgreSQL's JIT compiles any plan estimated above jit_above_cost. The app's statements are
# index-driven and short, but correlated EXISTS (the silence outcome rule) and batch reads are
# estimated far above what they cost, so the compilation (50-70 ms) took longer than the
# statement: 60 % of the bulk rescore's outcome UPDATE (docs/performance.md, "Bulk rescore").
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = f"{_db_options.get('options', '')} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    # Sessions are read on every signed-in request: served from the shared Redis cache and
    # written through to the database, so a restart of Redis signs nobody out. Only with a
    # shared cache: each process's own memory would keep a signed-out session alive elsewhere.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes checks every sign-in for a lockout before Django checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Signs nobody in unless the OIDC_* settings below are set.
    "sso.backends.PersistOIDCBackend",
]
# Sign-in lockout (django-axes): after AXES_FAILURE_LIMIT failed attempts the same username from
# the same address is refused for AXES_COOLOFF_MINUTES. Locking the username+address pair, not
# the username alone, means an attacker who knows a username cannot lock its owner out from
# everywhere; locking the pair, not the address alone, keeps one office's shared NAT address
# from locking out every colleague after one person's typos.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A successful sign-in forgets that pair's earlier typos.
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Sign-ins are in the audit log (audit app); axes' own success log would duplicate it.
AXES_DISABLE_ACCESS_LOG = True
# No start-up banner on stderr: `ingest_email` runs under an MTA, which reports stderr as the
# delivery's diagnostic, and lockouts are in the audit log anyway.
AXES_VERBOSE = False
# The client address: REMOTE_ADDR unless TRUSTED_PROXY_COUNT reverse proxies that append to
# X-Forwarded-For stand in front of the app. Without it a client-sent X-Forwarded-For is ignored,
# so nobody can dodge the lockout by inventing addresses. With N proxies the client is the N-th
# entry from the right (the address our outermost proxy saw); entries further left are whatever
# the client sent. django-ipware counts only the proxies listed after the client (the last proxy
# is REMOTE_ADDR, not in the header), hence N - 1, and its non-strict mode takes that entry even
# when a client prepended fake ones.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0 or AXES_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT must be 0 or more, AXES_FAILURE_LIMIT 1 or more."
    )
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    AXES_IPWARE_PROXY_ORDER = "left-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Two-step sign-in for admins and staff (twofactor app, django-otp). Each wrong code doubles the
# wait before the next one is checked: FACTOR seconds after the first, then 2x, 4x … (after 10
# wrong codes in a row the next waits over 8 minutes). It cannot be switched off.
OTP_TOTP_THROTTLE_FACTOR = env_int("OTP_THROTTLE_FACTOR", 1)
OTP_RECOVERY_THROTTLE_FACTOR = OTP_TOTP_THROTTLE_FACTOR
if OTP_TOTP_THROTTLE_FACTOR < 1:
    raise ImproperlyConfigured("OTP_THROTTLE_FACTOR must be 1 or more: wrong codes are throttled.")
# The account name authenticator apps show next to the code.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Persist")
# The Django admin never shows an authenticator's secret key or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Single sign-on through an OpenID Connect provider (sso app, mozilla-django-oidc): on when the
# client and the provider's endpoints are set (`python manage.py sso_discover ISSUER` prints
# them from the provider's discovery document). The provider vouches for an email address;
# the account with that address must already exist in Persist, which grants the roles, and
# admins still pass Persist's own second step.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email"
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_TIMEOUT = 10
OIDC_REQUIRE_VERIFIED_EMAIL = env_bool("OIDC_REQUIRE_VERIFIED_EMAIL", True)
# mozilla-django-oidc's name for where a failed single sign-on lands.
LOGIN_REDIRECT_URL_FAILURE = "/login/"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "hiring:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# The server clock and the database are UTC; every user sees their own zone (UserProfile).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Serve static files straight from the apps (no collectstatic) in development and tests.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "persist@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# Replies to email sent from the app go to reply+<token>@REPLY_DOMAIN (routed to the capture
# mailbox or an ESP inbound webhook) and are matched to the application precisely.
REPLY_DOMAIN = os.environ.get("REPLY_DOMAIN", "persist.example").lower()
# Mail from these domains (and from any user's address) is the team's own, never persistence.
TEAM_EMAIL_DOMAINS = frozenset(d.lower() for d in env_list("TEAM_EMAIL_DOMAINS", []))

# ESP inbound webhooks (/webhooks/email/<mailgun|sendgrid|postmark>/) through django-anymail.
# Refused until a secret is set: the ESP must send it as HTTP basic auth (user:password).
ANYMAIL = {
    "WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET", ""),
    "MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", ""),
}

# The one size limit for an inbound email, on every path (MTA pipe, IMAP, ESP webhooks): about
# what common mail providers accept (Gmail and Outlook send 25 MB), so a CV attachment gets
# through. A larger message is refused everywhere alike and leaves a record (its header only).
MAX_EMAIL_BYTES = env_int("MAX_EMAIL_BYTES", 25 * 1024 * 1024)
# ESPs post the message as form data or JSON (attachments base64-encoded: 4/3, plus text and HTML
# copies of the body), so their endpoints accept this much; every other page keeps Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE default (2.5 MB).
EMAIL_WEBHOOK_MAX_BODY_BYTES = MAX_EMAIL_BYTES * 2 + 1024 * 1024
# A CV on an application (PDF or DOCX): the one size limit of an upload, checked before the
# body is read. Files live in the default storage under MEDIA_ROOT, never served directly:
# only through the application's download view, which checks who may see them.
CV_MAX_BYTES = env_int("CV_MAX_BYTES", 10 * 1024 * 1024)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"

# Mailgun signs timestamp + token: a signature older (or further ahead) than this is refused,
# and a token is accepted again only with the same content (a retry), never a different one.
MAILGUN_WEBHOOK_MAX_AGE_SECONDS = env_int("MAILGUN_WEBHOOK_MAX_AGE_SECONDS", 300)

# The REST API (api app, docs/api.md). Every request authenticates with a personal token or
# the browser session (CSRF-checked); each token gets API_RATE_LIMIT requests, counted in the
# cache (set REDIS_URL when running several web processes, or each counts on its own).
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120/minute")
# A JSON body larger than this is refused with 413 (the largest valid request is ~6 KB).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.PersonalTokenAuthentication",
        "api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Persist API",
    "DESCRIPTION": "Requisitions, applications, rankings and candidates you may see; contacts, "
    "stage moves and silence-test announcements. Authenticate with a personal token "
    "(Authorization: Bearer pst_…) made on your settings page. Errors are RFC 9457 problem "
    "details; lists use cursor pagination.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema, like every endpoint, for signed-in users and tokens only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from our own static files (CSP: no CDN, no inline script).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Calls and texts: an inbound call or text within this many hours after the team's outbound
# contact answers it (prompted); later ones are the candidate's own initiative.
CALLBACK_WINDOW_HOURS = env_int("CALLBACK_WINDOW_HOURS", 24)
# Twilio webhooks (/webhooks/twilio/sms/ and /webhooks/twilio/voice-status/) are refused until
# the auth token is set. Signatures are computed over the public URL Twilio called: set
# PUBLIC_BASE_URL (e.g. https://persist.example.com) when behind a proxy.
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")

# Dialer webhooks, refused (503) until their secret is set: Aircall's webhook token (sent in
# the body of every event) and the secret of a Dialpad call-event subscription (events arrive
# as JWTs signed HS256 with it).
AIRCALL_WEBHOOK_TOKEN = os.environ.get("AIRCALL_WEBHOOK_TOKEN", "")
DIALPAD_WEBHOOK_SECRET = os.environ.get("DIALPAD_WEBHOOK_SECRET", "")

# Outbound webhooks (integrations app): each attempt's connect/read timeout, and whether an
# endpoint may resolve to a private, loopback or reserved address (off: an admin-set URL must
# not reach the internal network; on only for tests or an intranet receiver on purpose).
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)

# The capture mailbox polled every minute (leave IMAP_HOST empty to disable polling).
IMAP_HOST = os.environ.get("IMAP_HOST", "")
IMAP_PORT = env_int("IMAP_PORT", 993)
IMAP_SSL = env_bool("IMAP_SSL", True)
IMAP_USER = os.environ.get("IMAP_USER", "")
IMAP_PASSWORD = os.environ.get("IMAP_PASSWORD", "")
IMAP_FOLDER = os.environ.get("IMAP_FOLDER", "INBOX")
if IMAP_HOST and not (IMAP_USER and IMAP_PASSWORD):
    raise ImproperlyConfigured("IMAP_HOST is set: IMAP_USER and IMAP_PASSWORD are required too.")

# Evidence (docs/evidence.md). Requisitions in these countries (EU, EEA and UK: GDPR Art. 22)
# are never rejected by the silence test alone: the sweeper only recommends, and a rejection
# there records the person who decided.
HUMAN_REVIEW_COUNTRIES = frozenset(
    c.upper()
    for c in env_list(
        "HUMAN_REVIEW_COUNTRIES",
        # EU 27, then the EEA's Iceland, Liechtenstein and Norway, then the UK.
        [
            *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU"),
            *("IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES"),
            *("SE", "IS", "LI", "NO", "GB"),
        ],
    )
)
# How long the link to the voluntary self-identification page stays valid.
SELF_ID_LINK_MAX_AGE_DAYS = env_int("SELF_ID_LINK_MAX_AGE_DAYS", 30)

# Absolute base URL used in links inside emails (digests) sent outside a request.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# django-q2 on its ORM broker: at-least-once delivery with row locks, so several qcluster
# processes on several machines can share PostgreSQL. timeout < retry, otherwise a task that is
# still running would be handed to a second worker.
Q_CLUSTER = {
    "name": "persist",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 240),
    "retry": env_int("Q_RETRY", 300),
    "max_attempts": 3,
    "catch_up": False,
    "time_zone": "UTC",
    "save_limit": 500,
    "ack_failures": True,
    "poll": 1,
    "label": "Background tasks",
}

# Production hardening (all on unless DEBUG).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# htmx sends the token from the page (hx-headers), so no script ever needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True
# A refused form gets the site's 403 page (a way back), not Django's bare one.
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): only this origin's scripts and styles, no inline code —
# a candidate's email can never run anything even if sanitising failed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own handler would print every record a second time next to the root handler.
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
