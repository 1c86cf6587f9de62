"""The settings of the feature packages: complaints, staff, the API, open data and reports."""

import os

from portal.config.setting import Computed, InInstance, Setting

COMPLAINTS = (
    Setting(
        "COMPLAINT_CONTACT_KEY", str, None, secret=True, deploy=True,
        help="Fernet key(s) that encrypt complainants' contact details, \"new,old\" to rotate; the same on "
        "every node. Unset in development: a key kept in instance/complaint-contact.key (tests make one)",
        production="required (also outside development and tests)",
    ),
    Setting(
        "EVIDENCE_DIR", str, InInstance("evidence"), deploy=True,
        help="evidence files, outside the web root (only staff download them); storage shared by every node",
    ),
    Setting(
        "COMPLAINT_CONTACT_RETENTION_DAYS", int, 365,
        help="days after a complaint is concluded (or rejected) before its contact details are deleted",
    ),
    # Deadlines of the workflow table (portal/complaints/workflow.py), in working days on the
    # Chinese holiday calendar (portal/working_days.py).
    Setting("COMPLAINT_ACKNOWLEDGE_WORKING_DAYS", int, 5, help="working days to accept a complaint or not (受理)"),
    Setting("COMPLAINT_ANSWER_WORKING_DAYS", int, 30, help="working days to answer a complaint once accepted"),
    Setting(
        "COMPLAINT_ANSWER_EXTENSION_WORKING_DAYS", int, 30,
        help="working days an answer deadline may be extended by, once, with a public reason",
    ),
    Setting("COMPLAINT_REVIEW_WORKING_DAYS", int, 30, help="working days to decide a review (复核)"),
    Setting(
        "COMPLAINT_REVIEW_REQUEST_DAYS", int, 30,
        help="calendar days after an answer in which the complainant may ask for a review, once",
    ),
    Setting(
        "COMPLAINT_RECEIVING_UNITS", list, ["市民政局社会组织管理处", "区民政局（属地登记管理机关）", "业务主管单位"],
        help="receiving units a complaint may be transferred to (转办), comma-separated: the bodies that "
        "supervise organisations",
    ),
    # E-mail to complainants (portal/complaints/notifications.py), sent by the scheduler from an outbox.
    Setting(
        "MAIL_SERVER", str, "", deploy=True,
        help="SMTP server of the notifications to complainants and of the follow e-mail; empty: they stay queued "
        "(staff see the complainants' pending)",
    ),
    Setting("MAIL_PORT", int, 25, deploy=True, help="SMTP port"),
    Setting("MAIL_USE_TLS", bool, False, deploy=True, help="STARTTLS after connecting"),
    Setting("MAIL_USERNAME", str, "", deploy=True, help="SMTP user name (empty: no login)"),
    Setting("MAIL_PASSWORD", str, "", secret=True, deploy=True, help="SMTP password"),
    Setting(
        "MAIL_DEFAULT_SENDER", str, "noreply@localhost", deploy=True,
        help="the From address of notifications and follow e-mail", production="the portal's own address",
    ),
    Setting("MAIL_TIMEOUT_SECONDS", int, 20, help="seconds to wait for the SMTP server"),
    Setting("MAIL_SEND_INTERVAL_SECONDS", int, 60, help="seconds between the scheduler's sends of the outbox"),
    Setting(
        "MAIL_RETRY_SECONDS", int, 300,
        help="first wait after a failed send, doubling with each further failure up to MAIL_RETRY_MAX_SECONDS",
    ),
    Setting("MAIL_RETRY_MAX_SECONDS", int, 6 * 3600, help="longest wait between two tries of one notification"),
    Setting(
        "WORKING_DAYS_SCHEDULE_FILE", str, "",
        help="a reviewed TOML file of public holidays and 调休 working days for years chinesecalendar does not "
        "cover yet, each naming its State Council notice; empty: portal/holiday_schedule.toml",
    ),
    Setting("COMPLAINT_DESCRIPTION_MIN", int, 20, help="shortest description, in characters"),
    Setting("COMPLAINT_DESCRIPTION_MAX", int, 5000, help="longest description, in characters"),
    Setting("COMPLAINT_EVIDENCE_MAX_FILES", int, 5, help="evidence files per complaint"),
    Setting("COMPLAINT_EVIDENCE_MAX_BYTES", int, 10 * 1024 * 1024, help="bytes per evidence file"),
    Setting(
        "COMPLAINT_EVIDENCE_MAX_PIXELS", int, 25_000_000,
        help="pixels of an evidence image (width × height), checked in its header before it is decoded, and "
        "Pillow's MAX_IMAGE_PIXELS. 25 megapixels take 12 and 24 MP photos and an A4 page scanned at 400 dpi; "
        "decoding one costs at most 100 MB",
    ),
    Setting("COMPLAINT_MIN_FILL_SECONDS", int, 3, help="a form sent sooner than this after it was shown is a robot's"),
    Setting("COMPLAINT_FORM_MAX_AGE_SECONDS", int, 24 * 3600, help="a form older than this has expired"),
    Setting(
        "COMPLAINT_SUBMIT_RATE_LIMIT", str, "5 per minute;30 per day",
        help="complaints sent per client address (Flask-Limiter syntax)",
    ),
    Setting(
        "COMPLAINT_STATUS_RATE_LIMIT", str, "10 per minute;60 per hour",
        help="status look-ups per client address",
    ),
    Setting("COMPLAINT_FORM_RATE_LIMIT", str, "60 per minute", help="complaint forms shown per client address"),
    Setting(
        "COMPLAINT_ORPHAN_MAX_AGE_SECONDS", int, 3600,
        help="evidence files without a committed complaint, older than this, are deleted by "
        "`flask complaints cleanup`",
    ),
    Setting(
        "COMPLAINT_PENDING_CODE_SECONDS", int, 3600,
        help="an access code not yet shown (its acknowledgement page never arrived) is kept, encrypted, this long",
    ),
)

FOLLOW = (
    # Following an organisation by e-mail (portal/follow/): sent through the same SMTP settings (MAIL_*).
    Setting(
        "FOLLOW_DIGEST_HOUR", int, 8, deploy=True,
        help="hour of the day (0-23, in SYNC_TIMEZONE) at which the scheduler queues the daily digests of the "
        "list changes of the organisations each address follows; after the nightly sync",
    ),
    Setting(
        "FOLLOW_CONFIRM_DAYS", int, 7,
        help="days a confirmation link works; an unconfirmed sign-up, and a sent follow e-mail, is deleted after this",
    ),
    Setting(
        "FOLLOW_SIGNUP_RATE_LIMIT", str, "5 per hour;20 per day",
        help="follow sign-ups taken per client address (Flask-Limiter syntax)",
    ),
    Setting(
        "FOLLOW_ADDRESS_RATE_LIMIT", str, "3 per hour;6 per day",
        help="follow sign-ups taken per e-mail address, from any client: each sends it a confirmation e-mail",
    ),
)

STAFF = (
    Setting(
        "STAFF_PASSWORD_MIN_LENGTH", int, 12,
        help="shortest staff password (with two kinds of characters, and not the username)",
    ),
    Setting(
        "STAFF_LOGIN_RATE_LIMIT", str, "10 per minute;100 per day",
        help="sign-ins per client address, on top of the delays per account name and address",
    ),
    Setting("STAFF_SESSION_IDLE_MINUTES", int, 30, help="a staff session ends after this many idle minutes"),
    Setting("STAFF_SESSION_MAX_HOURS", int, 12, help="and in any case after this many hours"),
    Setting("STAFF_QUEUE_PAGE_SIZE", int, 25, help="complaints per page of the queue"),
    Setting(
        "STAFF_TOTP_REQUIRED_ROLES", str, "", production_default="handler,supervisor", deploy=True,
        help="roles that must use a second factor (TOTP) at sign-in, comma-separated (\"handler,supervisor\"); "
        "an account without one must set it up before it can use the console; an unknown role refuses to start",
        production="every account (handlers and supervisors) by default",
    ),
    Setting(
        "STAFF_TOTP_ISSUER", str, "北京市社会组织信用信息公示平台",
        help="the name authenticator apps show beside the codes",
    ),
    Setting(
        "STAFF_TOTP_KEY", str, None, secret=True, deploy=True,
        help="Fernet key(s) that encrypt the TOTP secrets at rest, \"new,old\" to rotate; unset: "
        "COMPLAINT_CONTACT_KEY does (when setting it later, list that key after it, or secrets are lost)",
    ),
    Setting(
        "STAFF_TOTP_PENDING_SECONDS", int, 300,
        help="seconds allowed between the password and the code before the sign-in starts again",
    ),
    Setting(
        "STAFF_SIGN_IN_FREE_ATTEMPTS", int, 5,
        help="failed sign-ins per account name and address before the first delay (no account is ever locked)",
    ),
    Setting("STAFF_SIGN_IN_DELAY_SECONDS", int, 30, help="the first delay, doubled with each further failure"),
    Setting("STAFF_SIGN_IN_MAX_DELAY_SECONDS", int, 3600, help="the longest delay"),
    Setting(
        "STAFF_SIGN_IN_FORGET_HOURS", int, 24,
        help="hours after which a quiet account name and address are forgotten",
    ),
)

API = (
    Setting("API_RATE_LIMIT", str, "120 per minute", help="requests per client address across the JSON API"),
    Setting(
        "API_BATCH_RATE_LIMIT", str, "20 per hour",
        help="batch checks per client address, on top of API_RATE_LIMIT (each checks up to 5,000 values)",
    ),
    Setting("API_BATCH_MAX_BYTES", int, 2 * 1024 * 1024, help="largest batch-check body in bytes"),
    Setting("API_PAGE_SIZE", int, 100, help="organisations or changes per page by default"),
    Setting("API_PAGE_SIZE_MAXIMUM", int, 1000, help="and at most"),
    Setting(
        "API_MAX_AGE", int, 300,
        help="seconds a client or proxy may reuse a response without revalidating (data changes nightly)",
    ),
)

OPEN_DATA = (
    Setting(
        "DOWNLOADS_DIR", str, InInstance("downloads"), deploy=True,
        help="the CSV/JSONL exports and cached sitemaps, regenerated after each sync; nginx may serve "
        "DOWNLOADS_DIR/current/",
    ),
    Setting("DOWNLOADS_CHUNK_SIZE", int, 5000, help="rows fetched per chunk while exporting (memory stays flat)"),
    Setting(
        "DOWNLOADS_AFTER_SYNC", bool, True,
        help="regenerate the downloads after each successful sync (the CLI does it on demand)",
    ),
    Setting("FEED_ENTRIES", int, 100, help="entries in an Atom feed, the most recent first"),
    Setting("SITEMAP_CHUNK_SIZE", int, 50_000, help="URLs per organisation sitemap (sitemaps.org: at most 50,000)"),
    Setting(
        "BATCH_RATE_LIMIT", str, "30 per hour;100 per day",
        help="batch checks a visitor may submit (no CAPTCHA: this is the brake)",
    ),
    Setting("BATCH_MAX_BYTES", int, 5 * 1024 * 1024, help="largest batch file accepted, in bytes"),
)

REPORTS = (
    Setting(
        "REPORT_RATE_LIMIT", str, "20 per minute;300 per day",
        help="issued reports (PDF and printable page) per visitor: each can add a stored row",
    ),
    Setting(
        "REPORT_VERIFY_RATE_LIMIT", str, "60 per minute",
        help="verification pages per visitor: report numbers are unguessable, and this keeps them so",
    ),
    Setting(
        "REPORT_PDF_DIR", str, "",
        help="PDF reports, each rendered once per publication and kept as a file every worker of the node "
        "serves (portal/reports/pdf_cache.py); empty: the folder reports in DOWNLOADS_DIR",
    ),
    Setting(
        "REPORT_PDF_RENDER_SLOTS", int, Computed(lambda context: max(1, (os.cpu_count() or 2) // 2), "half the cores"),
        help="PDFs rendered at once across the node's workers (WeasyPrint takes a core for about a second), "
        "so that search and pages keep the rest",
    ),
    Setting(
        "REPORT_PDF_WAIT_SECONDS", float, 6.0,
        help="seconds a request waits for a render slot (slots go in the order requests asked), or for another "
        "worker rendering the same PDF, before it is answered 503 with Retry-After; with the render timeout, "
        "shorter than WEB_TIMEOUT",
    ),
    Setting("REPORT_PDF_RETRY_AFTER_SECONDS", int, 10, help="the Retry-After of that 503"),
    Setting(
        "REPORT_PDF_RENDER_TIMEOUT_SECONDS", float, 20.0,
        help="a render (in a child process) that takes longer is stopped and answered with a clean 500, "
        "before gunicorn's WEB_TIMEOUT would kill the worker",
    ),
)

#: The trust marks of a 政府网站 in every page's footer and on /about. A value left unset shows this
#: example instead, labelled 示例 (example), as the demo does; a deployment sets every one.
SITE_IDENTITY_EXAMPLES = {
    "SITE_SPONSOR": "北京市民政局",
    "SITE_OPERATOR": "北京市社会组织管理中心",
    "SITE_IDENTIFIER": "1100000000",
    "SITE_ICP_NUMBER": "京ICP备00000000号",
    "SITE_PUBLIC_SECURITY_NUMBER": "京公网安备11000000000000号",
    "SITE_CONTACT_PHONE": "010-00000000",
    "SITE_CONTACT_EMAIL": "contact@example.org",
    "SITE_CONTACT_ADDRESS": "北京市（示例地址）",
}
_SITE_IDENTITY_HELP = {
    "SITE_SPONSOR": "主办单位, the body responsible for the site",
    "SITE_OPERATOR": "承办单位, the office that runs it",
    "SITE_IDENTIFIER": "网站标识码 (10 digits) of the government website",
    "SITE_ICP_NUMBER": "ICP filing number (京ICP备…号)",
    "SITE_PUBLIC_SECURITY_NUMBER": "public security filing number (京公网安备…号)",
    "SITE_CONTACT_PHONE": "the contact telephone",
    "SITE_CONTACT_EMAIL": "the contact e-mail address",
    "SITE_CONTACT_ADDRESS": "the postal address",
}

SITE_IDENTITY = tuple(
    Setting(
        name, str, None, deploy=True,
        help=f"{_SITE_IDENTITY_HELP[name]}, shown in every page's footer and on /about; unset: the example "
        f"{example!r}, labelled as an example",
    )
    for name, example in SITE_IDENTITY_EXAMPLES.items()
) + (
    Setting("DATA_LICENCE_NAME", str, "CC BY 4.0", deploy=True, help="the licence of the open data, named on /data and in every download"),
    Setting(
        "DATA_LICENCE_URL", str, "https://creativecommons.org/licenses/by/4.0/", deploy=True,
        help="the address of that licence's text",
    ),
    Setting(
        "SITE_ERROR_REPORT_RATE_LIMIT", str, "5 per minute;30 per day",
        help="我为政府网站找错 reports sent per client address",
    ),
    Setting("SITE_ERROR_REPORT_FORM_RATE_LIMIT", str, "60 per minute", help="error-report forms shown per client address"),
    Setting("SITE_ERROR_REPORT_MAX_DESCRIPTION", int, 2000, help="longest error-report description, in characters"),
)
