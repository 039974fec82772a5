"""HMAC signatures of webhook calls, checked against published test vectors, and the rules of a
webhook connector's settings. No database: plain values."""

import base64

import pytest

from connectors.webhooks import validate_config
from connectors.webhooks.mapping import MappingFailed, compile_problem, map_payload
from connectors.webhooks.signature import (
    SignatureRefused,
    SignatureSettings,
    check_signature,
    digest,
)

# RFC 4231 test case 2 (SHA-256, SHA-512) and RFC 2202 test case 2 (SHA-1): key "Jefe".
KEY = "Jefe"
DATA = b"what do ya want for nothing?"
VECTORS = {
    "sha1": "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
    "sha256": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    "sha512": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a"
    "6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
}
NOW = 1_764_000_000.0


@pytest.mark.parametrize("algorithm", sorted(VECTORS))
def test_the_digest_is_the_published_hmac_in_hex_and_base64(algorithm):
    hex_settings = SignatureSettings(header="X-Sig", algorithm=algorithm, encoding="hex")
    assert digest(hex_settings, KEY, DATA) == VECTORS[algorithm]
    b64 = SignatureSettings(header="X-Sig", algorithm=algorithm, encoding="base64", prefix="p=")
    expected = "p=" + base64.b64encode(bytes.fromhex(VECTORS[algorithm])).decode()
    assert digest(b64, KEY, DATA) == expected


def test_a_timestamped_signature_covers_timestamp_dot_body():
    settings = SignatureSettings(
        header="X-Sig", timestamp_header="X-Time", signed="timestamp.body", encoding="hex"
    )
    # "1764" + "." + b"what do..." signed is not the body's own digest.
    assert digest(settings, KEY, DATA, "1764") != VECTORS["sha256"]
    plain = SignatureSettings(header="X-Sig", encoding="hex")
    assert digest(settings, KEY, DATA, "1764") == digest(plain, KEY, b"1764." + DATA)


def test_a_good_signature_passes_in_any_header_case_and_hex_case():
    settings = SignatureSettings(header="X-Hub-Signature-256", prefix="sha256=", encoding="hex")
    good = "sha256=" + VECTORS["sha256"].upper()
    check_signature(settings, KEY, DATA, {"x-hub-signature-256": good}, now=NOW)


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({}, "The X-Sig header is missing"),
        ({"X-Sig": "  "}, "The X-Sig header is missing"),
        ({"X-Sig": VECTORS["sha256"]}, "does not match"),  # the prefix is missing
        ({"X-Sig": "v1=" + VECTORS["sha1"]}, "does not match"),
        ({"X-Sig": "v1=ÿ"}, "does not match"),  # not even ASCII
    ],
)
def test_a_missing_or_wrong_signature_is_refused_naming_the_header(headers, says):
    settings = SignatureSettings(header="X-Sig", prefix="v1=", encoding="hex")
    with pytest.raises(SignatureRefused) as refused:
        check_signature(settings, KEY, DATA, headers, now=NOW)
    assert says in str(refused.value)
    assert refused.value.field == "X-Sig"
    assert KEY not in str(refused.value)
    assert VECTORS["sha256"] not in str(refused.value)  # never the digest we expected


def timestamped(tolerance: int = 300) -> SignatureSettings:
    return SignatureSettings(
        header="X-Sig",
        encoding="hex",
        timestamp_header="X-Time",
        tolerance_seconds=tolerance,
        signed="timestamp.body",
    )


def call(settings, sent: float) -> dict:
    stamp = str(int(sent))
    return {"X-Sig": digest(settings, KEY, DATA, stamp), "X-Time": stamp}


@pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
def test_a_timestamp_within_the_tolerance_passes(offset):
    settings = timestamped()
    check_signature(settings, KEY, DATA, call(settings, NOW + offset), now=NOW)


@pytest.mark.parametrize(
    ("offset", "says"),
    [
        (-301, "The call is too old: its X-Time is 301 s behind our clock"),
        (-86_400, "The call is too old: its X-Time is 86400 s behind"),
        (301, "The call is in the future: its X-Time is 301 s ahead"),
    ],
)
def test_a_timestamp_outside_the_tolerance_is_refused(offset, says):
    settings = timestamped()
    with pytest.raises(SignatureRefused) as refused:
        check_signature(settings, KEY, DATA, call(settings, NOW + offset), now=NOW)
    assert says in str(refused.value)
    assert refused.value.field == "X-Time"


def test_a_replayed_call_with_a_new_timestamp_but_the_old_signature_is_refused():
    settings = timestamped()
    old = call(settings, NOW - 1000)
    replay = {**old, "X-Time": str(int(NOW))}
    with pytest.raises(SignatureRefused, match="does not match"):
        check_signature(settings, KEY, DATA, replay, now=NOW)


@pytest.mark.parametrize("value", ["", "yesterday", "nan", "inf"])
def test_a_timestamp_that_is_no_unix_time_is_refused(value):
    settings = timestamped()
    headers = {"X-Sig": "00", "X-Time": value}
    with pytest.raises(SignatureRefused) as refused:
        check_signature(settings, KEY, DATA, headers, now=NOW)
    assert refused.value.field == "X-Time"


def test_without_a_header_nothing_is_checked():
    check_signature(SignatureSettings(), KEY, DATA, {}, now=NOW)
    settings = SignatureSettings.from_config({"header": "", "algorithm": ""})
    assert not settings.enabled
    assert settings.algorithm == "sha256"


# -- the settings' rules ------------------------------------------------------------------------

MEASUREMENTS = {
    "items": "rows",
    "fields": {"indicator": "'calls'", "observed_at": "at", "value": "n"},
}


def test_a_complete_measurements_mapping_is_fine():
    assert validate_config(MEASUREMENTS, {}, target="measurements") == {}


def test_an_expression_that_does_not_compile_names_the_field_and_the_complaint():
    config = {**MEASUREMENTS, "fields": {**MEASUREMENTS["fields"], "value": "n["}}
    config["segments"] = {"team": "team.[name"}
    errors = validate_config(config, {}, target="measurements")
    assert set(errors) == {"fields.value", "segments.team"}
    assert errors["fields.value"].startswith("Not a JMESPath expression: ")
    assert "at character" in errors["fields.value"]
    assert compile_problem("rows[?x == ") is not None
    assert compile_problem("rows[?x == 'a'].y") is None


def test_the_required_fields_need_expressions():
    errors = validate_config({"items": "rows"}, {}, target="measurements")
    assert set(errors) == {"fields.indicator", "fields.observed_at", "fields.value"}
    errors = validate_config({"answers": {"nps": "score"}}, {}, target="responses")
    assert set(errors) == {"fields.respondent", "fields.submitted_at"}
    errors = validate_config(
        {"fields": {"respondent": "id", "submitted_at": "at"}}, {}, target="responses"
    )
    assert set(errors) == {"answers"}


def test_fields_and_groups_of_the_other_target_are_refused():
    config = {**MEASUREMENTS, "answers": {"nps": "score"}}
    config["fields"] = {**MEASUREMENTS["fields"], "respondent": "id"}
    errors = validate_config(config, {}, target="measurements")
    assert set(errors) == {"fields.respondent", "answers"}


@pytest.mark.parametrize(
    ("signature", "field"),
    [
        ({"header": "X-Sig", "algorithm": "md5"}, "signature.algorithm"),
        ({"header": "X-Sig", "encoding": "base32"}, "signature.encoding"),
        ({"header": "X-Sig", "tolerance_seconds": 0}, "signature.tolerance_seconds"),
        ({"header": "X-Sig", "tolerance_seconds": 86_401}, "signature.tolerance_seconds"),
        ({"header": "X-Sig", "tolerance_seconds": "300"}, "signature.tolerance_seconds"),
        ({"header": "X-Sig", "tolerance_seconds": True}, "signature.tolerance_seconds"),
        ({"header": "X-Sig", "signed": "timestamp.body"}, "signature.timestamp_header"),
        ({"header": "X-Sig", "signed": "body.timestamp"}, "signature.signed"),
        ({"header": "X Sig"}, "signature.header"),
        ({"timestamp_header": "X-Time", "signed": "timestamp.body"}, "signature.header"),
        # An unsigned timestamp guards nothing: a captured call replays with a fresh one.
        ({"header": "X-Sig", "timestamp_header": "X-Time"}, "signature.signed"),
        ({"header": "X-Sig", "timestamp_header": "X-Time", "signed": "body"}, "signature.signed"),
    ],
)
def test_bad_signature_settings_are_refused_by_field(signature, field):
    config = {**MEASUREMENTS, "signature": signature}
    errors = validate_config(config, {"signing_secret": "s3cret"}, target="measurements")
    assert list(errors) == [field]


def test_a_timestamp_header_must_be_signed_with_the_body():
    signature = {"header": "X-Sig", "timestamp_header": "X-Time", "signed": "body"}
    config = {**MEASUREMENTS, "signature": signature}
    errors = validate_config(config, {"signing_secret": "s"}, target="measurements")
    assert errors == {
        "signature.signed": (
            "A timestamp guards against replays only when it is signed: choose timestamp.body "
            "(the sender signs “<timestamp>.<body>”), or clear the timestamp header."
        )
    }
    config["signature"] = {**signature, "signed": "timestamp.body"}
    assert validate_config(config, {"signing_secret": "s"}, target="measurements") == {}


def test_the_edges_of_the_tolerance_are_allowed():
    for tolerance in (1, 86_400):
        config = {**MEASUREMENTS, "signature": {"header": "X-Sig", "tolerance_seconds": tolerance}}
        assert validate_config(config, {"signing_secret": "s"}, target="measurements") == {}


def test_a_signature_header_needs_the_signing_secret():
    config = {**MEASUREMENTS, "signature": {"header": "X-Sig"}}
    assert list(validate_config(config, {}, target="measurements")) == ["signing_secret"]
    assert validate_config(config, {"signing_secret": "s"}, target="measurements") == {}


def test_settings_of_the_wrong_shape_are_refused_without_a_crash():
    errors = validate_config({"fields": ["at"], "signature": "X-Sig"}, {}, target="measurements")
    assert set(errors) == {"fields", "signature"}


# -- the mapping on plain values ----------------------------------------------------------------


def test_one_object_is_one_item_and_literals_are_constants():
    config = {"fields": {"indicator": "'calls'", "observed_at": "at", "value": "`7`"}}
    items = map_payload(config, {"at": "2026-11-02"}, target="measurements")
    assert items == [{"indicator": "calls", "observed_at": "2026-11-02", "value": 7}]


def test_the_star_attribute_takes_an_object_or_pairs_and_named_ones_win():
    config = {
        "fields": {"respondent": "id", "submitted_at": "at"},
        "attributes": {"*": "extra", "unit": "team"},
        "answers": {"nps": "score", "ces": "missing"},
    }
    row = {"id": "r1", "at": "2026-11-02", "score": 9, "team": "north"}
    [item] = map_payload(
        config, {**row, "extra": {"unit": "x", "plan": "gold"}}, target="responses"
    )
    assert item["attributes"] == {"unit": "north", "plan": "gold"}
    assert item["answers"] == {"nps": 9, "ces": None}
    [item] = map_payload(config, {**row, "extra": [["plan", "gold"]]}, target="responses")
    assert item["attributes"] == {"plan": "gold", "unit": "north"}
    with pytest.raises(MappingFailed) as failed:
        map_payload(config, {**row, "extra": "gold"}, target="responses")
    assert [(e["index"], e["field"]) for e in failed.value.errors] == [(0, "attributes.*")]


def test_items_that_are_not_objects_and_failing_functions_are_named():
    config = {"items": "rows", "fields": {"indicator": "'c'", "observed_at": "length(at)"}}
    with pytest.raises(MappingFailed) as failed:
        map_payload(config, {"rows": [{"at": 5}, 3]}, target="measurements")
    assert [(e["index"], e["field"]) for e in failed.value.errors] == [
        (0, "observed_at"),
        (1, "items"),
    ]
    assert "It fails on item 0" in failed.value.errors[0]["message"]
    assert failed.value.errors[1]["message"] == "Item 1 is a number, not a JSON object."
    with pytest.raises(MappingFailed) as failed:
        map_payload(config, {"rows": "nope"}, target="measurements")
    assert failed.value.errors[0]["message"] == (
        "It gives a string, not a list of objects or one object."
    )
