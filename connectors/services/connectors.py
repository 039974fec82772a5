"""Create, change, pause and delete connectors: every rule of a connector's settings here.

    connector, token = create_connector(organisation=org, kind="webhook", code="typeform-nps",
                                        name="Typeform NPS", target="responses", survey=survey,
                                        config={"preset": "typeform"}, secrets={...})

Each kind checks its own settings (`validate_config` of `connectors.pull.sql`,
`connectors.pull.files`, `connectors.webhooks`); this module checks what every connector has,
stores the secrets encrypted and keeps the beat schedule in step. A refusal is a
ValidationError naming each field (`code`, `schedule`, `survey`, `query`, `columns.value`...).

Secrets are merged on update: a name given with a value replaces the stored one, a name given
as "" or None keeps it (forms never show a stored secret, so an empty field means "unchanged"),
and `forget` lists names to remove. A webhook's URL token is made here and shown once: the
create and `rotate_token` return it; only its hash and last characters are kept.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation

from .. import secrets as connector_secrets
from ..models import Connector, ConnectorKind, Target
from .schedules import cron_problem, drop_schedule, sync_schedule

CODE_MAX = 50
RESERVED_CODES = frozenset({"new"})  # /connectors/new/<kind>/ is the create page
NAME_MAX = 200
NOTIFY_AFTER_MAX = 100
SETTABLE = ("name", "owner", "target", "survey", "schedule", "notify_after", "config", "paused")


def validator_for(kind: str):
    """The kind's `validate_config(config, secrets, *, target) -> {field: message}`."""
    if kind == ConnectorKind.SQL:
        from ..pull.sql import validate_config
    elif kind == ConnectorKind.FILE:
        from ..pull.files import validate_config
    else:
        from ..webhooks import validate_config
    return validate_config


@transaction.atomic
def create_connector(
    *,
    organisation: Organisation,
    kind: str,
    code: str,
    name: str,
    config: dict | None = None,
    secrets: dict | None = None,
    **fields,
) -> tuple[Connector, str]:
    """A new connector; returns it and its webhook URL token ("" for pulls), shown only now."""
    unknown = set(fields) - set(SETTABLE)
    if unknown:
        raise TypeError(f"unknown connector fields: {sorted(unknown)}")
    connector = Connector(organisation=organisation, kind=kind, code=code, name=name)
    connector.config = config or {}
    for field, value in fields.items():
        setattr(connector, field, value)
    values = _merged({}, secrets or {}, ())
    _validate(connector, values, creating=True)
    connector.secrets = connector_secrets.encrypt(values)
    token = _set_token(connector) if kind == ConnectorKind.WEBHOOK else ""
    connector.save()
    sync_schedule(connector)
    return connector, token


@transaction.atomic
def update_connector(
    connector: Connector, *, secrets: dict | None = None, forget: tuple = (), **fields
) -> Connector:
    """Change the connector's settings (SETTABLE fields) and merge its secrets."""
    unknown = set(fields) - set(SETTABLE)
    if unknown:
        raise TypeError(f"unknown connector fields: {sorted(unknown)}")
    read_before = _how_read(connector)
    for field, value in fields.items():
        setattr(connector, field, value)
    values = _merged(_stored_secrets(connector), secrets or {}, forget)
    _validate(connector, values, creating=False)
    connector.secrets = connector_secrets.encrypt(values)
    if _how_read(connector) != read_before:
        # Read another way, the same bytes (or rows past the watermark) are new data.
        connector.file_state, connector.watermark = {}, None
    connector.save()
    sync_schedule(connector)
    return connector


def _how_read(connector: Connector) -> tuple:
    """What decides which data a pull reads; a change forgets the file state and watermark."""
    config = connector.config if isinstance(connector.config, dict) else {}
    read = {name: value for name, value in config.items() if name not in ("timeout_seconds",)}
    return (connector.target, connector.survey_id, repr(sorted(read.items())))


@transaction.atomic
def set_paused(connector: Connector, paused: bool) -> Connector:
    """Pause (no scheduled runs, webhook calls answered 503) or resume the connector."""
    connector.paused = paused
    connector.save(update_fields=["paused", "updated_at"])
    sync_schedule(connector)
    return connector


@transaction.atomic
def rotate_token(connector: Connector) -> str:
    """A new webhook URL; the old one stops working at once. Returns the token (shown once)."""
    if connector.kind != ConnectorKind.WEBHOOK:
        raise ValidationError({"kind": _("Only a webhook connector has a URL to renew.")})
    token = _set_token(connector)
    connector.save(update_fields=["token_hash", "token_hint", "updated_at"])
    return token


@transaction.atomic
def delete_connector(connector: Connector) -> None:
    """Remove the connector, its run log and its schedule; what it delivered stays."""
    drop_schedule(connector)
    connector.delete()


def _set_token(connector: Connector, token: str | None = None) -> str:
    token = token or connector_secrets.new_token()
    connector.token_hash = connector_secrets.hash_token(token)
    connector.token_hint = token[-4:]
    return token


def _stored_secrets(connector: Connector) -> dict:
    """The stored secrets; none when no configured key reads them (a key was removed): the
    admin enters them again, and the kind's check asks for each one missing."""
    try:
        return connector_secrets.decrypt(connector.secrets)
    except connector_secrets.SecretsUnreadable:
        return {}


def _merged(stored: dict, given: dict, forget) -> dict:
    values = dict(stored)
    for name, value in given.items():
        if value not in ("", None):
            values[name] = value
    for name in forget:
        values.pop(name, None)
    return values


def _validate(connector: Connector, values: dict, *, creating: bool) -> None:
    errors: dict[str, str] = {}
    _check_identity(connector, errors, creating)
    _check_delivery(connector, errors)
    _check_schedule(connector, errors)
    if connector.kind in ConnectorKind.values and isinstance(connector.config, dict):
        validate = validator_for(connector.kind)
        errors.update(validate(connector.config, values, target=connector.target))
    elif not isinstance(connector.config, dict):
        errors["config"] = _("The settings must be a JSON object.")
    if errors:
        raise ValidationError(errors)


def _check_identity(connector: Connector, errors: dict, creating: bool) -> None:
    if connector.kind not in ConnectorKind.values:
        errors["kind"] = _("Choose SQL pull, file pull or inbound webhook.")
    code = connector.code or ""
    if code in RESERVED_CODES:
        errors["code"] = _("“%(code)s” names a page of its own; choose another code.") % {
            "code": code
        }
    elif not code or slugify(code) != code or len(code) > CODE_MAX:
        errors["code"] = _(
            "Use 1-50 lower-case letters, digits and hyphens (for example “crm-quotes”)."
        )
    elif (
        Connector.objects.filter(organisation=connector.organisation, code=code)
        .exclude(pk=connector.pk)
        .exists()
    ):
        errors["code"] = _("Another connector already has the code “%(code)s”.") % {"code": code}
    name = (connector.name or "").strip()
    if not name or len(name) > NAME_MAX:
        errors["name"] = _("Give the connector a name of at most 200 characters.")
    connector.name = name
    owner = connector.owner
    if (
        owner is not None
        and not Membership.objects.filter(organisation=connector.organisation, user=owner).exists()
    ):
        errors["owner"] = _("The owner must be a member of the organisation.")
    if not 1 <= (connector.notify_after or 0) <= NOTIFY_AFTER_MAX:
        errors["notify_after"] = _("Tell the owner after 1 to 100 failed runs in a row.")


def _check_delivery(connector: Connector, errors: dict) -> None:
    if connector.target not in Target.values:
        errors["target"] = _("Deliver measurements or survey responses.")
    elif connector.target == Target.RESPONSES:
        if connector.kind == ConnectorKind.SQL:
            errors["target"] = _(
                "A SQL pull delivers measurements; survey responses arrive by file or webhook."
            )
        elif connector.survey is None:
            errors["survey"] = _("Choose the survey the responses belong to.")
        elif connector.survey.organisation_id != connector.organisation.pk:
            errors["survey"] = _("No such survey in this organisation.")
    elif connector.survey is not None:
        connector.survey = None  # measurements name their indicators, not a survey


def _check_schedule(connector: Connector, errors: dict) -> None:
    connector.schedule = " ".join((connector.schedule or "").split())
    if not connector.schedule:
        return
    if connector.kind == ConnectorKind.WEBHOOK:
        errors["schedule"] = _("A webhook runs when it is called; it has no schedule.")
        return
    problem = cron_problem(connector.schedule)
    if problem:
        errors["schedule"] = problem
