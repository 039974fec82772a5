"""Creating and editing connectors of each kind on their pages: the form shapes the input, the
connector service (with the kind's `validate_config`) decides, and each refusal lands on the
field it names — "columns.observed_at" on the observed-at column, "answers.nps" on the answers,
a bad cron expression on the schedule. An empty secret field on edit keeps the stored secret."""

import pytest
from django import forms
from django.urls import reverse

from connectors import secrets as connector_secrets
from connectors.forms import SqlConnectorForm, WebhookConnectorForm, parse_pairs
from connectors.models import Connector
from tests.connectors.connector_pages_data import (
    DSN,
    HEADER_VALUE,
    SIGNING_SECRET,
    file_data,
    make_admin,
    sql_data,
    use_kind_validators,
    webhook_data,
)
from tests.factories import IndicatorFactory
from tests.surveys.survey_data import make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kind_validators(monkeypatch):
    use_kind_validators(monkeypatch)


@pytest.fixture
def admin(organisation):
    return make_admin(organisation)


@pytest.fixture
def signed_in(client, admin, organisation):
    IndicatorFactory(organisation=organisation, code="fast_quote", name="Fast Quote")
    make_survey(organisation, code="rel", name="Relationship")
    client.force_login(admin)
    return client


def create(client, kind, data):
    return client.post(reverse("connector-create", args=[kind]), data)


def errors_of(response) -> dict:
    form = response.context["form"]
    return {name: list(messages) for name, messages in form.errors.items()}


def stored_secrets(code: str) -> dict:
    return connector_secrets.decrypt(Connector.objects.get(code=code).secrets)


# --- SQL --------------------------------------------------------------------------------------


def test_a_sql_pull_is_created_with_its_mapping_schedule_and_encrypted_dsn(
    signed_in, admin, organisation
):
    answer = create(signed_in, "sql", sql_data(owner=str(admin.pk)))
    assert answer.status_code == 302
    connector = Connector.objects.get(code="crm-quotes")
    assert connector.kind == "sql" and connector.owner == admin
    assert connector.config == {
        "query": "SELECT day, seconds, unit FROM quotes",
        "watermark_column": "day",
        "timeout_seconds": 60,
        "indicator": "fast_quote",
        "columns": {"observed_at": "day", "value": "seconds"},
        "segments": {"unit": "unit"},
    }
    assert stored_secrets("crm-quotes") == {"dsn": DSN}
    assert DSN not in connector.secrets  # encrypted
    assert connector.schedule == "*/15 * * * *" and connector.periodic_task.enabled


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"query": "DELETE FROM quotes"}, "query"),
        ({"column_observed_at": "", "query": "SELECT 1"}, "column_observed_at"),
        ({"indicator": "", "column_indicator": ""}, "indicator"),
        ({"schedule": "every morning"}, "schedule"),
        ({"schedule": "61 * * * *"}, "schedule"),
        ({"segments": "unit"}, "segments"),
        ({"dsn": ""}, "dsn"),
        ({"notify_after": "0"}, "notify_after"),
        ({"code": "Not A Slug"}, "code"),
    ],
)
def test_a_refused_sql_pull_names_the_field(signed_in, changes, field):
    answer = create(signed_in, "sql", sql_data(**changes))
    assert answer.status_code == 400
    assert field in errors_of(answer), errors_of(answer)
    assert not Connector.objects.exists()


def test_a_taken_code_is_refused_on_the_code(signed_in):
    create(signed_in, "sql", sql_data())
    again = create(signed_in, "sql", sql_data(name="Another"))
    assert again.status_code == 400
    assert errors_of(again) == {"code": ["Another connector already has the code “crm-quotes”."]}


def test_a_segment_line_without_equals_says_which_line(signed_in):
    answer = create(signed_in, "sql", sql_data(segments="unit=unit\nchannel"))
    assert errors_of(answer)["segments"] == [
        "Line 2 is not “name=value”, e.g. channel=sales_channel."
    ]


def test_an_edit_with_an_empty_dsn_keeps_it_and_a_new_one_replaces_it(signed_in):
    create(signed_in, "sql", sql_data())
    url = reverse("connector-edit", args=["crm-quotes"])
    form_page = signed_in.get(url).content.decode()
    assert "stored — leave empty to keep" in form_page
    answer = signed_in.post(url, sql_data(dsn="", name="CRM quote times", watermark_column=""))
    assert answer.status_code == 302
    connector = Connector.objects.get(code="crm-quotes")
    assert connector.name == "CRM quote times" and connector.config["watermark_column"] == ""
    assert stored_secrets("crm-quotes") == {"dsn": DSN}
    signed_in.post(url, sql_data(dsn="postgresql://ro@db2.example/crm"))
    assert stored_secrets("crm-quotes") == {"dsn": "postgresql://ro@db2.example/crm"}


def test_the_code_cannot_change_on_edit(signed_in):
    create(signed_in, "sql", sql_data())
    signed_in.post(reverse("connector-edit", args=["crm-quotes"]), sql_data(code="renamed"))
    assert list(Connector.objects.values_list("code", flat=True)) == ["crm-quotes"]


def test_a_refused_edit_keeps_the_stored_settings(signed_in):
    create(signed_in, "sql", sql_data())
    answer = signed_in.post(
        reverse("connector-edit", args=["crm-quotes"]), sql_data(query="UPDATE x SET y = 1")
    )
    assert answer.status_code == 400 and "query" in errors_of(answer)
    assert Connector.objects.get().config["query"] == "SELECT day, seconds, unit FROM quotes"
    # The page's head names the stored connector, not the refused input.
    assert "Edit “CRM quotes”" in answer.content.decode()


def test_the_edit_form_shows_the_stored_mapping(signed_in, organisation):
    IndicatorFactory(organisation=organisation, code="doubled", formula="fast_quote * 2")
    create(signed_in, "sql", sql_data())
    form = SqlConnectorForm(organisation=organisation, connector=Connector.objects.get())
    assert form["column_value"].value() == "seconds" and form["segments"].value() == "unit=unit"
    assert form["indicator"].value() == "fast_quote" and form["code"].field.disabled
    # A formula indicator takes no measurements: it is not offered.
    assert [code for code, _label in form.fields["indicator"].choices] == ["", "fast_quote"]


# --- file -------------------------------------------------------------------------------------


def test_a_file_pull_is_created_with_its_headers_encrypted(signed_in):
    answer = create(signed_in, "file", file_data(sheet="measurements"))
    assert answer.status_code == 302
    connector = Connector.objects.get(code="quotes-file")
    assert connector.config == {"url": "https://reports.example.com/m.csv", "sheet": "measurements"}
    assert connector.target == "measurements" and connector.survey is None
    assert stored_secrets("quotes-file") == {"headers": {"Authorization": HEADER_VALUE}}


def test_a_file_of_survey_responses_needs_its_survey(signed_in, organisation):
    answer = create(signed_in, "file", file_data(target="responses", survey=""))
    assert answer.status_code == 400 and "survey" in errors_of(answer)
    answer = create(signed_in, "file", file_data(target="responses", survey="rel"))
    assert answer.status_code == 302
    assert Connector.objects.get().survey.code == "rel"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "ftp://reports.example.com/m.csv"}, "url"),
        ({"headers": "Authorization Bearer x"}, "headers"),
        ({"schedule": "0 25 * * *"}, "schedule"),
    ],
)
def test_a_refused_file_pull_names_the_field(signed_in, changes, field):
    answer = create(signed_in, "file", file_data(**changes))
    assert answer.status_code == 400 and field in errors_of(answer), errors_of(answer)


def test_file_headers_are_kept_when_empty_and_removed_on_request(signed_in):
    create(signed_in, "file", file_data())
    url = reverse("connector-edit", args=["quotes-file"])
    signed_in.post(url, file_data(headers=""))
    assert stored_secrets("quotes-file") == {"headers": {"Authorization": HEADER_VALUE}}
    signed_in.post(url, file_data(headers="", forget_headers="on"))
    assert stored_secrets("quotes-file") == {}


# --- webhook ----------------------------------------------------------------------------------


def test_a_webhook_is_created_with_its_mapping_signature_and_secret(signed_in):
    answer = create(signed_in, "webhook", webhook_data())
    assert answer.status_code == 302
    connector = Connector.objects.get(code="tally-nps")
    assert connector.config == {
        "preset": "",
        "items": "data.fields",
        "fields": {"respondent": "respondentId", "submitted_at": "createdAt"},
        "answers": {"nps": "score"},
        "signature": {
            "header": "Tally-Signature",
            "algorithm": "sha256",
            "encoding": "base64",
            "prefix": "",
            "timestamp_header": "",
            "tolerance_seconds": 300,
            "signed": "body",
        },
    }
    assert connector.schedule == "" and connector.survey.code == "rel"
    assert stored_secrets("tally-nps") == {"signing_secret": SIGNING_SECRET}
    assert len(connector.token_hash) == 64 and len(connector.token_hint) == 4


def test_a_webhook_form_has_no_schedule(organisation):
    assert "schedule" not in WebhookConnectorForm(organisation=organisation).fields


def test_a_webhook_preset_needs_no_mapping(signed_in):
    data = webhook_data(
        preset="typeform", items="", field_respondent="", field_submitted_at="", answers=""
    )
    answer = create(signed_in, "webhook", data)
    assert answer.status_code == 302
    assert Connector.objects.get().config["preset"] == "typeform"


def test_an_expression_the_mapping_cannot_read_lands_on_its_field_with_its_name(signed_in):
    answer = create(signed_in, "webhook", webhook_data(answers="nps=score\nces=scores.["))
    assert answer.status_code == 400
    messages = errors_of(answer)["answers"]
    assert len(messages) == 1 and messages[0].startswith("ces: ")
    answer = create(signed_in, "webhook", webhook_data(field_submitted_at="created[", code="b"))
    assert "field_submitted_at" in errors_of(answer)


def test_the_signing_secret_is_kept_when_empty_and_removed_on_request(signed_in):
    create(signed_in, "webhook", webhook_data())
    url = reverse("connector-edit", args=["tally-nps"])
    page = signed_in.get(url).content.decode()
    assert 'name="signing_secret"' in page and SIGNING_SECRET not in page
    token_hash = Connector.objects.get().token_hash
    assert signed_in.post(url, webhook_data(signing_secret="")).status_code == 302
    assert stored_secrets("tally-nps") == {"signing_secret": SIGNING_SECRET}
    # A signature header with no secret to check it is refused, on the secret.
    kept = signed_in.post(url, webhook_data(signing_secret="", forget_signing_secret="on"))
    assert kept.status_code == 400 and "signing_secret" in errors_of(kept)
    assert stored_secrets("tally-nps") == {"signing_secret": SIGNING_SECRET}
    removed = webhook_data(signing_secret="", forget_signing_secret="on", signature_header="")
    assert signed_in.post(url, removed).status_code == 302
    assert stored_secrets("tally-nps") == {}
    assert "signature" not in Connector.objects.get().config
    assert Connector.objects.get().token_hash == token_hash  # an edit keeps the URL


# --- the form's own parts ---------------------------------------------------------------------


def test_pairs_are_read_one_per_line_blank_lines_skipped():
    assert parse_pairs("a=b\n\n c = d.e \n", "=", "x=y") == {"a": "b", "c": "d.e"}
    assert parse_pairs("Authorization: Bearer a:b", ":", "x") == {"Authorization": "Bearer a:b"}


def test_the_owner_is_chosen_among_the_members(signed_in, admin, other_organisation):
    from accounts.models import Role
    from accounts.services import create_user

    outsider = create_user(
        organisation=other_organisation, username="olle", role=Role.ADMIN, password="x-pass-1!"
    )
    answer = create(signed_in, "sql", sql_data(owner=str(outsider.pk)))
    assert answer.status_code == 400 and "owner" in errors_of(answer)


def test_a_header_line_it_cannot_read_is_not_quoted_back():
    from connectors.forms import parse_pairs

    with pytest.raises(forms.ValidationError) as refused:
        parse_pairs("Authorization Bearer s3cret-token", ":", "Authorization: Bearer …")
    assert "s3cret-token" not in " ".join(refused.value.messages)
    assert "Line 1 is not" in refused.value.messages[0]
