"""CSV / XLSX upload of responses: a preview that writes nothing, every error by row (file line)
and column, confirm all or nothing, and the survey's template."""

import csv
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.models import Question, Response, Survey

pytestmark = pytest.mark.django_db

HEADER = "respondent,submitted_at,nps,ease,comment,unit,customer_contact\n"


@pytest.fixture
def survey(organisation):
    survey = Survey.objects.create(organisation=organisation, code="rel", name="Relationship")
    Question.objects.create(
        survey=survey, code="nps", type="nps", text="Recommend?", scale_min=0, scale_max=10
    )
    Question.objects.create(
        survey=survey,
        code="ease",
        type="likert",
        text="Easy?",
        scale_min=1,
        scale_max=5,
        position=1,
    )
    Question.objects.create(survey=survey, code="comment", type="text", text="Why?", position=2)
    return survey


@pytest.fixture
def signed_in(client, analyst):
    client.force_login(analyst)
    return client


def send(client, survey, content: bytes, name: str = "responses.csv"):
    url = reverse("survey-upload", args=[survey.code])
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def token_of(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    return match.group(1) if match else ""


def confirm(client, survey, token):
    return client.post(reverse("survey-upload-confirm", args=[survey.code]), {"token": token})


def count(response, name: str) -> int:
    return int(re.search(rf'class="{name}">(\d+)<', response.content.decode()).group(1))


def errors_of(response) -> list[tuple[int, str]]:
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td><code>([^<]*)</code></td>', response.content.decode()
    )
    return [(int(row), column) for row, column in rows]


GOOD = (
    HEADER
    + "r1,2026-03-02,9,4,great service,north,yes\n"
    + "r2,2026-03-02 14:30,3,,,south,no\n"
    + "r3,2026-03-03T08:00:00+02:00,,5,,north,yes\n"
).encode()


def test_preview_counts_and_writes_nothing_until_confirm(signed_in, survey):
    response = send(signed_in, survey, GOOD)
    assert response.status_code == 200
    assert (count(response, "created"), count(response, "updated")) == (3, 0)
    assert Response.objects.count() == 0
    saved = confirm(signed_in, survey, token_of(response))
    assert saved.status_code == 302
    assert saved["Location"] == reverse("survey-results", args=[survey.code])
    stored = {r.respondent: r for r in Response.objects.filter(survey=survey)}
    assert set(stored) == {"r1", "r2", "r3"}
    assert stored["r1"].answers == {"nps": 9, "ease": 4, "comment": "great service"}
    assert stored["r1"].attributes == {"unit": "north", "customer_contact": "yes"}
    # An empty cell is a skipped answer: stored as null, never as 0.
    assert stored["r2"].answers == {"nps": 3, "ease": None, "comment": None}
    assert stored["r3"].answers["nps"] is None
    # A time without an offset is read in the organisation's time zone (Helsinki, UTC+2).
    assert stored["r2"].submitted_at.isoformat() == "2026-03-02T12:30:00+00:00"
    again = send(signed_in, survey, GOOD)
    assert count(again, "unchanged") == 3


def test_a_changed_answer_previews_as_one_update(signed_in, survey):
    confirm(signed_in, survey, token_of(send(signed_in, survey, GOOD)))
    changed = GOOD.replace(b"r1,2026-03-02,9,4", b"r1,2026-03-02,10,4")
    response = send(signed_in, survey, changed)
    assert (count(response, "updated"), count(response, "unchanged")) == (1, 2)
    confirm(signed_in, survey, token_of(response))
    assert Response.objects.get(respondent="r1").answers["nps"] == 10


def test_the_preview_names_answer_columns_and_background_variables(signed_in, survey):
    body = send(signed_in, survey, GOOD).content.decode()
    layout = re.search(r'<dl class="facts upload-layout">(.*?)</dl>', body, re.S).group(1)
    answers, attributes = re.findall(r"<dd>(.*?)</dd>", layout, re.S)
    assert re.findall(r"<code>(\w+)</code>", answers) == ["nps", "ease", "comment"]
    assert re.findall(r"<code>(\w+)</code>", attributes) == ["unit", "customer_contact"]
    first = re.search(r'<table class="grid compact upload-rows">.*?</table>', body, re.S).group(0)
    assert first.count("<tr>") == 1 + 3  # the header and the three rows as read


def test_bad_cells_are_named_by_file_line_and_column_and_nothing_is_written(signed_in, survey):
    content = (
        HEADER
        + "r1,2026-03-02,9,4,,north,yes\n"
        + "\n"  # a blank line: skipped, but the line numbers stay those of the file
        + "r2,2026-03-02,11,4,,north,yes\n"  # line 4: nps off the scale (service)
        + "r3,yesterday,7,four,,south,no\n"  # line 5: bad time, ease not a number (reading)
        + "r1,2026-03-04,8,3,,south,no\n"  # line 6: r1 again
        + ",2026-03-04,8,3,,south,no\n"  # line 7: no respondent
    ).encode()
    response = send(signed_in, survey, content)
    assert response.status_code == 200
    assert errors_of(response) == [
        (4, "nps"),
        (5, "submitted_at"),
        (5, "ease"),
        (6, "respondent"),
        (7, "respondent"),
    ]
    assert 'name="token"' not in response.content.decode()  # no confirm button
    token = re.search(r"/upload/([^/]+)/errors\.xlsx", response.content.decode()).group(1)
    assert confirm(signed_in, survey, token).status_code == 302
    assert Response.objects.count() == 0
    workbook = openpyxl.load_workbook(
        io.BytesIO(
            signed_in.get(reverse("survey-upload-errors", args=[survey.code, token])).content
        )
    )
    rows = list(workbook["responses"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == ["r1", "r2", "r3", "r1", None]
    assert not rows[0][-1]
    assert rows[1][-1].startswith("nps:")


def test_a_row_with_a_bad_cell_still_has_its_other_cells_checked(signed_in, survey):
    content = (HEADER + "r1,2026-03-02,11,four,,north,yes\n").encode()
    response = send(signed_in, survey, content)
    # ease is not a number (reading), nps is off the scale (the service's dry run)
    assert errors_of(response) == [(2, "nps"), (2, "ease")]


def test_semicolons_decimal_commas_and_cp1252_are_read(signed_in, survey):
    content = ("respondent;submitted_at;nps;ease;unit\r\n" + "ö-1;2.3.2026;8;4,0;Östra\r\n").encode(
        "cp1252"
    )
    response = send(signed_in, survey, content)
    # 2.3.2026 is not ISO: named at line 2, column submitted_at; the rest reads.
    assert errors_of(response) == [(2, "submitted_at")]
    fixed = content.replace("2.3.2026".encode("cp1252"), b"2026-03-02")
    response = send(signed_in, survey, fixed)
    confirm(signed_in, survey, token_of(response))
    stored = Response.objects.get()
    assert (stored.respondent, stored.answers["ease"], stored.attributes["unit"]) == (
        "ö-1",
        4,
        "Östra",
    )


def test_an_xlsx_sheet_with_dates_and_numbers_is_read(signed_in, survey):
    from datetime import datetime

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Respondent", "Submitted_at", "NPS", "unit"])
    sheet.append(["x1", datetime(2026, 3, 2, 9, 15), 10, 3])
    sheet.append(["x2", datetime(2026, 3, 2), None, "north"])
    out = io.BytesIO()
    workbook.save(out)
    response = send(signed_in, survey, out.getvalue(), name="responses.xlsx")
    assert count(response, "created") == 2, response.content.decode()[:2000]
    confirm(signed_in, survey, token_of(response))
    stored = {r.respondent: r for r in Response.objects.all()}
    assert stored["x1"].answers == {"nps": 10}
    assert stored["x1"].attributes == {"unit": "3"}
    assert stored["x2"].answers == {"nps": None}


def test_a_file_without_the_required_columns_is_refused_as_a_whole(signed_in, survey):
    response = send(signed_in, survey, b"id,nps\nr1,9\n")
    assert response.status_code == 400
    assert "respondent" in response.content.decode()
    assert Response.objects.count() == 0


def test_a_preview_of_one_survey_cannot_be_confirmed_into_another(signed_in, survey, organisation):
    other = Survey.objects.create(organisation=organisation, code="other", name="Other")
    Question.objects.create(
        survey=other, code="nps", type="nps", text="?", scale_min=0, scale_max=10
    )
    token = token_of(send(signed_in, survey, GOOD))
    assert confirm(signed_in, other, token).status_code == 302
    assert Response.objects.count() == 0


def test_the_template_has_the_surveys_columns(client, viewer, survey):
    client.force_login(viewer)
    response = client.get(reverse("survey-upload-template", args=[survey.code]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header == ["respondent", "submitted_at", "nps", "ease", "comment"]


def test_the_template_of_an_engagement_survey_has_its_unit_and_contact_columns(
    client, viewer, survey
):
    survey.kind = "engagement"
    survey.save()
    client.force_login(viewer)
    text = client.get(reverse("survey-upload-template", args=[survey.code])).content
    header = next(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert header[-2:] == ["unit", "customer_contact"]


def test_a_viewer_cannot_upload(client, viewer, survey):
    client.force_login(viewer)
    assert client.get(reverse("survey-upload", args=[survey.code])).status_code == 403
    assert send(client, survey, GOOD).status_code == 403
    assert Response.objects.count() == 0


def test_another_organisations_survey_answers_404(signed_in, other_organisation):
    theirs = Survey.objects.create(organisation=other_organisation, code="theirs", name="T")
    assert signed_in.get(reverse("survey-upload", args=[theirs.code])).status_code == 404
    assert send(signed_in, theirs, GOOD).status_code == 404


def test_an_xlsx_true_false_background_variable_is_refused_on_its_cell(signed_in, survey):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["respondent", "submitted_at", "nps", "customer_contact"])
    sheet.append(["x1", "2026-03-02", 10, True])
    sheet.append(["x2", "2026-03-02", 9, "yes"])
    out = io.BytesIO()
    workbook.save(out)
    response = send(signed_in, survey, out.getvalue(), name="responses.xlsx")
    assert errors_of(response) == [(2, "customer_contact")], response.content.decode()[:3000]
    assert not Response.objects.exists()
