"""Connector services: what every connector must have, secrets merged and encrypted, the
webhook URL token (shown once, its hash kept). The kinds' own checks are stood in for by a
validator that records its calls and refuses what the test says."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from accounts.services import create_user
from connectors import secrets as connector_secrets
from connectors.models import Connector
from connectors.services import create_connector, rotate_token, set_paused, update_connector
from tests.surveys.survey_data import make_survey

DSN = "postgresql://reader:pa55word@db.example/crm"


@pytest.fixture
def kind_checks(monkeypatch):
    """`kind_checks.calls`: (kind, config, secrets, target) per check; `kind_checks.refuse`:
    the {field: message} the kind's check answers."""

    class KindChecks:
        calls: list = []
        refuse: dict = {}

    checks = KindChecks()
    checks.calls, checks.refuse = [], {}

    def validator_for(kind):
        def validate(config, secrets, *, target):
            checks.calls.append((kind, config, dict(secrets), target))
            return dict(checks.refuse)

        return validate

    monkeypatch.setattr("connectors.services.connectors.validator_for", validator_for)
    return checks


def sql(organisation, **fields):
    fields.setdefault("code", "crm")
    fields.setdefault("name", "CRM quotes")
    return create_connector(organisation=organisation, kind="sql", **fields)


def refusal(**fields) -> dict:
    with pytest.raises(ValidationError) as refused:
        sql(**fields)
    return {field: messages[0] for field, messages in refused.value.message_dict.items()}


@pytest.mark.parametrize(
    ("code", "refused"),
    [("", True), ("CRM", True), ("crm quotes", True), ("a" * 51, True), ("crm-quotes", False)],
)
def test_the_code_is_a_short_slug(organisation, kind_checks, code, refused):
    if refused:
        assert "lower-case letters" in refusal(organisation=organisation, code=code)["code"]
    else:
        assert sql(organisation, code=code)[0].code == code


def test_the_code_is_unique_in_the_organisation_only(organisation, other_organisation, kind_checks):
    sql(organisation)
    assert "already has the code “crm”" in refusal(organisation=organisation)["code"]
    assert sql(other_organisation)[0].organisation == other_organisation


def test_the_name_is_required_and_trimmed(organisation, kind_checks):
    assert "name" in refusal(organisation=organisation, name="   ")
    assert "at most 200" in refusal(organisation=organisation, name="x" * 201)["name"]
    assert sql(organisation, name="  CRM  ")[0].name == "CRM"


def test_the_owner_must_be_a_member(organisation, other_organisation, kind_checks):
    stranger = create_user(organisation=other_organisation, username="sven", role=Role.ADMIN)
    assert (
        "member of the organisation" in refusal(organisation=organisation, owner=stranger)["owner"]
    )
    member = create_user(organisation=organisation, username="olga", role=Role.VIEWER)
    assert sql(organisation, owner=member)[0].owner == member


def test_notify_after_is_between_1_and_100(organisation, kind_checks):
    assert "1 to 100" in refusal(organisation=organisation, notify_after=0)["notify_after"]
    assert "1 to 100" in refusal(organisation=organisation, notify_after=101)["notify_after"]


def test_survey_responses_need_a_survey_of_the_organisation(
    organisation, other_organisation, kind_checks
):
    def file_pull(**fields):
        return create_connector(
            organisation=organisation, kind="file", code="f", name="F", **fields
        )

    with pytest.raises(ValidationError) as refused:
        file_pull(target="responses")
    assert "Choose the survey" in refused.value.message_dict["survey"][0]
    theirs = make_survey(other_organisation, code="nps")
    with pytest.raises(ValidationError) as refused:
        file_pull(target="responses", survey=theirs)
    assert "No such survey" in refused.value.message_dict["survey"][0]
    ours = make_survey(organisation, code="nps")
    assert file_pull(target="responses", survey=ours)[0].survey == ours


def test_a_sql_pull_delivers_measurements_only_and_drops_a_survey(organisation, kind_checks):
    survey = make_survey(organisation, code="nps")
    assert (
        "SQL pull delivers measurements"
        in refusal(organisation=organisation, target="responses", survey=survey)["target"]
    )
    assert "Deliver measurements" in refusal(organisation=organisation, target="mail")["target"]
    connector = sql(organisation, target="measurements", survey=survey)[0]
    assert connector.survey is None


def test_an_unknown_kind_is_refused(organisation, kind_checks):
    with pytest.raises(ValidationError) as refused:
        create_connector(organisation=organisation, kind="ftp", code="x", name="X")
    assert "SQL pull, file pull or inbound webhook" in refused.value.message_dict["kind"][0]
    assert kind_checks.calls == []


def test_the_kinds_check_sees_config_secrets_and_target_and_its_refusals_are_kept(
    organisation, kind_checks
):
    kind_checks.refuse = {"query": "Write one SELECT."}
    errors = refusal(
        organisation=organisation, config={"query": "DROP TABLE x"}, secrets={"dsn": DSN}
    )
    assert errors == {"query": "Write one SELECT."}
    assert kind_checks.calls == [("sql", {"query": "DROP TABLE x"}, {"dsn": DSN}, "measurements")]
    assert Connector.objects.count() == 0


def test_every_refusal_is_reported_at_once(organisation, kind_checks):
    kind_checks.refuse = {"query": "Write one SELECT."}
    errors = refusal(organisation=organisation, code="Bad Code", name="", schedule="nope")
    assert set(errors) == {"code", "name", "schedule", "query"}


def test_secrets_are_stored_encrypted_and_merged_on_update(organisation, kind_checks):
    connector, token = sql(organisation, secrets={"dsn": DSN, "extra": "keep-me"})
    assert token == ""
    stored = Connector.objects.get(pk=connector.pk).secrets
    assert "pa55word" not in stored and "keep-me" not in stored
    assert connector_secrets.decrypt(stored) == {"dsn": DSN, "extra": "keep-me"}

    # An empty field keeps the stored value; a value replaces it; `forget` removes one.
    update_connector(connector, secrets={"dsn": "", "extra": None})
    assert connector_secrets.decrypt(Connector.objects.get(pk=connector.pk).secrets) == {
        "dsn": DSN,
        "extra": "keep-me",
    }
    new_dsn = "postgresql://reader:n3w@db.example/crm"
    update_connector(connector, secrets={"dsn": new_dsn}, forget=("extra",))
    assert connector_secrets.decrypt(Connector.objects.get(pk=connector.pk).secrets) == {
        "dsn": new_dsn
    }
    # The kind's check sees the merged secrets, not what the form sent.
    assert kind_checks.calls[1][2] == {"dsn": DSN, "extra": "keep-me"}


def test_unreadable_secrets_can_be_entered_again(organisation, kind_checks):
    connector, _token = sql(organisation, secrets={"dsn": DSN})
    Connector.objects.filter(pk=connector.pk).update(secrets="gAAAA-not-a-token")
    connector.refresh_from_db()
    update_connector(connector, secrets={"dsn": DSN})
    assert connector_secrets.decrypt(Connector.objects.get(pk=connector.pk).secrets) == {"dsn": DSN}


def test_a_refused_update_changes_nothing_stored(organisation, kind_checks):
    connector, _token = sql(organisation, secrets={"dsn": DSN})
    kind_checks.refuse = {"query": "Write one SELECT."}
    with pytest.raises(ValidationError):
        update_connector(connector, name="Renamed", secrets={"dsn": "postgresql://x:y@z/w"})
    stored = Connector.objects.get(pk=connector.pk)
    assert stored.name == "CRM quotes" and connector_secrets.decrypt(stored.secrets) == {"dsn": DSN}


def test_unknown_fields_are_a_programming_error(organisation, kind_checks):
    with pytest.raises(TypeError, match="token_hash"):
        sql(organisation, token_hash="x")
    connector, _token = sql(organisation)
    with pytest.raises(TypeError, match="failures_in_row"):
        update_connector(connector, failures_in_row=0)


def test_a_webhook_gets_a_token_shown_once_and_only_its_hash_is_kept(organisation, kind_checks):
    connector, token = create_connector(
        organisation=organisation, kind="webhook", code="typeform", name="Typeform NPS"
    )
    assert len(token) >= 32
    stored = Connector.objects.get(pk=connector.pk)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.token_hash == connector_secrets.hash_token(token)
    assert stored.token_hint == token[-4:] and token not in stored.secrets
    assert Connector.objects.filter(token_hash=connector_secrets.hash_token(token)).get() == stored

    new = rotate_token(stored)
    assert new != token
    assert not Connector.objects.filter(token_hash=connector_secrets.hash_token(token)).exists()
    assert Connector.objects.get(pk=connector.pk).token_hash == connector_secrets.hash_token(new)


def test_only_a_webhook_has_a_token_to_rotate(organisation, kind_checks):
    connector, _token = sql(organisation)
    with pytest.raises(ValidationError):
        rotate_token(connector)


def test_pause_and_resume(organisation, kind_checks):
    connector, _token = sql(organisation)
    set_paused(connector, True)
    assert Connector.objects.get(pk=connector.pk).paused is True
    set_paused(connector, False)
    assert Connector.objects.get(pk=connector.pk).paused is False


def test_the_code_new_is_refused_since_it_names_the_create_page(organisation, kind_checks):
    said = refusal(organisation=organisation, code="new")
    assert "page of its own" in said["code"]


def test_reading_another_way_forgets_the_file_state_and_the_watermark(organisation, kind_checks):
    connector, _token = sql(organisation, config={"query": "SELECT 1", "timeout_seconds": 5})
    state = {"etag": '"v1"', "sha256": "ab" * 32}
    mark = {"type": "int", "value": "41", "column": "id"}
    Connector.objects.filter(pk=connector.pk).update(file_state=state, watermark=mark)
    connector.refresh_from_db()

    update_connector(
        connector, name="CRM quotes, daily", config={**connector.config, "timeout_seconds": 9}
    )
    connector.refresh_from_db()
    assert (connector.file_state, connector.watermark) == (state, mark)  # read the same way

    update_connector(connector, config={**connector.config, "query": "SELECT 2"})
    connector.refresh_from_db()
    assert (connector.file_state, connector.watermark) == ({}, None)
