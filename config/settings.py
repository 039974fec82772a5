"""Settings from the environment (twelve-factor).

With nothing set, the app runs embedded: SQLite, tasks in-process, plain HTTP, DEBUG off.
`DJANGO_ENV=production` switches on HTTPS and refuses insecure defaults, SQLite and a missing
REDIS_URL (the last two only with `ALLOW_EMBEDDED_IN_PRODUCTION=1`).
"""

from datetime import timedelta
from pathlib import Path

import environ
import plotly
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
# An installed copy carries templates, static files and catalogues inside config/ (see setup.py);
# a source checkout has them at its top.
_PACKAGED = Path(__file__).resolve().parent
ASSETS_DIR = _PACKAGED if (_PACKAGED / "templates").is_dir() else BASE_DIR
DEFAULT_SECRET_KEY = "insecure-embedded-default-change-me"

env = environ.Env()
PRODUCTION = env.str("DJANGO_ENV", default="") == "production"
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY == DEFAULT_SECRET_KEY:
        raise ImproperlyConfigured("DJANGO_ENV=production needs a SECRET_KEY of its own.")
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_ENV=production refuses DEBUG=1.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ENV=production needs ALLOWED_HOSTS.")
    if not env.list("CONNECTOR_SECRET_KEYS", default=[]):
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs CONNECTOR_SECRET_KEYS (Fernet keys for connector secrets)."
        )
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "core",
    "accounts",
    "indicators",
    "surveys",
    "cpi",
    "outcomes",
    "scorecard",
    "connectors",
    "dashboard",
]

MIDDLEWARE = [
    "config.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.OrganisationMiddleware",
    "accounts.language.OrganisationLanguageMiddleware",
    "core.middleware.NotFoundMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ASSETS_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.organisation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the embedded server read while a recompute writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish")), ("fi", _("Finnish"))]
LOCALE_PATHS = [ASSETS_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Stockholm")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# plotly.min.js is served from the installed plotly package (no CDN): static/plotly/plotly.min.js.
STATICFILES_DIRS = [
    ASSETS_DIR / "static",
    ("plotly", Path(plotly.__file__).resolve().parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Mail: the console in the embedded default; production sets EMAIL_URL (smtp://user:pass@host:587).
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Outcome Chain <noreply@localhost>")
# Links in mails and webhook payloads start with this (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Outbound webhooks: a 5 s timeout per POST; a failed attempt is retried after base x 2^(n-1)
# seconds (at most the max) until WEBHOOK_MAX_ATTEMPTS; a delivery never attempted for
# WEBHOOK_SWEEP_AFTER_SECONDS (a lost message) is sent by the periodic sweep.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=3600)
WEBHOOK_SWEEP_AFTER_SECONDS = env.int("WEBHOOK_SWEEP_AFTER_SECONDS", default=600)
# Without a broker (the embedded mode) attempts run inside the request, back to back: at most this
# many per run, so a receiver that times out holds a push up for 3 x the timeout, not 8 x.
WEBHOOK_IN_PROCESS_ATTEMPTS = env.int("WEBHOOK_IN_PROCESS_ATTEMPTS", default=3)

REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300, "socket_connect_timeout": 2}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# Workers keep the root logger of LOGGING (config/celery.py replaces Celery's logging set-up).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat reads its schedule from the database (django-celery-beat), so a connector's schedule
# changes without a restart; the entries below are written there when beat starts.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "refresh-evidence": {
        "task": "cpi.tasks.refresh_evidence",
        "schedule": crontab(minute=23),
    },
    "refresh-chain-statuses": {
        "task": "outcomes.tasks.refresh_chain_statuses",
        "schedule": crontab(minute=17),
    },
    "refresh-scorecard-scores": {
        "task": "scorecard.tasks.refresh_scores",
        "schedule": crontab(minute=29),
    },
    "sweep-dirty-period-values": {
        "task": "indicators.tasks.sweep_dirty",
        "schedule": crontab(minute="*"),
    },
    "send-notifications": {
        "task": "indicators.tasks.send_notifications",
        "schedule": crontab(minute="*/5"),
    },
    "notify-deviations": {
        "task": "indicators.tasks.notify_deviations",
        "schedule": crontab(minute="*"),
    },
    "sweep-webhook-deliveries": {
        "task": "indicators.tasks.sweep_webhook_deliveries",
        "schedule": crontab(minute="*/5"),
    },
    "send-daily-digests": {
        "task": "indicators.tasks.send_daily_digests",
        "schedule": crontab(minute=0, hour=7),
    },
    "sweep-idempotency-records": {
        "task": "core.tasks.sweep_idempotency_records",
        "schedule": crontab(minute=7),
    },
    "remind-stale-indicators": {
        "task": "indicators.tasks.remind_stale_indicators",
        "schedule": crontab(minute=30, hour=6),
    },
}

# Production runs on PostgreSQL with a Celery worker: on SQLite, or without a broker (tasks then run
# inside the web request that enqueued them), it refuses to start unless the operator opts in.
ALLOW_EMBEDDED_IN_PRODUCTION = env.bool("ALLOW_EMBEDDED_IN_PRODUCTION", default=False)
if PRODUCTION and not ALLOW_EMBEDDED_IN_PRODUCTION:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured(
            "DJANGO_ENV=production refuses SQLite: set DATABASE_URL to a PostgreSQL database "
            "(or ALLOW_EMBEDDED_IN_PRODUCTION=1 to run on SQLite anyway)."
        )
    if not REDIS_URL:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs REDIS_URL, or background tasks run inside web requests "
            "(set ALLOW_EMBEDDED_IN_PRODUCTION=1 to run them in-process anyway)."
        )

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsOrganisationMember"],
    # JSON in and out only: form and multipart bodies answer 415, and no error is an HTML page.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "core.api.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Outcome Chain API",
    "DESCRIPTION": (
        "API contract v1: indicators, measurements, period values and deviations. Machine "
        "clients send `Authorization: Api-Key <key>`; browsers use their session. Every error "
        'answers `{"errors": [{"index", "field", "message"}]}`. The reference is docs/api.md.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API takes JSON bodies only (form and multipart answer 415), so the schema offers no other.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Separate request and response components: generated clients then never send read-only fields.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "IndicatorKindEnum": "indicators.models.Kind",
        "DeviationKindEnum": "indicators.models.DeviationKind",
        # Deviations had `state` to themselves; with initiatives' `state` both need a name.
        "StateEnum": "indicators.models.DeviationState",
        "InitiativeStateEnum": "outcomes.models.InitiativeState",
        # Hypotheses have a `status` and `status_source` of their own, beside the chain nodes'.
        "NodeStatusEnum": "outcomes.models.NodeStatus",
        "NodeStatusSourceEnum": "outcomes.models.StatusSource",
        "HypothesisStatusEnum": "cpi.models.HypothesisStatus",
        "HypothesisStatusSourceEnum": "cpi.models.StatusSource",
        # A hypothesis's `expected_sign` and an experiment's `expected_effect` share one set.
        "SignEnum": "cpi.models.Sign",
        # Scorecards: a measure's `layer` and the maturity's `next_layer` share one set, as an
        # indicator's and a measure's `evidence` do; a perspective's `kind` is its own.
        "LayerEnum": "indicators.models.Layer",
        "EvidenceEnum": "indicators.models.Evidence",
        "PerspectiveKindEnum": "scorecard.models.PerspectiveKind",
        "ScorecardPartEnum": "scorecard.models.Part",
        # Surveys: a survey's `kind` and a question's `type` are their own sets.
        "SurveyKindEnum": "surveys.models.SurveyKind",
        "QuestionTypeEnum": "surveys.models.QuestionType",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

INGEST_MAX_ITEMS = 10_000
RECOMPUTE_CLAIM_SECONDS = env.int("RECOMPUTE_CLAIM_SECONDS", default=120)
IDEMPOTENCY_TTL = timedelta(hours=24)
DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024

# Connectors (connectors/): secrets are encrypted with the first of CONNECTOR_SECRET_KEYS (Fernet
# keys, comma-separated; every one decrypts, for rotation); without them (embedded mode) a key is
# derived from SECRET_KEY. A run holds its connector's lease for at most CONNECTOR_LEASE_SECONDS;
# an attempt whose source was unreachable is retried after base x 2^(n-1) seconds until
# CONNECTOR_MAX_ATTEMPTS. A SQL pull's statement may run CONNECTOR_STATEMENT_TIMEOUT_SECONDS.
CONNECTOR_SECRET_KEYS = env.list("CONNECTOR_SECRET_KEYS", default=[])
CONNECTOR_LEASE_SECONDS = env.int("CONNECTOR_LEASE_SECONDS", default=3600)
CONNECTOR_RETRY_BASE_SECONDS = env.int("CONNECTOR_RETRY_BASE_SECONDS", default=60)
CONNECTOR_MAX_ATTEMPTS = env.int("CONNECTOR_MAX_ATTEMPTS", default=4)
CONNECTOR_STATEMENT_TIMEOUT_SECONDS = env.int("CONNECTOR_STATEMENT_TIMEOUT_SECONDS", default=300)
CONNECTOR_HTTP_TIMEOUT_SECONDS = env.float("CONNECTOR_HTTP_TIMEOUT_SECONDS", default=30.0)
# Hosts a SQL pull's DSN may not name (comma-separated; compared without case, every name of this
# machine, localhost, 127.0.0.1, ::1, as one): production lists its internal network's names. The
# app's own database is refused whatever this says.
CONNECTOR_SQL_DENIED_HOSTS = env.list("CONNECTOR_SQL_DENIED_HOSTS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.logging.RequestIdFilter"},
        # /hooks/<token>/ is a credential: Django logs the path of every 4xx and 5xx.
        "webhook_tokens": {"()": "config.logging.WebhookTokenFilter"},
    },
    "formatters": {
        "line": {
            "format": "%(asctime)s level=%(levelname)s logger=%(name)s "
            "request_id=%(request_id)s %(message)s"
        },
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["request_id", "webhook_tokens"],
        },
        # runserver's request lines, as Django writes them (naming the logger here replaces
        # Django's own handler), with the tokens masked.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["webhook_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": "WARNING"},
        # On the logger as well: its records also reach Django's own handlers (mail_admins).
        "django.request": {"filters": ["webhook_tokens"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["webhook_tokens"],
        },
    },
}

# Publishing must not hang a push when Redis is down: the dirty marks are already committed.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
FORMAT_MODULE_PATH = ["config.formats"]
