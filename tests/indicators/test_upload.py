"""CSV / XLSX upload: preview without writing, every error by row and column, confirm all or nothing."""

import io
import re
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from indicators.models import Measurement
from indicators.upload import parse_number
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

HEADER = "indicator,observed_at,value,numerator,denominator,segment,key,comment\n"


@pytest.fixture
def indicators(organisation):
    return [
        IndicatorFactory(organisation=organisation, code="fast_quote", period="day"),
        IndicatorFactory(
            organisation=organisation,
            code="ftr",
            aggregation="ratio",
            unit="%",
            direction="higher_is_better",
        ),
    ]


@pytest.fixture
def signed_in(client, analyst):
    client.force_login(analyst)
    return client


def send(client, content: bytes, name: str = "data.csv"):
    return client.post(reverse("upload"), {"file": SimpleUploadedFile(name, content)})


def token_of(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    return match.group(1) if match else ""


def xlsx(rows, setup=None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if setup:
        setup(sheet)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_preview_counts_and_writes_nothing_until_confirm(signed_in, indicators):
    content = (
        HEADER
        + "fast_quote,2026-03-02,41.5,,,channel:web,,\n"
        + "ftr,2026-03-02,,87,100,,k1,first\n"
    ).encode()
    response = send(signed_in, content)
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r'class="created">2<', body)
    assert Measurement.objects.count() == 0
    confirm = signed_in.post(reverse("upload-confirm"), {"token": token_of(response)})
    assert confirm.status_code == 302
    assert Measurement.objects.count() == 2
    again = send(signed_in, content)
    assert re.search(r'class="unchanged">2<', again.content.decode())


def test_every_error_is_listed_by_row_and_column_and_confirm_is_refused(signed_in, indicators):
    content = (
        HEADER
        + "fast_quote,2026-03-02,abc,,,,,\n"
        + "nope,2026-03-02,1,,,,,\n"
        + "fast_quote,not a date,1,,,,,\n"
        + "ftr,2026-03-02,5,,,,,\n"
        + "fast_quote,2026-03-03,2,,,web,,\n"
    ).encode()
    response = send(signed_in, content)
    body = response.content.decode()
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td><code>(\w+)</code>', body)
    assert ("2", "value") in rows
    assert ("3", "indicator") in rows
    assert ("4", "observed_at") in rows
    assert ("5", "numerator") in rows or ("5", "value") in rows
    assert ("6", "segment") in rows
    assert 'name="token"' not in body  # no confirm button
    errors_url = re.search(r'href="(/upload/[^"]+/errors.xlsx)"', body).group(1)
    download = signed_in.get(errors_url)
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][-1] == "error"
    assert "Not a number" in table[1][-1]
    assert Measurement.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\n\n", "The file is empty"),
        (b"indicator;when;value\nfast_quote;2026-03-02;1\n", "Unknown column(s): when"),
        (b"indicator,value\nfast_quote,1\n", "Missing column(s): observed_at"),
        (HEADER.encode(), "header but no rows"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1garbage", "Old .xls"),
    ],
)
def test_unreadable_files_get_a_clear_message(signed_in, indicators, content, message):
    response = send(signed_in, content)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_broken_xlsx_is_refused_not_a_500(signed_in, indicators):
    response = send(signed_in, b"PK\x03\x04 not really a zip", "broken.xlsx")
    assert response.status_code == 400
    assert "not a readable Excel workbook" in response.content.decode()


def test_cp1252_and_utf8_bom_semicolon_csv_with_decimal_commas_are_read(signed_in, indicators):
    text = "indicator;observed_at;value;comment\nfast_quote;2026-03-02;12,5;Kundtjänst på väg\n"
    for content in (text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        response = send(signed_in, content)
        assert response.status_code == 200, response.content
        assert re.search(r'class="(created|unchanged)">1<', response.content.decode())
        signed_in.post(reverse("upload-confirm"), {"token": token_of(response)})
    measurement = Measurement.objects.get()
    assert measurement.value == 12.5
    assert measurement.comment == "Kundtjänst på väg"


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("12,5", 12.5),
        ("1 234,5", 1234.5),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("-3", -3.0),
        (7, 7.0),
        ("", None),
        (None, None),
    ],
)
def test_numbers_are_read_with_comma_or_point(raw, number):
    assert parse_number(raw) == number


@pytest.mark.parametrize("raw", ["abc", "nan", "inf", True])
def test_non_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        parse_number(raw)


def test_xlsx_with_dates_numbers_and_json_segment_is_read(signed_in, indicators):
    from datetime import date, datetime

    content = xlsx(
        [
            ["indicator", "observed_at", "value", "segment", "key"],
            ["fast_quote", date(2026, 3, 2), 10, '{"channel": "web"}', 123],
            ["fast_quote", datetime(2026, 3, 2, 14, 30), "11,5", "channel:shop", None],
        ]
    )
    response = send(signed_in, content, "data.xlsx")
    assert re.search(r'class="created">2<', response.content.decode()), response.content
    signed_in.post(reverse("upload-confirm"), {"token": token_of(response)})
    keyed = Measurement.objects.get(key="123")
    assert keyed.segment == {"channel": "web"}
    timed = Measurement.objects.get(key=None)
    assert timed.value == 11.5 and timed.observed_at.hour == 12  # 14:30 Helsinki = 12:30 UTC


def test_merged_cells_are_refused_with_their_address(signed_in, indicators):
    content = xlsx(
        [
            ["indicator", "observed_at", "value"],
            ["fast_quote", "2026-03-02", 1],
            ["fast_quote", "2026-03-03", 2],
        ],
        setup=lambda sheet: sheet.merge_cells("A2:A3"),
    )
    response = send(signed_in, content, "merged.xlsx")
    assert response.status_code == 400
    assert "merged cells (A2:A3)" in response.content.decode()


def test_formulas_are_errors_in_their_cell(signed_in, indicators):
    content = xlsx(
        [
            ["indicator", "observed_at", "value"],
            ["fast_quote", "2026-03-02", "=1+1"],
        ]
    )
    body = send(signed_in, content, "formula.xlsx").content.decode()
    assert "formula" in body and "=1+1" in body
    assert 'name="token"' not in body


def test_duplicate_rows_across_the_file_are_errors(signed_in, indicators):
    content = (HEADER + "fast_quote,2026-03-02,1,,,,,\nfast_quote,2026-03-02,2,,,,,\n").encode()
    body = send(signed_in, content).content.decode()
    assert "Same measurement as row 2" in body


def test_a_stale_or_foreign_token_saves_nothing(signed_in, indicators):
    response = signed_in.post(reverse("upload-confirm"), {"token": "../../etc/passwd"})
    assert response.status_code == 302
    assert Measurement.objects.count() == 0


def test_template_workbook_has_the_api_columns(signed_in):
    response = signed_in.get(reverse("upload-template"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["measurements"]
    assert [c.value for c in sheet[1]] == [
        "indicator",
        "observed_at",
        "value",
        "numerator",
        "denominator",
        "segment",
        "key",
        "comment",
    ]


@pytest.mark.django_db(transaction=True)
def test_fifty_thousand_rows_are_written_in_batches_all_or_nothing(client, analyst, indicators):
    client.force_login(analyst)
    lines = [HEADER]
    for n in range(50_000):
        lines.append(f"fast_quote,2026-0{1 + n % 6}-{1 + n % 28:02d},{n % 97},,,,k{n},\n")
    content = "".join(lines).encode()
    started = time.monotonic()
    response = send(client, content)
    preview_seconds = time.monotonic() - started
    assert re.search(r'class="created">50000<', response.content.decode())
    started = time.monotonic()
    confirm = client.post(reverse("upload-confirm"), {"token": token_of(response)})
    confirm_seconds = time.monotonic() - started
    assert confirm.status_code == 302
    assert Measurement.objects.count() == 50_000
    print(f"50,000 rows: preview {preview_seconds:.1f}s, confirm {confirm_seconds:.1f}s")


@pytest.mark.django_db(transaction=True)
def test_a_refused_batch_rolls_back_the_batches_before_it(client, analyst, indicators, monkeypatch):
    from indicators import upload

    client.force_login(analyst)
    lines = [HEADER] + [f"fast_quote,2026-01-01,{n},,,,k{n},\n" for n in range(25)]
    response = send(client, "".join(lines).encode())
    token = token_of(response)
    monkeypatch.setattr("django.conf.settings.INGEST_MAX_ITEMS", 10)
    real = upload.flow.ingest_measurements  # the flow looks the service up in its own module
    calls = []

    def third_batch_refused(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            from indicators.services import IngestError

            raise IngestError([{"index": 0, "field": "indicator", "message": "deleted meanwhile"}])
        return real(**kwargs)

    monkeypatch.setattr(upload.flow, "ingest_measurements", third_batch_refused)
    client.post(reverse("upload-confirm"), {"token": token})
    assert len(calls) == 3
    assert Measurement.objects.count() == 0


def test_a_preview_left_unconfirmed_for_a_day_expires_and_is_swept(signed_in, indicators):
    import os

    from indicators import upload

    response = send(signed_in, b"indicator,observed_at,value\nfast_quote,2026-03-02,12\n")
    token = token_of(response)
    path = upload.STORE / f"{token}.json"
    day_ago = time.time() - upload.PENDING_SECONDS - 1
    os.utime(path, (day_ago, day_ago))
    response = signed_in.post(reverse("upload-confirm"), {"token": token})
    assert Measurement.objects.count() == 0
    fresh = token_of(send(signed_in, b"indicator,observed_at,value\nfast_quote,2026-03-03,13\n"))
    assert not path.exists()
    signed_in.post(reverse("upload-confirm"), {"token": fresh})
    assert Measurement.objects.count() == 1  # a fresh preview still confirms
