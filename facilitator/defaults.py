"""Every configuration key, its default and what it is for (``facilitator/config.py`` loads and
checks them).

Order of precedence (lowest first): these defaults, ``instance/config.py``, environment variables
named ``FACILITATOR_<KEY>``, and the mapping a test passes to ``create_app``.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    # SQLAlchemy URL; empty means a SQLite file ``facilitator.db`` in the instance folder.
    "DATABASE_URL": "",
    # PostgreSQL only: the schema to use (its search_path); empty means the server's default.
    "DATABASE_SCHEMA": "",
    # Signs cookies and CSRF tokens; generated into the instance folder when left empty.
    "SECRET_KEY": "",
    # Zone in which times are entered and shown; the database always holds UTC.
    "TIMEZONE": "Europe/London",
    # The address people reach the app on; https here turns on secure cookies.
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    # Sign-in throttle: this many failures for one account within the window locks it.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_MINUTES": 15,
    # A signed-in session ends after this long without a request, and after this long at all.
    "SESSION_IDLE_MINUTES": 120,
    "SESSION_ABSOLUTE_HOURS": 12,
    # argon2id cost; tests lower them, production keeps the library's defaults.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_KIB": 65536,
    # SQLite only: how long a writer waits for a lock before giving up, in milliseconds.
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    # PostgreSQL only: a statement, or a wait for a lock, longer than this is cancelled (0: no limit).
    "DB_STATEMENT_TIMEOUT_MS": 15000,
    # Requests with a body larger than this are refused (413) before it is read (webhooks: 64 KiB).
    "MAX_BODY_BYTES": 1024 * 1024,
    # Log level of the application's own logger.
    "LOG_LEVEL": "INFO",
    # Zoom Server-to-Server OAuth app: account, client id and secret; all four Zoom keys set = connected.
    "ZOOM_ACCOUNT_ID": "",
    "ZOOM_CLIENT_ID": "",
    "ZOOM_CLIENT_SECRET": "",
    # Zoom user id or email that hosts meetings unless a facilitator has their own (never "me").
    "ZOOM_HOST_USER": "",
    # Zoom's API and token addresses (Zoom for Government uses other hosts).
    "ZOOM_API_BASE": "https://api.zoom.us/v2",
    "ZOOM_OAUTH_URL": "https://zoom.us/oauth/token",
    # Meeting settings for new Zoom meetings; with the waiting room on, join-before-host stays off.
    "ZOOM_WAITING_ROOM": True,
    "ZOOM_JOIN_BEFORE_HOST": False,
    # Zoom allows about 100 meeting creates/updates per host user per UTC day; the sync keeps under it.
    "ZOOM_DAILY_LIMIT_PER_HOST": 100,
    # Microsoft Entra app (client credentials) and the organizer's object id; all four set = connected.
    "GRAPH_TENANT_ID": "",
    "GRAPH_CLIENT_ID": "",
    "GRAPH_CLIENT_SECRET": "",
    "GRAPH_ORGANIZER": "",
    # Microsoft Graph and sign-in addresses (national clouds use other hosts).
    "GRAPH_API_BASE": "https://graph.microsoft.com/v1.0",
    "GRAPH_LOGIN_BASE": "https://login.microsoftonline.com",
    # Seconds to wait for a provider: one number, or [connect, read].
    "HTTP_TIMEOUT": [5, 15],
    # A booking pushes at most this many new sessions to the provider itself; the sync worker does the rest.
    "SYNC_INLINE_LIMIT": 5,
    # The sync worker's claim on a session lasts this long (longer than any provider call can take).
    "SYNC_LEASE_SECONDS": 300,
    # Retry delay after a provider failure: doubles per attempt from the first value up to the second.
    "SYNC_BACKOFF_SECONDS": 60,
    "SYNC_BACKOFF_MAX_SECONDS": 3600,
    # Circuit breaker: after this many failures in a row a provider is left alone for this long.
    "CIRCUIT_FAILURE_THRESHOLD": 5,
    "CIRCUIT_OPEN_SECONDS": 60,
    # Tests and demos only: an ISO date-time (or aware datetime) the invitations area takes as "now".
    "FROZEN_NOW": "",
    # Outgoing mail: "file" writes .eml files to MAIL_OUTBOX_DIR (the default), "smtp" sends.
    "MAIL_BACKEND": "file",
    # Where the file backend writes; empty means "outbox" in the instance folder.
    "MAIL_OUTBOX_DIR": "",
    # The From and Reply-To of every email; an empty Reply-To means the organizer mailbox.
    "MAIL_FROM": "PSL Sessions <sessions@facilitator.example>",
    "MAIL_REPLY_TO": "",
    # SMTP relay: STARTTLS (587) or implicit TLS with SMTP_SSL (465); credentials need one of them.
    "SMTP_HOST": "",
    "SMTP_PORT": 587,
    "SMTP_STARTTLS": True,
    "SMTP_SSL": False,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    # Seconds to wait for the SMTP server.
    "SMTP_TIMEOUT": 30,
    # The organizer mailbox that calendar replies (Accept/Decline) arrive in, read over IMAP by
    # `replies fetch`: empty IMAP_HOST turns reading off. IMAP_SSL is implicit TLS (993); without it
    # the connection is plain IMAP (for a server on loopback only).
    "IMAP_HOST": "",
    "IMAP_PORT": 993,
    "IMAP_SSL": True,
    "IMAP_USERNAME": "",
    "IMAP_PASSWORD": "",
    # The folder read, and where calendar replies go once read (empty: they stay where they are, marked read).
    "IMAP_FOLDER": "INBOX",
    "IMAP_DONE_FOLDER": "Facilitator/Processed",
    # ORGANIZER of invites: a monitored mailbox; empty means the facilitator (warned under https).
    # Each event keeps the organizer it was first sent with: set this before invites go out.
    "ORGANIZER_EMAIL": "",
    "ORGANIZER_NAME": "",
    # A message that failed this many times is marked failed and waits for an admin to retry it.
    "OUTBOX_MAX_ATTEMPTS": 8,
    # Retry delay after a failed send: doubles per attempt from the first value up to the second.
    "OUTBOX_BACKOFF_SECONDS": 60,
    "OUTBOX_BACKOFF_MAX_SECONDS": 3600,
    # A worker's claim on a message lasts this long (longer than any one send can take).
    "OUTBOX_LEASE_SECONDS": 300,
    # Messages one `outbox send` pass delivers at most.
    "OUTBOX_BATCH_SIZE": 100,
    # The weekly digest of overdue actions goes to their owners from this weekday on (0 Monday … 6 Sunday).
    "ACTION_DIGEST_WEEKDAY": 0,
    # Reminder emails this long before each session: minutes, or with h/m/d ("24h,1h").
    "REMINDER_OFFSETS": "24h,1h",
    # Join links forward to the meeting from this many minutes before the start until the end.
    "JOIN_WINDOW_MINUTES": 15,
    # Join links stop working this many days after their session ends.
    "TOKEN_EXPIRY_DAYS": 14,
    # A contact's home-page link stops working this many days after it was made (its page then
    # offers to email a fresh one); 0 means never. Feed links last until rotated.
    "HOME_LINK_EXPIRY_DAYS": 365,
    # A home's self-assessment: round 1 is due when it joins its first group, each next round this
    # many months after the previous one started.
    "ASSESSMENT_INTERVAL_MONTHS": 6,
    # How emails and pages name the configured TIMEZONE ("Tuesday 4 March, 10:00–11:30 (UK time)").
    "TIMEZONE_LABEL": "UK time",
    # Zoom webhook "Secret Token": signs deliveries to POST /webhooks/zoom; empty turns the webhook off.
    "ZOOM_WEBHOOK_SECRET": "",
    # Webhook deliveries whose x-zm-request-timestamp is further than this from now are refused.
    "ZOOM_WEBHOOK_TOLERANCE_SECONDS": 300,
    # Imported attendance: a home in the meeting for at least this share of it counts as present.
    "ATTENDANCE_PRESENT_SHARE": 0.5,
    # ... or as late when it first joined more than this many minutes after the start.
    "LATE_AFTER_MINUTES": 10,
    # Each worker keeps this many groups' parts of the engagement report (dashboard, API) until a
    # change to them is committed; 0 computes every report afresh.
    "REPORT_CACHE_SIZE": 512,
    # The garbage collector's thresholds in each process (facilitator/gc_tuning.py); "" keeps Python's.
    "GC_THRESHOLDS": "100000,50,100",
    # A home that sent apologies for this many sessions in a row (or more) is "at risk".
    "APOLOGY_RUN_AT_RISK": 3,
    # Attendance is imported automatically this many minutes after a Zoom or Teams session ends.
    "ATTENDANCE_IMPORT_DELAY_MINUTES": 10,
    # Sessions that ended within this many days are imported automatically if not yet done.
    "ATTENDANCE_IMPORT_LOOKBACK_DAYS": 7,
    # The import worker's claim on an import lasts this long (longer than any report can take).
    "ATTENDANCE_IMPORT_LEASE_SECONDS": 300,
    # An import that failed this many times stops retrying until someone presses "Import" again.
    "ATTENDANCE_IMPORT_MAX_ATTEMPTS": 8,
    # Retry delay after a failed import: doubles per attempt from the first value up to the second.
    "ATTENDANCE_IMPORT_BACKOFF_SECONDS": 300,
    "ATTENDANCE_IMPORT_BACKOFF_MAX_SECONDS": 21600,
    # Rate limits (Flask-Limiter) on link pages, webhooks and the API; False switches them all off.
    "RATELIMIT_ENABLED": True,
    # Where the counters live: "memory://" counts per worker process; several workers need a shared
    # "redis://127.0.0.1:6379" (Redis or Valkey, with the redis package installed).
    "RATELIMIT_STORAGE_URI": "memory://",
    # "moving-window" counts the last N minutes exactly; "fixed-window" is cheaper.
    "RATELIMIT_STRATEGY": "moving-window",
    # Link pages (/j/, /h/, /feeds/): unknown or expired links one address may hit before each further
    # miss is answered RATELIMIT_TOKEN_DELAY_SECONDS late, and before every link page answers it 429.
    "RATELIMIT_TOKEN_SLOW": "20 per 10 minutes",
    "RATELIMIT_TOKEN_DELAY_SECONDS": 1.0,
    "RATELIMIT_TOKEN_UNKNOWN": "50 per 10 minutes",
    # Webhook deliveries whose signature fails, per sending address (signed ones are never limited),
    # and API calls per token (per address without one).
    "RATELIMIT_WEBHOOK": "120 per minute",
    "RATELIMIT_API": "300 per minute",
    # Keys that encrypt confidential notes and reflections: comma-separated, newest first, each 32 random
    # bytes in URL-safe base64 (`flask --app facilitator notes new-key`). Empty: a demo key is generated
    # into the instance folder, unless PUBLIC_BASE_URL is https (then notes are unavailable until set).
    "NOTES_KEYS": "",
    # Notes are deleted this many months after they were written, supervision records this many months
    # after the supervision (`flask --app facilitator notes purge`, or the admin's button).
    "NOTES_RETENTION_MONTHS": 24,
    # Supervision is due this many months after the last one (the pilot found monthly works).
    "SUPERVISION_CADENCE_MONTHS": 1,
    # Roles that must sign in with two factors (comma-separated; empty for none). `make run` sets none.
    "MFA_REQUIRED_ROLES": "admin,lead,facilitator,supervisor",
    # The name authenticator apps show next to the account.
    "MFA_ISSUER": "Facilitator",
    # A link an admin has emailed (welcome to a new account, or to choose a new password) works
    # once, for this many days.
    "ACCOUNT_LINK_DAYS": 7,
    # Protected-time agreements: reviewed this many months after they start; the sponsor's link
    # (/a/<token>) works this many days; the sponsor is reminded once when an agreement is still
    # waiting after AGREEMENT_SPONSOR_REMINDER_DAYS, the facilitators this many days before review.
    "AGREEMENT_REVIEW_MONTHS": 12,
    "AGREEMENT_LINK_DAYS": 30,
    "AGREEMENT_SPONSOR_REMINDER_DAYS": 14,
    "AGREEMENT_REVIEW_REMINDER_DAYS": 30,
    # Questionnaires (issue 20): a result with fewer responses than QUESTIONNAIRE_MIN_CELL is shown
    # as "fewer than 3 responses" (free text too); a contact's link works QUESTIONNAIRE_LINK_DAYS;
    # non-responders are reminded once QUESTIONNAIRE_REMINDER_DAYS after the round was sent; the
    # pulse shows on the join and home pages for QUESTIONNAIRE_PULSE_HOURS after a session ends.
    "QUESTIONNAIRE_MIN_CELL": 3,
    "QUESTIONNAIRE_LINK_DAYS": 30,
    "QUESTIONNAIRE_REMINDER_DAYS": 7,
    "QUESTIONNAIRE_PULSE_HOURS": 48,
    # Follow-ups (issue 18): the leads are told of one with no contact logged this many days after
    # it opened (or after its snooze ended).
    "FOLLOW_UP_ESCALATE_DAYS": 10,
    # The facilitators' daily digest of new apologies covers the day up to this hour (local time,
    # 0–23) and is sent by the first follow-ups pass after it.
    "APOLOGY_DIGEST_HOUR": 7,
    # An API token stops working this many days after it was made.
    "API_TOKEN_DAYS": 90,
    # A password-reset link works once, for this many minutes.
    "PASSWORD_RESET_MINUTES": 30,
    # Reset requests allowed per address and per IP address within the window (database-counted).
    "PASSWORD_RESET_MAX_PER_EMAIL": 3,
    "PASSWORD_RESET_MAX_PER_IP": 20,
    "PASSWORD_RESET_WINDOW_MINUTES": 60,
    # OpenID Connect single sign-on: the issuer's discovery URL (empty turns SSO off), the client id
    # and secret registered with it, the name on the sign-in button, and optionally the only email
    # domains it may sign in (comma-separated). Entra ID: https://login.microsoftonline.com/<tenant
    # id>/v2.0/.well-known/openid-configuration; Google: https://accounts.google.com/.well-known/openid-configuration
    "OIDC_DISCOVERY_URL": "",
    "OIDC_CLIENT_ID": "",
    "OIDC_CLIENT_SECRET": "",
    "OIDC_DISPLAY_NAME": "single sign-on",
    "OIDC_ALLOWED_DOMAINS": "",
    # Trust the identity provider's own MFA when its ID token says so (amr contains "mfa"); otherwise
    # a user with two-factor set up here still enters a code after single sign-on.
    "OIDC_TRUST_IDP_MFA": True,
}
