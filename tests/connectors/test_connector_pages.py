"""The connector pages: every member reads the list and a connector's page; only admins create,
edit, pause, run, renew and delete (403 for the others, their buttons hidden); another
organisation's connector is a 404. The list says each connector's state in words, the detail
its settings with secrets masked, its run log newest first 20 a page, and the indicators it fed;
a new webhook's address is shown once, then only its hint."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from connectors import secrets as connector_secrets
from connectors.models import Connector, Feed, Run, RunStatus, RunTrigger
from connectors.services import create_connector, set_paused
from indicators.models import PeriodValue
from tests.connectors.connector_pages_data import (
    DSN,
    SECRETS,
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

WRITES = ("connector-edit", "connector-delete")
POSTS = ("connector-run", "connector-pause", "connector-resume", "connector-rotate")


@pytest.fixture(autouse=True)
def kind_validators(monkeypatch):
    use_kind_validators(monkeypatch)


@pytest.fixture
def admin(organisation):
    return make_admin(organisation)


@pytest.fixture
def fast_quote(organisation):
    return IndicatorFactory(organisation=organisation, code="fast_quote", name="Fast Quote")


@pytest.fixture
def survey(organisation):
    return make_survey(organisation, code="rel", name="Relationship")


@pytest.fixture
def sql_connector(organisation, fast_quote):
    connector, _token = create_connector(
        organisation=organisation,
        kind="sql",
        code="crm-quotes",
        name="CRM quotes",
        config={
            "query": "SELECT day, seconds FROM quotes",
            "watermark_column": "day",
            "timeout_seconds": 60,
            "indicator": "fast_quote",
            "columns": {"observed_at": "day", "value": "seconds"},
            "segments": {},
        },
        secrets={"dsn": DSN},
        schedule="0 6 * * 1-5",
    )
    return connector


@pytest.fixture
def webhook(organisation, survey):
    connector, token = create_connector(
        organisation=organisation,
        kind="webhook",
        code="tally-nps",
        name="Tally NPS",
        config={"preset": "tally"},
        secrets={"signing_secret": SIGNING_SECRET},
        target="responses",
        survey=survey,
    )
    connector.token = token
    return connector


def logged_in(client, user):
    client.force_login(user)
    return client


def html_of(response) -> str:
    return response.content.decode()


def runs(connector, count: int, *, start=None, **fields) -> list[Run]:
    start = start or timezone.now() - timedelta(days=1)
    made = [
        Run(
            connector=connector,
            trigger=RunTrigger.SCHEDULE,
            status=fields.get("status", RunStatus.SUCCEEDED),
            started_at=start + timedelta(minutes=15 * i),
            finished_at=start + timedelta(minutes=15 * i, seconds=2),
            rows=fields.get("rows", i),
            created=fields.get("created", 1),
            message=fields.get("message", f"run {i}"),
            errors=fields.get("errors", []),
            error_count=len(fields.get("errors", [])),
        )
        for i in range(count)
    ]
    return Run.objects.bulk_create(made)


# --- who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize("member", ["viewer", "analyst"])
def test_viewers_and_analysts_read_the_list_and_page_but_see_no_buttons(
    client, request, member, sql_connector
):
    logged_in(client, request.getfixturevalue(member))
    listed = client.get(reverse("connector-list"))
    assert listed.status_code == 200 and "CRM quotes" in html_of(listed)
    assert reverse("connector-create", args=["sql"]) not in html_of(listed)
    page = client.get(reverse("connector-detail", args=["crm-quotes"]))
    assert page.status_code == 200
    for name in (*WRITES, *POSTS):
        assert reverse(name, args=["crm-quotes"]) not in html_of(page)


@pytest.mark.parametrize("member", ["viewer", "analyst"])
def test_only_admins_may_change_a_connector(client, request, member, sql_connector, webhook):
    logged_in(client, request.getfixturevalue(member))
    for kind in ("sql", "file", "webhook"):
        assert client.get(reverse("connector-create", args=[kind])).status_code == 403
        assert client.post(reverse("connector-create", args=[kind]), sql_data()).status_code == 403
    for name in WRITES:
        assert client.get(reverse(name, args=["crm-quotes"])).status_code == 403
        assert client.post(reverse(name, args=["crm-quotes"])).status_code == 403
    for name in POSTS:
        code = "tally-nps" if name == "connector-rotate" else "crm-quotes"
        assert client.post(reverse(name, args=[code])).status_code == 403
    sql_connector.refresh_from_db()
    assert not sql_connector.paused and Connector.objects.count() == 2
    assert not Run.objects.exists()


def test_another_organisations_connector_is_not_found(client, admin, other_organisation):
    connector, _token = create_connector(
        organisation=other_organisation,
        kind="file",
        code="theirs",
        name="Theirs",
        config={"url": "https://rival.example/m.csv"},
    )
    logged_in(client, admin)
    assert "Theirs" not in html_of(client.get(reverse("connector-list")))
    assert client.get(reverse("connector-detail", args=["theirs"])).status_code == 404
    for name in WRITES:
        assert client.get(reverse(name, args=["theirs"])).status_code == 404
    for name in (*POSTS, "connector-delete"):
        assert client.post(reverse(name, args=["theirs"])).status_code == 404
    assert Connector.objects.filter(pk=connector.pk).exists()


def test_a_create_page_of_an_unknown_kind_is_not_found(client, admin):
    logged_in(client, admin)
    assert client.get(reverse("connector-create", args=["ftp"])).status_code == 404


def test_the_nav_shows_connectors_to_every_member(client, viewer):
    logged_in(client, viewer)
    assert f'href="{reverse("connector-list")}"' in html_of(client.get(reverse("home")))


# --- the list ---------------------------------------------------------------------------------


def test_an_empty_list_explains_the_three_kinds_with_a_button_each_for_admins(client, admin):
    logged_in(client, admin)
    html = html_of(client.get(reverse("connector-list")))
    assert "No connector yet" in html
    for kind in ("sql", "file", "webhook"):
        assert f'href="{reverse("connector-create", args=[kind])}"' in html


def test_an_empty_list_asks_a_viewer_to_ask_an_admin(client, viewer):
    logged_in(client, viewer)
    html = html_of(client.get(reverse("connector-list")))
    assert "Ask an admin" in html and reverse("connector-create", args=["sql"]) not in html


def test_the_list_says_each_state_in_words_and_colour(
    client, admin, organisation, sql_connector, webhook
):
    failing, _token = create_connector(
        organisation=organisation,
        kind="file",
        code="broken",
        name="Broken file",
        config={"url": "https://x.example/m.csv"},
    )
    runs(sql_connector, 3, rows=7, created=2)  # the latest: rows 7, created 2
    runs(failing, 1, status=RunStatus.FAILED, rows=0, created=0)
    Connector.objects.filter(pk=failing.pk).update(failures_in_row=4, last_run_at=timezone.now())
    Connector.objects.filter(pk=sql_connector.pk).update(last_run_at=timezone.now())
    set_paused(webhook, True)
    logged_in(client, admin)
    html = html_of(client.get(reverse("connector-list")))
    assert (
        '<span class="pill worse connector-state" data-state="failing">failing: 4 runs in a row'
        in html
    )
    assert 'data-state="ok">ok</span>' in html
    assert 'class="pill state connector-state" data-state="paused">paused' in html
    assert "At 06:00, Monday through Friday" in html  # the schedule in words
    assert "responses to the survey “Relationship”" in html and "when called" in html
    row = html.split("CRM quotes")[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    assert cells == ["7", "2", "0", "0"]


def test_a_connector_that_never_ran_says_so(client, admin, sql_connector):
    logged_in(client, admin)
    html = html_of(client.get(reverse("connector-list")))
    assert 'data-state="never">never run' in html


# --- the detail page --------------------------------------------------------------------------


def test_the_page_shows_settings_masked_schedule_next_run_and_buttons(client, admin, sql_connector):
    logged_in(client, admin)
    html = html_of(client.get(reverse("connector-detail", args=["crm-quotes"])))
    assert "crm@db.example:5432/crm (password stored)" in html
    assert "SELECT day, seconds FROM quotes" in html
    assert "At 06:00, Monday through Friday" in html and "Next run:" in html
    for name in ("connector-run", "connector-pause", "connector-edit", "connector-delete"):
        assert reverse(name, args=["crm-quotes"]) in html
    assert 'name="dry_run" value="1"' in html and "csrfmiddlewaretoken" in html
    assert reverse("connector-rotate", args=["crm-quotes"]) not in html  # not a webhook


def test_the_next_run_is_the_next_weekday_morning_in_the_organisations_time_zone(
    sql_connector,
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from connectors.views.summary import next_run_at

    helsinki = ZoneInfo("Europe/Helsinki")
    friday_noon = datetime(2026, 12, 4, 12, 0, tzinfo=helsinki)  # a Friday
    assert next_run_at(sql_connector, friday_noon) == datetime(2026, 12, 7, 6, 0, tzinfo=helsinki)
    set_paused(sql_connector, True)
    assert next_run_at(sql_connector, friday_noon) is None


def test_the_run_log_is_newest_first_twenty_a_page(client, viewer, sql_connector):
    runs(sql_connector, 45)  # run 44 is the newest
    logged_in(client, viewer)
    url = reverse("connector-detail", args=["crm-quotes"])
    first = html_of(client.get(url))
    assert first.count('<tr class="run-succeeded">') == 20
    assert (
        first.index("run 44</span>") < first.index("run 25</span>") and "run 24</span>" not in first
    )
    assert "Page 1 of 3" in first
    last = html_of(client.get(url, {"page": 3}))
    assert last.count('<tr class="run-succeeded">') == 5 and "run 0</span>" in last
    assert "run 5</span>" not in last and "run 4</span>" in last


def test_a_failed_run_shows_its_first_errors_with_index_and_field(client, viewer, sql_connector):
    errors = [{"index": i, "field": "value", "message": f"bad {i}"} for i in range(8)]
    runs(sql_connector, 1, status=RunStatus.FAILED, errors=errors, message="8 refused")
    logged_in(client, viewer)
    html = html_of(client.get(reverse("connector-detail", args=["crm-quotes"])))
    assert '<span class="pill worse">failed</span>' in html
    # A SQL pull's error index counts rows from 0; the page counts them from 1.
    assert "row 5, value: bad 4" in html and "row 6, value" not in html
    assert "and 3 more" in html


def test_the_chart_has_rows_per_run_by_status(client, viewer, sql_connector):
    import json

    runs(sql_connector, 3, rows=10)
    runs(sql_connector, 1, status=RunStatus.FAILED, rows=0)
    logged_in(client, viewer)
    html = html_of(client.get(reverse("connector-detail", args=["crm-quotes"])))
    figure = json.loads(
        html.split('<script type="application/json" id="runs-figure">')[1].split("</script>")[0]
    )
    by_name = {trace["name"]: trace for trace in figure["data"]}
    assert by_name["succeeded"]["y"] == [10, 10, 10] and by_name["succeeded"]["type"] == "bar"
    assert by_name["failed"]["y"] == [0] and by_name["failed"]["mode"] == "markers"


def test_the_page_lists_the_indicators_it_fed_with_their_stale_flag(
    client, viewer, organisation, sql_connector, fast_quote
):
    quiet = IndicatorFactory(organisation=organisation, code="quiet", name="Quiet one")
    for indicator, start in ((fast_quote, date.today().replace(day=1)), (quiet, date(2020, 1, 1))):
        PeriodValue.objects.create(
            indicator=indicator,
            period="month",
            period_start=start,
            value=42,
            count=1,
            computed_at=timezone.now(),
        )
        Feed.objects.create(
            connector=sql_connector, indicator=indicator, last_delivered_at=timezone.now()
        )
    logged_in(client, viewer)
    html = html_of(client.get(reverse("connector-detail", args=["crm-quotes"])))
    feeds = html.split("Indicators it feeds")[1].split("</ul>")[0].split("<li>")[1:]
    assert [item.split("</a>")[0].split(">")[-1] for item in feeds] == ["Fast Quote", "Quiet one"]
    assert f'href="{reverse("indicator-detail", args=["fast_quote"])}"' in feeds[0]
    # This month's value is on time; the last one in January 2020 is long overdue.
    assert "stale" not in feeds[0] and '<span class="pill stale">stale</span>' in feeds[1]


def test_a_viewer_never_sees_the_new_webhook_address(client, admin, viewer, survey):
    logged_in(client, admin)
    client.post(reverse("connector-create", args=["webhook"]), webhook_data(preset="tally"))
    token_url = client.session["connector-new-webhook-url"]["url"]
    client.force_login(viewer)
    assert token_url not in html_of(client.get(reverse("connector-detail", args=["tally-nps"])))


# --- secrets never on a page ------------------------------------------------------------------


def test_no_page_or_form_shows_a_secret(client, admin, viewer, organisation, fast_quote, survey):
    logged_in(client, admin)
    create = client.post(reverse("connector-create", args=["sql"]), sql_data())
    assert create.status_code == 302
    client.post(reverse("connector-create", args=["file"]), file_data())
    client.post(reverse("connector-create", args=["webhook"]), webhook_data())
    assert Connector.objects.count() == 3
    # A refused form is shown again with what was typed: never the secrets.
    refused = [
        client.post(reverse("connector-create", args=["sql"]), sql_data(code="x", query="DROP")),
        client.post(reverse("connector-create", args=["file"]), file_data(code="y", url="ftp:")),
        client.post(
            reverse("connector-create", args=["webhook"]), webhook_data(code="z", answers="nps=[")
        ),
        client.post(reverse("connector-edit", args=["crm-quotes"]), sql_data(dsn=DSN, query="x")),
    ]
    assert [r.status_code for r in refused] == [400, 400, 400, 400]
    pages = [*refused]
    for user in (admin, viewer):
        client.force_login(user)
        pages.append(client.get(reverse("connector-list")))
        for code in ("crm-quotes", "quotes-file", "tally-nps"):
            pages.append(client.get(reverse("connector-detail", args=[code])))
            if user == admin:
                pages.append(client.get(reverse("connector-edit", args=[code])))
                pages.append(client.get(reverse("connector-delete", args=[code])))
    assert len(pages) == 4 + 1 + 3 * 3 + 1 + 3
    for page in pages:
        html = html_of(page)
        for secret in SECRETS:
            assert secret not in html, (page.request["PATH_INFO"], secret)
    html = html_of(client.get(reverse("connector-detail", args=["quotes-file"])))
    assert "Authorization: ••••" in html


# --- the flows --------------------------------------------------------------------------------


def test_a_new_webhook_shows_its_full_address_once_then_only_its_hint(client, admin, survey):
    logged_in(client, admin)
    created = client.post(reverse("connector-create", args=["webhook"]), webhook_data())
    assert created.status_code == 302
    assert created["Location"] == reverse("connector-detail", args=["tally-nps"])
    first = html_of(client.get(created["Location"]))
    url = first.split('<code id="connector-new-url">')[1].split("</code>")[0]
    assert url.startswith(settings.SITE_URL + "/hooks/")
    token = url.removeprefix(settings.SITE_URL + "/hooks/").rstrip("/")
    connector = Connector.objects.get(code="tally-nps")
    assert connector_secrets.hash_token(token) == connector.token_hash
    assert 'data-copy="connector-new-url"' in first
    again = html_of(client.get(created["Location"]))
    assert token not in again
    assert f"/hooks/••••{token[-4:]}/" in again


def test_renewing_the_url_makes_a_new_token_shown_once(client, admin, webhook):
    logged_in(client, admin)
    old_hash = webhook.token_hash
    answer = client.post(reverse("connector-rotate", args=["tally-nps"]))
    assert answer.status_code == 302
    html = html_of(client.get(answer["Location"]))
    token = html.split('<code id="connector-new-url">')[1].split("</code>")[0].rstrip("/")
    token = token.rsplit("/", 1)[1]
    webhook.refresh_from_db()
    assert webhook.token_hash != old_hash
    assert webhook.token_hash == connector_secrets.hash_token(token)
    assert webhook.token not in html  # the old token
    assert "the old one no longer works" in html


def test_pause_and_resume_change_the_state_and_the_schedule(client, admin, sql_connector):
    logged_in(client, admin)
    paused = client.post(reverse("connector-pause", args=["crm-quotes"]), follow=True)
    sql_connector.refresh_from_db()
    assert sql_connector.paused and not sql_connector.periodic_task.enabled
    html = html_of(paused)
    assert "is paused" in html and reverse("connector-resume", args=["crm-quotes"]) in html
    assert "Next run:" not in html
    client.post(reverse("connector-resume", args=["crm-quotes"]))
    sql_connector.refresh_from_db()
    assert not sql_connector.paused and sql_connector.periodic_task.enabled
    assert client.get(reverse("connector-pause", args=["crm-quotes"])).status_code == 405


def _fake_pull(rows: int, *, fail: str = ""):
    """A puller that reads `rows` rows (or fails) without a database: the page's part only."""
    from connectors.services import PullFailed

    def pull(connector, *, run, dry_run):
        if fail:
            raise PullFailed(fail, [{"index": 2, "field": "value", "message": "not a number"}])
        run.rows, run.created, run.updated, run.unchanged = rows, 3, 2, rows - 5

    return pull


@pytest.mark.parametrize("dry_run", [False, True])
def test_run_now_and_dry_run_say_what_was_or_would_be_written(
    client, admin, sql_connector, monkeypatch, dry_run
):
    from connectors.services import runs as run_service

    monkeypatch.setattr(run_service, "puller_for", lambda kind: _fake_pull(12))
    logged_in(client, admin)
    data = {"dry_run": "1"} if dry_run else {}
    answer = client.post(reverse("connector-run", args=["crm-quotes"]), data, follow=True)
    html = html_of(answer)
    run = Run.objects.get(connector=sql_connector)
    assert run.dry_run is dry_run and run.trigger == RunTrigger.MANUAL
    if dry_run:
        assert "Dry run: 12 rows read. A real run would create 3, update 2 and leave 7" in html
        assert "Nothing was written." in html
    else:
        assert "Run finished: 12 rows read, 3 created, 2 updated, 7 unchanged." in html
    assert "run-succeeded" in html


def test_dry_run_by_query_parameter(client, admin, sql_connector, monkeypatch):
    from connectors.services import runs as run_service

    monkeypatch.setattr(run_service, "puller_for", lambda kind: _fake_pull(9))
    logged_in(client, admin)
    client.post(reverse("connector-run", args=["crm-quotes"]) + "?dry_run=1")
    assert Run.objects.get(connector=sql_connector).dry_run


def test_an_error_that_repeats_the_run_message_is_not_listed_twice(client, viewer, make_connector):
    hook = make_connector("webhook", code="hook")
    said = "The X-Sig header is missing."
    errors = [{"index": None, "field": "X-Sig", "message": said}]
    runs(hook, 1, status=RunStatus.FAILED, errors=errors, message=said)
    file_pull = make_connector("file", code="feed")
    refused = [{"index": 14, "field": "value", "message": "Not a number."}]
    runs(file_pull, 1, status=RunStatus.FAILED, errors=refused, message="1 item(s) refused")
    logged_in(client, viewer)
    html = html_of(client.get(reverse("connector-detail", args=["hook"])))
    assert html.count(said) == 1 and "item None" not in html
    html = html_of(client.get(reverse("connector-detail", args=["feed"])))
    assert "line 14, value: Not a number." in html  # a file's errors name its line


def test_a_failed_run_now_says_why(client, admin, sql_connector, monkeypatch):
    from connectors.services import runs as run_service

    monkeypatch.setattr(
        run_service, "puller_for", lambda kind: _fake_pull(0, fail="1 item(s) refused")
    )
    logged_in(client, admin)
    html = html_of(client.post(reverse("connector-run", args=["crm-quotes"]), follow=True))
    assert "The run failed: 1 item(s) refused" in html and "row 3, value: not a number" in html


def test_a_webhook_has_nothing_to_run(client, admin, webhook):
    logged_in(client, admin)
    html = html_of(client.post(reverse("connector-run", args=["tally-nps"]), follow=True))
    assert "nothing to pull" in html and not Run.objects.exists()
    assert reverse("connector-run", args=["tally-nps"]) not in html.split("nothing to pull")[1]


def test_delete_confirms_that_the_log_goes_and_the_data_stays(
    client, admin, sql_connector, fast_quote
):
    runs(sql_connector, 3)
    Feed.objects.create(
        connector=sql_connector, indicator=fast_quote, last_delivered_at=timezone.now()
    )
    task = sql_connector.periodic_task_id
    logged_in(client, admin)
    url = reverse("connector-delete", args=["crm-quotes"])
    confirm = html_of(client.get(url))
    assert "Its run log goes with it: 3 runs." in confirm
    assert "What it delivered stays:" in confirm and "Fast Quote" in confirm
    answer = client.post(url)
    assert answer.status_code == 302 and answer["Location"] == reverse("connector-list")
    assert not Connector.objects.exists() and not Run.objects.exists()
    from django_celery_beat.models import PeriodicTask

    assert not PeriodicTask.objects.filter(pk=task).exists()
    assert fast_quote.__class__.objects.filter(pk=fast_quote.pk).exists()


def test_more_runs_than_the_chart_draws_are_summed_per_day(organisation, sql_connector):
    from datetime import datetime

    from connectors.charts import MAX_RUNS_DRAWN, runs_figure

    tz = organisation.tz
    start = datetime(2026, 11, 1, 0, 0, tzinfo=tz)
    made = runs(sql_connector, MAX_RUNS_DRAWN + 1, start=start, rows=2)  # 96 runs a day
    made[100].status = RunStatus.FAILED  # on 2 November
    figure = runs_figure(made, tz=tz)
    rows, failed = figure["data"]
    assert rows["x"][:2] == ["2026-11-01", "2026-11-02"] and len(rows["x"]) == 5
    # 401 runs: four full days of 96, then 17; the failed run's 2 rows are not counted.
    assert rows["y"] == [192, 190, 192, 192, 34]
    assert failed["x"] == ["2026-11-02"] and failed["y"] == [190]  # on top of its day's bar


def test_an_attempt_that_will_be_retried_is_not_shown_as_failing(client, viewer, sql_connector):
    retry = timezone.now() + timedelta(minutes=1)
    runs(sql_connector, 1, status=RunStatus.FAILED, message="connection refused")
    Run.objects.filter(connector=sql_connector).update(retry_at=retry)
    Connector.objects.filter(pk=sql_connector.pk).update(last_run_at=timezone.now())
    logged_in(client, viewer)
    html = html_of(client.get(reverse("connector-list")))
    assert 'data-state="retrying"' in html and 'data-state="failing"' not in html
