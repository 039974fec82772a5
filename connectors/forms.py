"""Forms of the connector pages, one per kind. They only shape input: `create_connector` and
`update_connector` (with each kind's `validate_config`) decide, and their ValidationError comes
back on the field it names — `field_for` maps the service's names ("columns.observed_at",
"signature.header", "answers.nps", "dsn") onto this form's fields.

Secrets (the DSN, request headers, the signing secret) are never put back into a form: their
inputs render empty, and an empty one on edit keeps the stored value (the service merges).
"""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import selectors as account_selectors
from indicators import selectors as indicator_selectors
from surveys import selectors as survey_selectors

from .models import ConnectorKind, Target

STORED = _("stored — leave empty to keep")
MEASUREMENT_FIELDS = ("indicator", "key", "observed_at", "value", "numerator", "denominator")
SQL_COLUMNS = (*MEASUREMENT_FIELDS, "comment")
WEBHOOK_MEASUREMENT_FIELDS = (*MEASUREMENT_FIELDS, "comment")
WEBHOOK_RESPONSE_FIELDS = ("respondent", "submitted_at")
FIELD_LABELS = {
    "indicator": _("Indicator"),
    "key": _("Key"),
    "observed_at": _("Observed at"),
    "value": _("Value"),
    "numerator": _("Numerator"),
    "denominator": _("Denominator"),
    "comment": _("Comment"),
    "respondent": _("Respondent"),
    "submitted_at": _("Submitted at"),
}
SCHEDULE_HELP = _(
    "A cron expression in the organisation's time zone: minute hour day-of-month month "
    "day-of-week. “0 6 * * *” is every day at 06:00, “*/15 * * * *” every 15 minutes, "
    "“0 7 * * 1-5” at 07:00 on weekdays. Leave empty to run it only by hand."
)


class SecretTextarea(forms.Textarea):
    """A textarea that never shows what was typed or stored (request headers)."""

    def format_value(self, value):
        return None


def secret_input() -> forms.PasswordInput:
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


def parse_pairs(text: str, separator: str, example: str) -> dict[str, str]:
    """{name: value} from one "name<separator>value" per line; ValidationError naming the line."""
    pairs = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, found, value = line.partition(separator)
        if not found or not name.strip() or not value.strip():
            raise forms.ValidationError(
                # The line is not quoted: a header line holds a secret value.
                gettext("Line %(number)s is not “name%(sep)svalue”, e.g. %(example)s.")
                % {"number": number, "sep": separator, "example": example}
            )
        pairs[name.strip()] = value.strip()
    return pairs


def pairs_text(pairs: dict, separator: str) -> str:
    return "\n".join(f"{name}{separator}{value}" for name, value in (pairs or {}).items())


class ConnectorForm(forms.Form):
    """What every kind has: code, name, owner, schedule (pulls) and when to tell the owner."""

    kind = ""
    # Not a SlugField: the service's rule (and its message) decides, with the other refusals.
    code = forms.CharField(
        label=_("Code"),
        required=False,
        help_text=_("The connector's address in the app, e.g. crm-quotes; it cannot change."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    owner = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        help_text=_("Told by notification when the connector keeps failing."),
    )
    schedule = forms.CharField(
        label=_("Schedule"), required=False, max_length=100, help_text=SCHEDULE_HELP
    )
    notify_after = forms.IntegerField(
        label=_("Tell the owner after this many failed runs in a row"),
        min_value=1,
        max_value=100,
        initial=3,
    )

    # Service field names that are not this form's own (config keys map in `field_for`).
    ALIASES: dict[str, str] = {}
    # Prefixes of service names whose messages land on one form field: "columns.value".
    PREFIXES: dict[str, str] = {}
    # Names inside a mapping text field ("answers.nps"): the message is prefixed by the name.
    MAPPINGS: tuple[str, ...] = ()

    def __init__(self, *args, organisation, connector=None, **kwargs):
        if connector is not None:
            kwargs.setdefault("initial", self.initial_for(connector))
        super().__init__(*args, **kwargs)
        self.organisation, self.connector = organisation, connector
        self.members = {
            str(user.pk): user for user in account_selectors.members_of(organisation=organisation)
        }
        self.fields["owner"].choices = [("", _("— nobody —"))] + [
            (pk, user.get_full_name() or user.get_username()) for pk, user in self.members.items()
        ]
        if connector is not None:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("The code cannot change.")
        if self.kind == ConnectorKind.WEBHOOK:
            del self.fields["schedule"]

    def initial_for(self, connector) -> dict:
        return {
            "code": connector.code,
            "name": connector.name,
            "owner": str(connector.owner_id or ""),
            "schedule": connector.schedule,
            "notify_after": connector.notify_after,
        }

    # -- what the service takes ------------------------------------------------------------------

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            "name": data["name"],
            "owner": self.members.get(data["owner"] or ""),
            "notify_after": data["notify_after"],
        }
        if "schedule" in self.fields:
            fields["schedule"] = data["schedule"]
        return fields

    def service_config(self) -> dict:
        raise NotImplementedError

    def service_secrets(self) -> dict:
        return {}

    def forget(self) -> tuple[str, ...]:
        return ()

    def field_for(self, name: str) -> str | None:
        """This form's field for the service's error name, None for the form as a whole."""
        if name in self.fields:
            return name
        if name in self.ALIASES:
            return self.ALIASES[name]
        head, _dot, rest = name.partition(".")
        if head in self.PREFIXES:
            candidate = self.PREFIXES[head].format(rest)
            if candidate in self.fields:
                return candidate
        if head in self.MAPPINGS:
            return head
        return None

    def add_service_error(self, error) -> None:
        problems = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for name, messages in problems.items():
            field = self.field_for(name) if name else None
            head, _dot, rest = (name or "").partition(".")
            if field in self.MAPPINGS and rest:
                messages = [f"{rest}: {message}" for message in messages]
            self.add_error(field, messages)


class DeliveryMixin(forms.Form):
    """Where a file or webhook delivers: measurements, or responses of one survey."""

    target = forms.ChoiceField(label=_("Delivers"), choices=Target.choices)
    survey = forms.ChoiceField(
        label=_("Survey"),
        required=False,
        help_text=_("The survey the responses belong to (only for survey responses)."),
    )

    def _delivery_choices(self):
        self.surveys = {
            survey.code: survey
            for survey in survey_selectors.surveys_of(self.organisation).order_by("name")
        }
        self.fields["survey"].choices = [("", _("— choose a survey —"))] + [
            (code, f"{survey.name} ({code})") for code, survey in self.surveys.items()
        ]

    def delivery_initial(self, connector) -> dict:
        return {
            "target": connector.target,
            "survey": connector.survey.code if connector.survey else "",
        }

    def delivery_fields(self) -> dict:
        target = self.cleaned_data["target"]
        survey = self.surveys.get(self.cleaned_data["survey"] or "")
        return {"target": target, "survey": survey if target == Target.RESPONSES else None}


class SqlConnectorForm(ConnectorForm):
    kind = ConnectorKind.SQL
    # Not required here: the kind's rules say what is missing, with every other refusal at once.
    dsn = forms.CharField(
        label=_("Database address (DSN)"),
        required=False,
        widget=secret_input(),
        help_text=_(
            "postgresql://user:password@host:5432/database — use a read-only user. Stored "
            "encrypted, never shown again."
        ),
    )
    query = forms.CharField(
        label=_("Query"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "code"}),
        help_text=_(
            "One SELECT; it runs in a read-only transaction. Name its columns below. With a "
            "watermark column, write no ORDER BY or LIMIT: each run reads only the rows newer "
            "than the last run's highest value."
        ),
    )
    watermark_column = forms.CharField(
        label=_("Watermark column"),
        required=False,
        help_text=_(
            "A column that grows with new rows (updated_at, id). Empty: every run reads all "
            "rows (unchanged ones change nothing)."
        ),
    )
    timeout_seconds = forms.IntegerField(
        label=_("Time limit (seconds)"),
        min_value=1,
        initial=60,
        help_text=_("The query is cancelled after this long."),
    )
    indicator = forms.ChoiceField(
        label=_("Indicator"),
        required=False,
        help_text=_("Every row measures this indicator, or name the column that holds its code."),
    )
    column_indicator = forms.CharField(label=_("Column with the indicator's code"), required=False)
    column_key = forms.CharField(
        label=_("Key column"),
        required=False,
        help_text=_("A unique id per row: a changed row updates its measurement."),
    )
    column_observed_at = forms.CharField(
        label=_("Observed-at column"), required=False, help_text=_("A date or timestamp.")
    )
    column_value = forms.CharField(label=_("Value column"), required=False)
    column_numerator = forms.CharField(
        label=_("Numerator column"), required=False, help_text=_("Ratio indicators only.")
    )
    column_denominator = forms.CharField(label=_("Denominator column"), required=False)
    column_comment = forms.CharField(label=_("Comment column"), required=False)
    segments = forms.CharField(
        label=_("Segments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "One “dimension=column” per line, e.g. channel=sales_channel: each measurement "
            "carries the row's value of the column as its segment."
        ),
    )

    ALIASES = {"columns": "column_observed_at"}
    PREFIXES = {"columns": "column_{}"}
    MAPPINGS = ("segments",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        indicators = (
            indicator_selectors.indicators_of(organisation=self.organisation)
            .prefetch_related(None)
            .filter(formula="")
            .order_by("name", "code")
        )
        self.fields["indicator"].choices = [("", _("— from a column —"))] + [
            (i.code, f"{i.name} ({i.code})") for i in indicators
        ]
        if self.connector is not None:
            self.fields["dsn"].widget.attrs["placeholder"] = STORED
            self.fields["dsn"].help_text = _(
                "Stored — leave empty to keep it; type a new one to replace it."
            )

    def initial_for(self, connector) -> dict:
        config = connector.config or {}
        columns = config.get("columns") or {}
        return {
            **super().initial_for(connector),
            "query": config.get("query", ""),
            "watermark_column": config.get("watermark_column", ""),
            "timeout_seconds": config.get("timeout_seconds", 60),
            "indicator": config.get("indicator", ""),
            **{f"column_{name}": columns.get(name, "") for name in SQL_COLUMNS},
            "segments": pairs_text(config.get("segments"), "="),
        }

    def clean_segments(self):
        return parse_pairs(self.cleaned_data["segments"], "=", "channel=sales_channel")

    def service_config(self) -> dict:
        data = self.cleaned_data
        columns = {
            name: data[f"column_{name}"].strip()
            for name in SQL_COLUMNS
            if data[f"column_{name}"].strip()
        }
        return {
            "query": data["query"],
            "watermark_column": data["watermark_column"].strip(),
            "timeout_seconds": data["timeout_seconds"],
            "indicator": data["indicator"] or "",
            "columns": columns,
            "segments": data["segments"],
        }

    def service_secrets(self) -> dict:
        return {"dsn": self.cleaned_data["dsn"]} if self.cleaned_data["dsn"] else {}


class FileConnectorForm(DeliveryMixin, ConnectorForm):
    kind = ConnectorKind.FILE
    url = forms.CharField(
        label=_("File URL"),
        max_length=1000,
        help_text=_(
            "An http(s) address of a CSV or Excel file with the upload's columns, e.g. "
            "https://reports.example.com/measurements.csv."
        ),
    )
    sheet = forms.CharField(
        label=_("Sheet"),
        required=False,
        help_text=_("The sheet of an Excel file to read; empty: the first one."),
    )
    headers = forms.CharField(
        label=_("Request headers"),
        required=False,
        widget=SecretTextarea(attrs={"rows": 2, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "Optional, one “Name: value” per line, e.g. Authorization: Bearer <token>. Stored "
            "encrypted, never shown again."
        ),
    )
    forget_headers = forms.BooleanField(label=_("Remove the stored headers"), required=False)

    ALIASES = {"headers": "headers"}
    PREFIXES = {"headers": "headers"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._delivery_choices()
        if self.connector is None:
            del self.fields["forget_headers"]
        else:
            self.fields["headers"].widget.attrs["placeholder"] = STORED
            self.fields["headers"].help_text = _(
                "Stored headers are kept when this stays empty; type them all again to replace "
                "them. One “Name: value” per line."
            )

    def initial_for(self, connector) -> dict:
        config = connector.config or {}
        return {
            **super().initial_for(connector),
            **self.delivery_initial(connector),
            "url": config.get("url", ""),
            "sheet": config.get("sheet", ""),
        }

    def clean_headers(self):
        return parse_pairs(self.cleaned_data["headers"], ":", "Authorization: Bearer abc123")

    def field_for(self, name: str) -> str | None:
        return "headers" if name.startswith("headers") else super().field_for(name)

    def service_fields(self) -> dict:
        return {**super().service_fields(), **self.delivery_fields()}

    def service_config(self) -> dict:
        data = self.cleaned_data
        config = {"url": data["url"].strip()}
        if data["sheet"].strip():
            config["sheet"] = data["sheet"].strip()
        return config

    def service_secrets(self) -> dict:
        return {"headers": self.cleaned_data["headers"]} if self.cleaned_data["headers"] else {}

    def forget(self) -> tuple[str, ...]:
        forget = self.cleaned_data.get("forget_headers") and not self.cleaned_data["headers"]
        return ("headers",) if forget else ()


PRESETS = [
    ("", _("none: map the payload below")),
    ("typeform", "Typeform"),
    ("tally", "Tally"),
]


class WebhookConnectorForm(DeliveryMixin, ConnectorForm):
    kind = ConnectorKind.WEBHOOK
    preset = forms.ChoiceField(
        label=_("Preset"),
        choices=PRESETS,
        required=False,
        help_text=_(
            "A survey tool's response webhook, read with no mapping of your own: choose the "
            "survey above, and give the tool's signing secret below. Its questions' references "
            "must be the survey's question codes."
        ),
    )
    items = forms.CharField(
        label=_("Items"),
        required=False,
        help_text=_(
            "A JMESPath expression for the list of items in the payload, e.g. data.rows; empty: "
            "the payload is one item."
        ),
    )
    segments = forms.CharField(
        label=_("Segments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text=_("One “dimension=expression” per line, e.g. channel=meta.channel."),
    )
    attributes = forms.CharField(
        label=_("Background variables"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text=_("One “name=expression” per line, e.g. unit=hidden.unit."),
    )
    answers = forms.CharField(
        label=_("Answers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("One “question code=expression” per line, e.g. nps=scores.recommend."),
    )
    signature_header = forms.CharField(
        label=_("Signature header"),
        required=False,
        help_text=_("The request header with the HMAC signature, e.g. X-Signature; empty: none."),
    )
    signature_algorithm = forms.ChoiceField(
        label=_("Algorithm"),
        choices=[("sha256", "HMAC-SHA256"), ("sha1", "HMAC-SHA1"), ("sha512", "HMAC-SHA512")],
        initial="sha256",
    )
    signature_encoding = forms.ChoiceField(
        label=_("Encoding"), choices=[("hex", "hex"), ("base64", "base64")], initial="hex"
    )
    signature_prefix = forms.CharField(
        label=_("Prefix"),
        required=False,
        help_text=_("Text before the signature in the header, e.g. sha256="),
    )
    signature_signed = forms.ChoiceField(
        label=_("What is signed"),
        choices=[("body", _("the body")), ("timestamp.body", _("timestamp.body"))],
        initial="body",
    )
    signature_timestamp_header = forms.CharField(
        label=_("Timestamp header"),
        required=False,
        help_text=_(
            "Its age is checked against replays, so the sender must sign it with the body: "
            "choose timestamp.body under What is signed."
        ),
    )
    signature_tolerance_seconds = forms.IntegerField(
        label=_("Timestamp tolerance (seconds)"), min_value=1, initial=300, required=False
    )
    signing_secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        widget=secret_input(),
        help_text=_("The secret the sender signs with. Stored encrypted, never shown again."),
    )
    forget_signing_secret = forms.BooleanField(
        label=_("Remove the stored signing secret"), required=False
    )

    ALIASES = {"items": "items", "preset": "preset", "signature": "signature_header"}
    PREFIXES = {"fields": "field_{}", "signature": "signature_{}"}
    MAPPINGS = ("segments", "attributes", "answers")
    SIGNATURE = ("header", "algorithm", "encoding", "prefix", "signed", "timestamp_header")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._delivery_choices()
        self.fields["target"].initial = Target.RESPONSES  # survey tools are the common sender
        for name in (*WEBHOOK_MEASUREMENT_FIELDS, *WEBHOOK_RESPONSE_FIELDS):
            self.fields[f"field_{name}"] = forms.CharField(label=FIELD_LABELS[name], required=False)
            if self.connector is not None:
                self.fields[f"field_{name}"].initial = (
                    (self.connector.config or {}).get("fields") or {}
                ).get(name, "")
        self.fields["field_observed_at"].help_text = _("e.g. meta.created_at")
        self.fields["field_submitted_at"].help_text = _("e.g. submitted_at")
        if self.connector is None:
            del self.fields["forget_signing_secret"]
        else:
            self.fields["signing_secret"].widget.attrs["placeholder"] = STORED

    @property
    def measurement_fields(self):
        return [self[f"field_{name}"] for name in WEBHOOK_MEASUREMENT_FIELDS]

    @property
    def response_fields(self):
        return [self[f"field_{name}"] for name in WEBHOOK_RESPONSE_FIELDS]

    def initial_for(self, connector) -> dict:
        config = connector.config or {}
        signature = config.get("signature") or {}
        return {
            **super().initial_for(connector),
            **self.delivery_initial(connector),
            "preset": config.get("preset", ""),
            "items": config.get("items", ""),
            **{name: pairs_text(config.get(name), "=") for name in self.MAPPINGS},
            **{f"signature_{name}": signature.get(name, "") for name in self.SIGNATURE},
            "signature_algorithm": signature.get("algorithm") or "sha256",
            "signature_encoding": signature.get("encoding") or "hex",
            "signature_signed": signature.get("signed") or "body",
            "signature_tolerance_seconds": signature.get("tolerance_seconds") or 300,
        }

    def clean_segments(self):
        return parse_pairs(self.cleaned_data["segments"], "=", "channel=meta.channel")

    def clean_attributes(self):
        return parse_pairs(self.cleaned_data["attributes"], "=", "unit=hidden.unit")

    def clean_answers(self):
        return parse_pairs(self.cleaned_data["answers"], "=", "nps=scores.recommend")

    def service_fields(self) -> dict:
        return {**super().service_fields(), **self.delivery_fields()}

    def service_config(self) -> dict:
        data = self.cleaned_data
        config = {"preset": data["preset"] or ""}
        if data["items"].strip():
            config["items"] = data["items"].strip()
        target_fields = (
            WEBHOOK_RESPONSE_FIELDS
            if data["target"] == Target.RESPONSES
            else WEBHOOK_MEASUREMENT_FIELDS
        )
        fields = {
            name: data[f"field_{name}"].strip()
            for name in target_fields
            if data[f"field_{name}"].strip()
        }
        if fields:
            config["fields"] = fields
        mappings = (
            ("attributes", "answers") if data["target"] == Target.RESPONSES else ("segments",)
        )
        for name in mappings:
            if data[name]:
                config[name] = data[name]
        if data["signature_header"].strip():
            config["signature"] = {
                "header": data["signature_header"].strip(),
                "algorithm": data["signature_algorithm"],
                "encoding": data["signature_encoding"],
                "prefix": data["signature_prefix"],
                "timestamp_header": data["signature_timestamp_header"].strip(),
                "tolerance_seconds": data["signature_tolerance_seconds"] or 300,
                "signed": data["signature_signed"],
            }
        return config

    def service_secrets(self) -> dict:
        secret = self.cleaned_data["signing_secret"]
        return {"signing_secret": secret} if secret else {}

    def forget(self) -> tuple[str, ...]:
        data = self.cleaned_data
        return (
            ("signing_secret",)
            if data.get("forget_signing_secret") and not data["signing_secret"]
            else ()
        )


FORMS = {
    ConnectorKind.SQL: SqlConnectorForm,
    ConnectorKind.FILE: FileConnectorForm,
    ConnectorKind.WEBHOOK: WebhookConnectorForm,
}
