"""Regard's settings, read from the environment (DESIGN.md, "Configuration").

Embedded defaults (SQLite, kombu's filesystem broker, console email) need no server;
production secrets have no default, so a missing one fails loudly at start.
"""

from decimal import Decimal
from pathlib import Path

import django_stubs_ext
import environ
from celery.schedules import crontab
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

# Lets admin and other Django generics take type parameters at run time (django-stubs).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="development-only-key-never-in-production")
else:
    try:
        SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    except ImproperlyConfigured as missing:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is false."
        ) from missing

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "config.apps.RegardAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_countries",
    # Regard's own apps, lowest layer first (DESIGN.md, the dependency rule).
    "outbox",
    "workshops",
    "billing",
    "enrollments",
    "inquiries",
    "organizations",
    "surveys",
    "certificates",
    "integrations",
]

MIDDLEWARE = [
    "config.logs.RequestIdMiddleware",
    "config.input_guards.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A person's language: the page's switcher (a cookie), else Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # a verified second factor, on request.user
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The audit trail records which staff member made a change in the admin.
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.security_headers.ContentSecurityPolicyMiddleware",
]
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "config.pages.practice",
            ],
        },
    },
    {
        # Plain-text emails: "O'Brien & Partners" must arrive as written, not HTML-escaped.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
# Connections are kept for a minute and checked before reuse: opening one per request
# costs more than most requests (see bench/RESULTS.md). Behind a pooler, set it to 0.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Waits for the write lock instead of failing at once while the worker and the web
    # process share the embedded database.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker ---------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "regard",
            # A Redis that stops answering fails a cache call after this, not never; the
            # request then goes on without it (config/cache.py, fail_open), well within 2 s.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # A task is redelivered if no worker acknowledged it within this time (acks_late).
        "visibility_timeout": 3600,
        # A kick on commit waits no longer than this for a broker that hangs. The read
        # timeout stays above the 1 s a worker's BRPOP waits for work.
        "socket_connect_timeout": 0.5,
        "socket_timeout": 1.5,
    }
    CELERY_BROKER_CONNECTION_TIMEOUT = 1
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "celery-broker"
    _broker_dir.mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        # Exchange tables too, or kombu writes them to ./control wherever it runs.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }

# Four queues, so a fan-out of ten thousand emails (or webhooks) never stands between a
# payment and its confirmation. `celery worker` consumes all four; a busy practice runs a
# worker per queue (`-Q payments`, `-Q mail`, `-Q webhooks`, `-Q celery`); see README,
# "Scale notes".
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue("celery"), Queue("mail"), Queue("payments"), Queue("webhooks")]
CELERY_TASK_ROUTES = {
    "enrollments.dispatch_outbox": {"queue": "mail"},
    "enrollments.send_reminders": {"queue": "mail"},
    "enrollments.send_followup_surveys": {"queue": "mail"},
    "outbox.send_practice_digest": {"queue": "mail"},
    "billing.*": {"queue": "payments"},
    "integrations.deliver_webhooks": {"queue": "webhooks"},
}
# A worker process is replaced by a fresh one, forked again from the worker, after this many
# tasks: the longer a process lives, the more of the pages it shares with its siblings it
# copies for itself (Python writes reference counts into every object it touches), and a
# big fan-out or a run of PDFs leaves memory a process does not give back.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("WORKER_MAX_TASKS_PER_CHILD", default=200)
# And once its resident memory (KiB, shared pages included: an idle one holds about 110 MB)
# grew past this, whatever its count: a guard against a task that leaks.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("WORKER_MAX_MEMORY_PER_CHILD_KB", default=200_000)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
# Workers log through LOGGING below (JSON, redacted) instead of Celery's own setup.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # `expires`: while no worker runs, sweeps do not pile up in the queue.
    "dispatch-outbox": {
        "task": "enrollments.dispatch_outbox",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "expire-holds": {
        "task": "enrollments.expire_holds",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "send-reminders": {
        "task": "enrollments.send_reminders",
        "schedule": 3600.0,
        "options": {"expires": 3300},
    },
    "send-followup-surveys": {
        "task": "enrollments.send_followup_surveys",
        "schedule": 3600.0,
        "options": {"expires": 3300},
    },
    "reconcile-payments": {
        "task": "billing.reconcile_payments",
        "schedule": 3600.0,
        "options": {"expires": 3300},
    },
    "purge-expired-personal-data": {
        "task": "enrollments.purge_expired_personal_data",
        "schedule": crontab(hour=3, minute=17),  # daily, in the quiet of the night (UTC)
        "options": {"expires": 3600},
    },
    "send-practice-digest": {
        "task": "outbox.send_practice_digest",
        "schedule": crontab(hour=7, minute=0),  # daily, before the practice's day (UTC)
        "options": {"expires": 3600},
    },
    "expire-proposals": {
        "task": "organizations.expire_proposals",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "issue-certificates": {
        "task": "certificates.issue_due",
        "schedule": 3600.0,
        "options": {"expires": 3300},
    },
    "deliver-webhooks": {
        "task": "integrations.deliver_webhooks",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "send-organization-reports": {
        "task": "surveys.send_organization_reports",
        "schedule": crontab(hour=9, minute=10),  # daily, in office hours (UTC)
        "options": {"expires": 3600},
    },
    "send-invoice-reminders": {
        "task": "billing.send_invoice_reminders",
        "schedule": crontab(hour=8, minute=5),  # daily, in office hours (UTC)
        "options": {"expires": 3600},
    },
}

# --- Email --------------------------------------------------------------------------------
if "EMAIL_URL" in env or not DEBUG:
    vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Regard <hello@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PRACTICE_NAME = env.str("PRACTICE_NAME", default="Regard")
# The public pages' welcome, under the practice's name, and where consent links to.
PRACTICE_TAGLINE = env.str(
    "PRACTICE_TAGLINE",
    default="Personal guidance, workshops and team trainings for people who care for others.",
)
PRIVACY_POLICY_URL = env.str("PRIVACY_POLICY_URL", default="/privacy/")
# The practice's own time zone: dates the pages show apart from a session (its own zone).
PRACTICE_TIME_ZONE = env.str("PRACTICE_TIME_ZONE", default="Europe/Amsterdam")
PRACTICE_NOTIFY_EMAIL = env.str("PRACTICE_NOTIFY_EMAIL", default="practice@localhost")
# Caps on what a public request may set off (a kind 429 or 400, before anything is stored).
MAX_EMAILS_PER_RECIPIENT_PER_DAY = env.int("MAX_EMAILS_PER_RECIPIENT_PER_DAY", default=10)
MAX_SEATS_PER_BOOKING = env.int("MAX_SEATS_PER_BOOKING", default=20)
MAX_ACTIVE_HOLDS_PER_EMAIL = env.int("MAX_ACTIVE_HOLDS_PER_EMAIL", default=3)
MAX_ACTIVE_HOLDS_PER_ADDRESS = env.int("MAX_ACTIVE_HOLDS_PER_ADDRESS", default=10)
MAX_ROSTER_CHANGES = env.int("MAX_ROSTER_CHANGES", default=20)
# How the practice hears of what needs its attention: an email each, a daily digest, or not.
PRACTICE_ALERTS = env.str("PRACTICE_ALERTS", default="immediate")
if PRACTICE_ALERTS not in {"immediate", "digest", "off"}:
    raise ImproperlyConfigured("PRACTICE_ALERTS is immediate, digest or off.")
# Shown to someone whose inquiry contains crisis language, in the API response and in the
# acknowledgement email. Set it to the services of the places the practice serves.
CRISIS_SUPPORT_TEXT = env.str(
    "CRISIS_SUPPORT_TEXT",
    default=(
        "If you are in danger right now, call your local emergency number: 112 in Europe, "
        "911 in the US. You can also talk to someone at a crisis line, day or night: "
        "988 in the US, 113 (or 0800-0113) in the Netherlands, "
        "Samaritans on 116 123 in the UK and Ireland."
    ),
)
# The same, for people writing in Dutch (DESIGN.md, Public pages, languages).
CRISIS_SUPPORT_TEXT_NL = env.str(
    "CRISIS_SUPPORT_TEXT_NL",
    default=(
        "Ben je nu in gevaar, bel dan 112. Denk je aan zelfdoding? Praat er dag en nacht "
        "anoniem over met 113 Zelfmoordpreventie: bel 113 of gratis 0800-0113, of chat via "
        "113.nl."
    ),
)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

# --- Payments -----------------------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
PAYMENT_FLOW = env.str("PAYMENT_FLOW", default="checkout")
if PAYMENT_FLOW not in {"checkout", "payment_intent"}:
    raise ImproperlyConfigured("PAYMENT_FLOW must be 'checkout' or 'payment_intent'.")
# The card form of the Elements flow: Stripe.js from Stripe, or (unset, with STRIPE_API_BASE
# pointing at a stand-in) the one the stand-in serves; localstripe has one with its Card
# Element. The pages' Content-Security-Policy admits it (config/security_headers.py).
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="")

# --- Practice rules -----------------------------------------------------------------------
ENROLLMENT_HOLD_MINUTES = env.int("ENROLLMENT_HOLD_MINUTES", default=30)
# How long a seat offered from the waitlist waits for its person to take it (and pay).
WAITLIST_OFFER_HOURS = env.int("WAITLIST_OFFER_HOURS", default=24)
# Test-only switch: the concurrency test turns the session row lock off to show the race.
ENROLLMENT_SEAT_LOCK = True
REMINDER_HOURS_BEFORE = env.int("REMINDER_HOURS_BEFORE", default=24)
FOLLOWUP_SURVEY_DELAY_HOURS = env.int("FOLLOWUP_SURVEY_DELAY_HOURS", default=24)
# An organization's session's survey closes this many days after its invitations went out;
# its contact then gets the report, which counts only questions answered by this many people.
SURVEY_CLOSES_DAYS = env.int("SURVEY_CLOSES_DAYS", default=14)
REPORT_MIN_RESPONDENTS = max(2, env.int("REPORT_MIN_RESPONDENTS", default=5))
# Outgoing webhooks may go to private, loopback and link-local addresses, and over plain
# http: for a receiver inside one's own network, and for the tests. Never on the internet.
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
CANCELLATION_FULL_REFUND_DAYS = env.int("CANCELLATION_FULL_REFUND_DAYS", default=7)
# How long a catalog answer may be served from the cache (0 turns the cache off).
CATALOG_CACHE_SECONDS = env.int("CATALOG_CACHE_SECONDS", default=30)
# How long a web process serves an answer it read from the cache without asking again:
# a change made in another process shows within this time (0 asks on every request).
CATALOG_LOCAL_SECONDS = env.float("CATALOG_LOCAL_SECONDS", default=1.0)
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=730)
# Stripe's event payloads hold names and addresses; applied ones are stripped to type and ids.
STRIPE_EVENT_PAYLOAD_DAYS = env.int("STRIPE_EVENT_PAYLOAD_DAYS", default=30)
# Kept longer than personal data, by law: what erasure leaves in place says so.
INVOICE_RETENTION_YEARS = env.int("INVOICE_RETENTION_YEARS", default=7)
# Certificates are kept for accreditors' audits, then deleted (DESIGN.md invariant 8).
CERTIFICATE_RETENTION_YEARS = env.int("CERTIFICATE_RETENTION_YEARS", default=7)

# --- Invoices and tax (DESIGN.md, Organizations, proposals, invoices) ---------------------
# The seller on every invoice, as the law asks it to be named.
PRACTICE_ADDRESS = env.str("PRACTICE_ADDRESS", default="Keizersgracht 1\n1015 AA Amsterdam")
PRACTICE_VAT_ID = env.str("PRACTICE_VAT_ID", default="")
PRACTICE_COUNTRY = env.str("PRACTICE_COUNTRY", default="NL").upper()
# Where an invoice says to pay by bank transfer; empty leaves the line out.
PRACTICE_IBAN = env.str("PRACTICE_IBAN", default="")
INVOICE_NUMBER_FORMAT = env.str("INVOICE_NUMBER_FORMAT", default="{year}-{n:05d}")
CREDIT_NOTE_NUMBER_FORMAT = env.str("CREDIT_NOTE_NUMBER_FORMAT", default="{year}-C{n:05d}")
for _name, _format in (
    ("INVOICE_NUMBER_FORMAT", INVOICE_NUMBER_FORMAT),
    ("CREDIT_NOTE_NUMBER_FORMAT", CREDIT_NOTE_NUMBER_FORMAT),
):
    try:
        _format.format(year=2026, n=1)
    except (KeyError, IndexError, ValueError) as _error:
        raise ImproperlyConfigured(f"{_name} may use {{year}} and {{n}} only.") from _error
INVOICE_DUE_DAYS = env.int("INVOICE_DUE_DAYS", default=30)
# Proposals: how long one is valid unless the practice says otherwise, and its usual terms.
PROPOSAL_VALID_DAYS = env.int("PROPOSAL_VALID_DAYS", default=30)
PROPOSAL_TERMS = env.str(
    "PROPOSAL_TERMS",
    default=(
        "Cancelling up to 14 days before the training is free of charge; after that, half "
        "of the fee is due. Moving to another date is always possible in consultation."
    ),
)
# Until how long before a session an organization's contact may name its participants.
ROSTER_CLOSES_HOURS_BEFORE = env.int("ROSTER_CLOSES_HOURS_BEFORE", default=24)
# A kind reminder on the due date, and this many days after it.
INVOICE_REMINDER_DAYS_AFTER = env.int("INVOICE_REMINDER_DAYS_AFTER", default=14)
# Percent, for offerings that name no rate of their own.
try:
    DEFAULT_TAX_RATE = Decimal(env.str("DEFAULT_TAX_RATE", default="0"))
except ArithmeticError as _error:
    raise ImproperlyConfigured("DEFAULT_TAX_RATE is a percentage, such as 21 or 9.5.") from _error
PRICES_INCLUDE_TAX = env.bool("PRICES_INCLUDE_TAX", default=True)
TAX_EXEMPT_NOTE = env.str(
    "TAX_EXEMPT_NOTE",
    default="VAT exempt: professional education (article 11, paragraph 1, under o, Wet OB 1968).",
)
REVERSE_CHARGE_NOTE = env.str(
    "REVERSE_CHARGE_NOTE",
    default=(
        "VAT reverse charged: the buyer accounts for the VAT (article 196, Directive 2006/112/EC)."
    ),
)

# --- HTTP security ------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Probes speak plain HTTP on the private network, behind the TLS-terminating proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Browsers may call the API only from the practice's own front ends.
CORS_ALLOWED_ORIGINS = env.list("DJANGO_CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (*default_cors_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ["Retry-After", "X-Request-ID"]

# Failed admin sign-ins allowed per address and per username within the window.
# Sign-in attempts per (username, client address), and per client address, in the window.
ADMIN_LOGIN_ATTEMPTS = env.int("ADMIN_LOGIN_ATTEMPTS", default=5)
ADMIN_LOGIN_ATTEMPTS_PER_ADDRESS = env.int("ADMIN_LOGIN_ATTEMPTS_PER_ADDRESS", default=20)
ADMIN_LOGIN_WINDOW_SECONDS = env.int("ADMIN_LOGIN_WINDOW_SECONDS", default=900)
# A second factor (TOTP) for every staff member, not only those who set one up.
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=False)
# Staff sessions end after this, and when the browser closes.
ADMIN_SESSION_HOURS = env.int("ADMIN_SESSION_HOURS", default=8)
SESSION_COOKIE_AGE = ADMIN_SESSION_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation and static files ------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]  # the pages' stylesheet and script
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serves app static files (admin, the offline API docs) straight from the installed
# packages, so the embedded setup needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "inquiries": env.str("INQUIRY_THROTTLE_RATE", default="10/hour"),
        "enrollments": env.str("ENROLLMENT_THROTTLE_RATE", default="60/minute"),
        "surveys": env.str("SURVEY_THROTTLE_RATE", default="30/hour"),
        # Cancelling, paying and renaming participants by a booking's link, per address...
        "booking-changes": env.str("BOOKING_CHANGE_THROTTLE_RATE", default="30/hour"),
        # ...and the participant list of one booking, from wherever its link is used.
        "roster-link": env.str("ROSTER_THROTTLE_RATE", default="10/hour"),
        # Trying discount codes before booking, per address: codes are not to be guessed.
        "discount-codes": env.str("DISCOUNT_CODE_THROTTLE_RATE", default="30/hour"),
        # The staff API, per token.
        "staff-api": env.str("STAFF_API_THROTTLE_RATE", default="600/minute"),
    },
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # `format` is a catalog filter in the contract, not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Regard API",
    "DESCRIPTION": (
        "Offerings, sessions, inquiries and enrollments of a mental-health training and "
        "coaching practice. Times are ISO 8601 in UTC; money is a decimal string with an "
        "ISO 4217 currency code; every error has the shape {code, message, fields?}."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "workshops.models.Session.Status",
        "EnrollmentStatusEnum": "enrollments.models.Enrollment.Status",
        "RefundStatusEnum": ["pending", "succeeded"],
        "OfferingKindEnum": "workshops.models.Offering.Kind",
        "InquiryKindEnum": "inquiries.models.Inquiry.Kind",
        "InquiryStatusEnum": "inquiries.models.Inquiry.Status",
    },
}

# JSON lines with a request id in production, readable lines in development; both redact
# secret link tokens and email addresses (config/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "plain": {
            "()": "config.logs.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # runserver's own access lines print raw paths, secret links included; ours don't.
        "django.server": {"level": "WARNING"},
        # fontTools (fpdf2's font subsetting) logs some forty lines a PDF at INFO (tables
        # pruned, glyph names): noise in the worker's log, and a twentieth of a PDF's time.
        "fontTools": {"level": "WARNING"},
    },
}

# --- Error reports (optional) ---------------------------------------------------------------
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    from config.logs import scrub_sentry_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        # What people write (inquiries, survey answers) never leaves for a third party.
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub_sentry_event,
        before_send_transaction=scrub_sentry_event,
        before_breadcrumb=scrub_sentry_event,
    )
