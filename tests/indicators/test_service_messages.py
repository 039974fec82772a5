"""Messages of the ingest and definition services are in the active language, placeholders filled.

A tiny Swedish catalogue made for the test (the real sv/fi translations are added to `locale/`
separately) proves that each message goes through gettext with its msgid as written, named
placeholders included: an f-string, or a msgid changed without the catalogue, would stay English.
"""

import shutil
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from indicators.services import IngestError, create_indicator, update_indicator
from indicators.services.ingest import validate_batch
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

CATALOGUE = {
    "'%(name)s' is required.": "'%(name)s' krävs.",
    "Same natural key as item %(index)s in this batch.": "Samma nyckel som rad %(index)s i satsen.",
    "A dimension name may not contain ':'.": "Ett dimensionsnamn får inte innehålla ':'.",
    "The code of an indicator cannot be changed.": "En indikators kod kan inte ändras.",
    "Two targets from the same day: %(days)s.": "Två mål från samma dag: %(days)s.",
}


def _po(entries: dict[str, str]) -> str:
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    body = "".join(
        f'#, python-format\nmsgid "{msgid}"\nmsgstr "{msgstr}"\n\n'
        for msgid, msgstr in entries.items()
    )
    return header + body


@pytest.fixture
def swedish(tmp_path, settings):
    """A Swedish catalogue with CATALOGUE only, ahead of the project's own."""
    folder = tmp_path / "sv" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.po").write_text(_po(CATALOGUE), encoding="utf-8")
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt (gettext) is needed, as for compilemessages"
    subprocess.run([msgfmt, "-o", str(folder / "django.mo"), str(folder / "django.po")], check=True)
    # Changing LOCALE_PATHS drops Django's cached catalogues (and again when it is restored).
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]


@pytest.fixture
def ratio(organisation):
    return IndicatorFactory(organisation=organisation, code="ftr", aggregation="ratio")


def _errors(organisation, items) -> list[dict]:
    with pytest.raises(IngestError) as refused:
        validate_batch(organisation=organisation, items=items)
    return refused.value.errors


def test_ingest_errors_are_in_the_active_language(swedish, organisation, ratio):
    items = [
        {"indicator": "ftr", "observed_at": "2026-03-02", "numerator": 1},
        {"indicator": "ftr", "observed_at": "2026-03-03", "numerator": 1, "denominator": 2},
        {"indicator": "ftr", "observed_at": "2026-03-03", "numerator": 2, "denominator": 2},
        {
            "indicator": "ftr",
            "observed_at": "2026-03-04",
            "numerator": 1,
            "denominator": 2,
            "segment": {"a:b": "x"},
        },
    ]
    with translation.override("sv"):
        swedish_errors = _errors(organisation, items)
    with translation.override("en"):
        english_errors = _errors(organisation, items)
    assert [e["message"] for e in swedish_errors] == [
        "'denominator' krävs.",
        "Samma nyckel som rad 1 i satsen.",
        "Ett dimensionsnamn får inte innehålla ':'.",
    ]
    assert [e["message"] for e in english_errors] == [
        "'denominator' is required.",
        "Same natural key as item 1 in this batch.",
        "A dimension name may not contain ':'.",
    ]


def test_definition_errors_are_in_the_active_language(swedish, organisation):
    indicator = IndicatorFactory(organisation=organisation, code="nps")
    with translation.override("sv"), pytest.raises(ValidationError) as refused:
        update_indicator(indicator=indicator, data={"code": "nps2"})
    assert refused.value.message_dict["code"] == ["En indikators kod kan inte ändras."]
    targets = [{"from": "2026-01-01", "value": 1}, {"from": "2026-01-01", "value": 2}]
    data = {"code": "ces", "name": "CES", "aggregation": "mean", "targets": targets}
    with translation.override("sv"), pytest.raises(ValidationError) as refused:
        create_indicator(organisation=organisation, data=data)
    assert refused.value.message_dict["targets"] == ["Två mål från samma dag: 2026-01-01."]


def test_the_api_answers_errors_in_the_callers_language_english_by_default(swedish, api, ratio):
    batch = [{"indicator": "ftr", "observed_at": "2026-03-02", "numerator": 1}]
    swedish_answer = push(api, batch, HTTP_ACCEPT_LANGUAGE="sv")
    default_answer = push(api, batch)
    assert swedish_answer.status_code == default_answer.status_code == 400
    assert swedish_answer.json()["errors"][0]["message"] == "'denominator' krävs."
    assert default_answer.json()["errors"][0]["message"] == "'denominator' is required."
