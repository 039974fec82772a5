"""What the connector page tests share: an admin, POST data of each kind's form as the page
renders it, and the kinds' `validate_config` (or, on a branch where a kind's module has not been
merged yet, a stand-in that refuses what every real one refuses: a query that is not a SELECT,
a URL that is not http(s), a JMESPath expression that does not compile, a missing DSN)."""

import importlib

import jmespath
from jmespath.exceptions import JMESPathError

from accounts.models import Role
from accounts.services import create_user
from connectors.services import connectors as connector_service

DSN_PASSWORD = "Pa55-w0rd-xyzzy"
DSN = f"postgresql://crm:{DSN_PASSWORD}@db.example:5432/crm"
SIGNING_SECRET = "whsec-6b1f0c9e2d"
HEADER_VALUE = "Bearer tok-91c2f7a8"
SECRETS = (DSN_PASSWORD, SIGNING_SECRET, HEADER_VALUE, DSN)
KIND_MODULES = {
    "sql": "connectors.pull.sql",
    "file": "connectors.pull.files",
    "webhook": "connectors.webhooks",
}


def _stand_in_sql(config, secrets, *, target):
    errors = {}
    if not str(config.get("query", "")).strip().lower().startswith("select"):
        errors["query"] = "Write one SELECT statement."
    if not secrets.get("dsn"):
        errors["dsn"] = "Give the database's address."
    columns = config.get("columns") or {}
    if not columns.get("observed_at"):
        errors["columns.observed_at"] = "Name the column with the observation time."
    if not config.get("indicator") and not columns.get("indicator"):
        errors["indicator"] = "Name the indicator column or choose an indicator."
    return errors


def _stand_in_file(config, secrets, *, target):
    url = str(config.get("url", ""))
    return {} if url.startswith(("http://", "https://")) else {"url": "Give an http(s) URL."}


def _stand_in_webhook(config, secrets, *, target):
    errors = {}
    expressions = {"items": config.get("items")}
    expressions |= {f"fields.{k}": v for k, v in (config.get("fields") or {}).items()}
    for name in ("segments", "attributes", "answers"):
        expressions |= {f"{name}.{k}": v for k, v in (config.get(name) or {}).items()}
    for field, expression in expressions.items():
        if expression:
            try:
                jmespath.compile(expression)
            except JMESPathError:
                errors[field] = f"“{expression}” is not a JMESPath expression."
    if config.get("preset") not in ("", "typeform", "tally"):
        errors["preset"] = "Choose Typeform, Tally or no preset."
    return errors


STAND_INS = {"sql": _stand_in_sql, "file": _stand_in_file, "webhook": _stand_in_webhook}


def merged_kinds() -> set[str]:
    found = set()
    for kind, module in KIND_MODULES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        found.add(kind)
    return found


def use_kind_validators(monkeypatch) -> None:
    """The kinds' own validate_config where merged, the stand-in elsewhere (an autouse fixture
    of each page test module)."""
    real = connector_service.validator_for
    merged = merged_kinds()
    monkeypatch.setattr(
        connector_service,
        "validator_for",
        lambda kind: real(kind) if kind in merged else STAND_INS[kind],
    )


def make_admin(organisation):
    return create_user(
        organisation=organisation, username="ada", role=Role.ADMIN, password="s3cret-pass!"
    )


def common_data(**changes) -> dict:
    data = {"code": "crm-quotes", "name": "CRM quotes", "owner": "", "notify_after": "3"}
    return data | changes


def sql_data(**changes) -> dict:
    data = common_data(
        dsn=DSN,
        query="SELECT day, seconds, unit FROM quotes",
        watermark_column="day",
        timeout_seconds="60",
        indicator="fast_quote",
        column_observed_at="day",
        column_value="seconds",
        schedule="*/15 * * * *",
        segments="unit=unit",
    )
    return data | changes


def file_data(**changes) -> dict:
    data = common_data(
        code="quotes-file",
        name="Quotes file",
        target="measurements",
        url="https://reports.example.com/m.csv",
        headers=f"Authorization: {HEADER_VALUE}",
        schedule="0 6 * * *",
    )
    return data | changes


def webhook_data(**changes) -> dict:
    data = common_data(
        code="tally-nps",
        name="Tally NPS",
        target="responses",
        survey="rel",
        preset="",
        items="data.fields",
        field_respondent="respondentId",
        field_submitted_at="createdAt",
        answers="nps=score",
        signature_header="Tally-Signature",
        signature_algorithm="sha256",
        signature_encoding="base64",
        signature_signed="body",
        signature_tolerance_seconds="300",
        signing_secret=SIGNING_SECRET,
    )
    return data | changes
