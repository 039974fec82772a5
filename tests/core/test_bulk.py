"""The generic bulk-upsert path, on two tables: measurements and a tally table made for the test.

The tally table lives in a registry of its own (no migration, nothing added to the project's
models) and is created inside the test's transaction, so it vanishes with the rollback.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import msgspec
import pytest
from django.apps.registry import Apps
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from core import bulk
from core.bulk import BatchRefused, BulkTable, Column, ItemErrors, Revision, bulk_upsert
from indicators.models import Measurement, MeasurementRevision
from indicators.services.ingest import validate_batch
from indicators.services.measurement_store import MEASUREMENTS
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

TEST_APPS = Apps([])


class Tally(models.Model):
    id = models.BigAutoField(primary_key=True)
    ledger = models.CharField(max_length=20)
    code = models.CharField(max_length=20)
    amount = models.FloatField(null=True)
    note = models.TextField(blank=True)
    tags = models.JSONField(default=dict)
    seen_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        apps = TEST_APPS
        app_label = "bulk_test"
        db_table = "bulk_test_tally"
        constraints = [models.UniqueConstraint(fields=["ledger", "code"], name="one_tally")]

    def __str__(self) -> str:
        return f"{self.ledger}/{self.code}"


class TallyRevision(models.Model):
    id = models.BigAutoField(primary_key=True)
    tally_id = models.BigIntegerField()
    amount = models.FloatField(null=True)
    tags = models.JSONField(default=dict)
    replaced_at = models.DateTimeField()

    class Meta:
        apps = TEST_APPS
        app_label = "bulk_test"
        db_table = "bulk_test_tally_revision"

    def __str__(self) -> str:
        return f"revision of {self.tally_id}"


TALLIES = BulkTable(
    model=Tally,
    key=(Column("ledger", "text"), Column("code", "text")),
    values=(
        Column("amount", "float8"),
        Column("note", "text"),
        Column("tags", "jsonb", text_attr="tags_text"),
        Column("seen_at", "timestamptz"),
    ),
    compared=("amount", "note", "tags"),  # a new `seen_at` alone is no change
    updated_at="updated_at",
    revision=Revision(
        model=TallyRevision, row="tally_id", columns=("amount", "tags"), at="replaced_at"
    ),
)
SEEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass(slots=True)
class TallyItem:
    ledger: str
    code: str
    amount: float | None
    note: str = ""
    tags: dict = field(default_factory=dict)
    seen_at: datetime = SEEN

    @property
    def tags_text(self) -> str:
        return msgspec.json.encode(self.tags, order="sorted").decode()


def tally(code: str, amount: float | None, **fields) -> TallyItem:
    return TallyItem(ledger=fields.pop("ledger", "main"), code=code, amount=amount, **fields)


@pytest.fixture(autouse=True)
def tally_tables(db):
    editor = connection.schema_editor()
    with connection.cursor() as cursor:
        for model in (Tally, TallyRevision):
            sql, params = editor.table_sql(model)
            cursor.execute(sql, params)


def upsert(items, **options):
    return bulk_upsert(table=TALLIES, items=items, **options).as_dict()


def stored() -> dict[str, tuple]:
    return {t.code: (t.amount, t.note, t.tags) for t in Tally.objects.all()}


def counts(created=0, updated=0, unchanged=0) -> dict:
    return {"created": created, "updated": updated, "unchanged": unchanged}


# -- the tally table -----------------------------------------------------------------------------


def test_each_item_is_counted_created_updated_or_unchanged():
    assert upsert([tally("a", 1), tally("b", 2), tally("c", 3, tags={"x": "1"})]) == counts(3)
    again = [tally("a", 1), tally("b", 20), tally("c", 3, tags={"x": "1"}), tally("d", 4)]
    assert upsert(again) == counts(created=1, updated=1, unchanged=2)
    assert stored() == {
        "a": (1.0, "", {}),
        "b": (20.0, "", {}),
        "c": (3.0, "", {"x": "1"}),
        "d": (4.0, "", {}),
    }


def test_the_same_code_in_two_ledgers_is_two_rows():
    assert upsert([tally("a", 1, ledger="main"), tally("a", 2, ledger="side")]) == counts(2)
    assert upsert([tally("a", 2, ledger="side")]) == counts(unchanged=1)
    assert sorted(Tally.objects.values_list("ledger", "amount")) == [("main", 1.0), ("side", 2.0)]


def test_an_updated_row_keeps_its_old_values_as_a_revision():
    upsert([tally("a", 1, tags={"k": "old"}), tally("b", 2)])
    upsert([tally("a", 5, tags={"k": "new"}), tally("b", 2)])
    a = Tally.objects.get(code="a")
    revisions = list(TallyRevision.objects.values_list("tally_id", "amount", "tags"))
    assert revisions == [(a.id, 1.0, {"k": "old"})]
    assert (a.amount, a.tags) == (5.0, {"k": "new"})


def test_a_column_outside_the_comparison_is_written_only_with_a_change():
    upsert([tally("a", 1)])
    later = datetime(2026, 3, 3, tzinfo=UTC)
    assert upsert([tally("a", 1, seen_at=later)]) == counts(unchanged=1)
    assert Tally.objects.get().seen_at == SEEN
    assert upsert([tally("a", 2, seen_at=later)]) == counts(updated=1)
    assert Tally.objects.get().seen_at == later


def test_a_replay_touches_no_row_and_runs_no_hook():
    items = [tally(f"t{n}", n, note="n") for n in range(50)]
    upsert(items)
    before = list(Tally.objects.order_by("id").values_list("id", "updated_at"))
    calls = []
    result = upsert(
        items,
        on_write=lambda **kw: calls.append("write"),
        after_commit=lambda: calls.append("commit"),
    )
    assert result == counts(unchanged=50)
    assert list(Tally.objects.order_by("id").values_list("id", "updated_at")) == before
    assert TallyRevision.objects.count() == 0 and calls == []


def test_a_refused_batch_writes_nothing_and_names_every_bad_item():
    upsert([tally("a", 1)])

    def validate(items):
        errors = ItemErrors()
        for index, item in reversed(list(enumerate(items))):
            if item.amount is None:
                errors.add(index, "amount", "required")
        errors.raise_if_any()
        return items

    calls = []
    with pytest.raises(BatchRefused) as refused:
        upsert(
            [tally("a", 9), tally("b", None), tally("c", 3), tally("d", None)],
            validate=validate,
            on_write=lambda **kw: calls.append(kw),
        )
    assert refused.value.errors == [
        {"index": 1, "field": "amount", "message": "required"},
        {"index": 3, "field": "amount", "message": "required"},
    ]
    assert stored() == {"a": (1.0, "", {})} and calls == []


def test_a_dry_run_counts_and_writes_nothing():
    upsert([tally("a", 1), tally("b", 2)])
    result = upsert([tally("a", 1), tally("b", 3), tally("c", 4)], dry_run=True)
    assert result == counts(created=1, updated=1, unchanged=1)
    assert stored() == {"a": (1.0, "", {}), "b": (2.0, "", {})}
    assert TallyRevision.objects.count() == 0


def test_the_hooks_see_what_was_written_and_after_commit_runs_once_committed(
    django_capture_on_commit_callbacks,
):
    upsert([tally("a", 1), tally("b", 2)])
    seen, committed = {}, []

    def on_write(*, created, updated, now):
        seen["created"] = [item.code for item in created]
        seen["updated"] = [(old.code, old.amount, new.amount) for old, new in updated]
        seen["rows"] = Tally.objects.count()  # inside the transaction, after the writes

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upsert(
            [tally("a", 1), tally("b", 5), tally("c", 3)],
            on_write=on_write,
            after_commit=lambda: committed.append(Tally.objects.count()),
        )
        assert committed == []
    assert seen == {"created": ["c"], "updated": [("b", 2.0, 5.0)], "rows": 3}
    assert len(callbacks) == 1 and committed == [3]


def test_a_concurrent_insert_of_the_same_key_is_retried(monkeypatch):
    upsert([tally("a", 1)])
    real_stored_rows, reads = bulk.stored_rows, []

    def stale_first_read(table, items):
        # As if another push inserted "a" between our read and our insert.
        reads.append(1)
        return {} if len(reads) == 1 else real_stored_rows(table, items)

    monkeypatch.setattr(bulk, "stored_rows", stale_first_read)
    assert upsert([tally("a", 2), tally("b", 3)]) == counts(created=1, updated=1)
    assert len(reads) == 2
    assert stored() == {"a": (2.0, "", {}), "b": (3.0, "", {})}


def test_a_lasting_conflict_is_raised_as_a_write_conflict_after_the_last_attempt(monkeypatch):
    from django.db import IntegrityError

    upsert([tally("a", 1)])
    reads = []
    monkeypatch.setattr(bulk, "stored_rows", lambda table, items: reads.append(1) or {})
    monkeypatch.setattr(bulk, "CONFLICT_PAUSE_SECONDS", 0.0)
    with pytest.raises(bulk.WriteConflict) as raised:
        upsert([tally("a", 2), tally("b", 3)])
    assert isinstance(raised.value.__cause__, IntegrityError)
    assert len(reads) == bulk.UPSERT_ATTEMPTS
    assert stored() == {"a": (1.0, "", {})}


def test_an_error_that_is_not_a_conflict_is_raised_at_once(monkeypatch):
    reads = []

    def broken(table, items):
        reads.append(1)
        raise ZeroDivisionError

    monkeypatch.setattr(bulk, "stored_rows", broken)
    with pytest.raises(ZeroDivisionError):
        upsert([tally("a", 2)])
    assert len(reads) == 1


def mixed_push_statements(size: int, ledger: str) -> int:
    """Statements of a push of `size` unchanged, `size` changed and `size` new tallies."""
    base = [tally(f"t{n}", n, ledger=ledger) for n in range(2 * size)]
    upsert(base)
    items = [replace(item, amount=-1.0) if n % 2 else item for n, item in enumerate(base)]
    items += [tally(f"new{n}", n, ledger=ledger) for n in range(size)]
    revisions = TallyRevision.objects.count()
    with CaptureQueriesContext(connection) as queries:
        result = upsert(items)
    assert result == counts(created=size, updated=size, unchanged=size)
    assert TallyRevision.objects.count() - revisions == size
    return len(queries)


def test_a_push_takes_the_same_few_statements_whatever_its_size():
    small, large = mixed_push_statements(10, "small"), mixed_push_statements(1000, "large")
    # SAVEPOINT, SELECT, insert, revisions, update, RELEASE
    assert small == large <= 6


@pytest.mark.postgres
def test_on_postgresql_new_rows_are_copied_and_changed_rows_updated_from_arrays():
    upsert([tally("a", 1), tally("b", 2)])
    with CaptureQueriesContext(connection) as queries:
        upsert([tally("a", 1), tally("b", 3), tally("c", 4)])
    statements = [q["sql"].split()[0] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert statements == ["SELECT", "COPY", "INSERT", "UPDATE"]
    assert "unnest" in queries[-2]["sql"] and "unnest" in queries[-3]["sql"]


def test_a_description_must_compare_only_columns_it_writes():
    with pytest.raises(ValueError, match="compared"):
        BulkTable(model=Tally, key=TALLIES.key, values=TALLIES.values, compared=("ledger",))
    with pytest.raises(ValueError, match="jsonb"):
        BulkTable(model=Tally, key=TALLIES.key, values=(Column("tags", "jsonb"),), compared=())


# -- the measurement table, through the same path ------------------------------------------------


@pytest.fixture
def indicators(organisation):
    IndicatorFactory(organisation=organisation, code="quote_time")
    IndicatorFactory(organisation=organisation, code="ftr", aggregation="ratio")


def measurements(organisation, raw):
    return validate_batch(organisation=organisation, items=raw)


def test_measurements_are_counted_and_their_history_kept_by_the_same_path(organisation, indicators):
    first = [
        {"indicator": "quote_time", "observed_at": "2026-03-02T10:00:00Z", "value": 4},
        {"indicator": "quote_time", "observed_at": "2026-03-02", "value": 5, "key": "q-1"},
        {"indicator": "ftr", "observed_at": "2026-03-02", "numerator": 3, "denominator": 4},
    ]
    items = measurements(organisation, first)
    assert bulk_upsert(table=MEASUREMENTS, items=items).as_dict() == counts(3)
    second = [
        first[0],
        {**first[1], "value": 6, "observed_at": "2026-03-03"},
        {**first[2], "segment": {"channel": "web"}},  # a segment is part of the key
    ]
    result = bulk_upsert(table=MEASUREMENTS, items=measurements(organisation, second))
    assert result.as_dict() == counts(created=1, updated=1, unchanged=1)
    keyed = Measurement.objects.get(key="q-1")
    assert (keyed.value, keyed.local_date.isoformat()) == (6.0, "2026-03-03")
    revision = MeasurementRevision.objects.get()
    assert (revision.measurement_id, revision.value) == (keyed.id, 5.0)
    assert revision.observed_at.isoformat() == "2026-03-01T22:00:00+00:00"  # Helsinki midnight
    assert Measurement.objects.count() == 4


def test_a_measurement_replay_through_the_path_writes_nothing(organisation, indicators):
    raw = [
        {
            "indicator": "quote_time",
            "observed_at": f"2026-03-{day:02d}T08:00:00Z",
            "value": day,
            "segment": {"channel": "web"},
        }
        for day in range(1, 29)
    ]
    bulk_upsert(table=MEASUREMENTS, items=measurements(organisation, raw))
    before = list(Measurement.objects.order_by("id").values_list("id", "updated_at"))
    with CaptureQueriesContext(connection) as queries:
        result = bulk_upsert(table=MEASUREMENTS, items=measurements(organisation, raw))
    assert result.as_dict() == counts(unchanged=28)
    assert list(Measurement.objects.order_by("id").values_list("id", "updated_at")) == before
    writes = [q for q in queries if q["sql"].lstrip().split()[0] in {"INSERT", "UPDATE", "COPY"}]
    assert writes == []


def measurement_push_statements(organisation, size: int, day: int) -> int:
    raw = [
        {"indicator": "quote_time", "observed_at": f"2026-03-{day:02d}T10:00:{n % 60:02d}Z"}
        | {"value": n, "segment": {"n": str(n)}}
        for n in range(size)
    ]
    with CaptureQueriesContext(connection) as queries:
        result = bulk_upsert(table=MEASUREMENTS, items=measurements(organisation, raw))
    assert result.as_dict() == counts(size)
    return len(queries)


def test_a_measurement_batch_takes_the_same_statements_whatever_its_size(organisation, indicators):
    small = measurement_push_statements(organisation, 10, day=2)
    large = measurement_push_statements(organisation, 2000, day=3)
    # the indicators' SELECT, SAVEPOINT, SELECT, insert, RELEASE
    assert small == large <= 6
