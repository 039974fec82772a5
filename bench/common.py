"""What both benches share: the bench database, Django set-up, gunicorn, HTTP and data."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import msgspec

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/oc_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
ORG_SLUG = "bench"
CHANNELS = ("web", "phone", "shop", "app")
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
STEP_SECONDS = 157  # 200,000 rows span one year


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def ensure_database(url: str) -> None:
    """Create the bench database if it does not exist yet."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(*, database_url: str, redis_url: str, queue: str) -> None:
    """Configure this process like a web worker of the product, on the bench database."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["CELERY_QUEUE"] = queue
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def server_env(*, database_url: str, redis_url: str, queue: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": queue,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "LOG_LEVEL": "WARNING",
    }


def new_queue_name() -> str:
    return f"bench-{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def start_gunicorn(env: dict, *, workers: int = 2, log: Path | None = None):
    port = free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (lives with the process)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "--chdir",
            str(ROOT),
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port)
    return process, port


def start_worker(env: dict, queue: str, *, log: Path | None = None):
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (lives with the process)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def stop(process, timeout: float = 20.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Client:
    """One keep-alive HTTP connection to 127.0.0.1."""

    def __init__(self, port: int, api_key: str):
        self.port = port
        self.headers = {"Authorization": f"Api-Key {api_key}", "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        try:
            self.conn.request(method, path, body=body, headers=self.headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            self.conn.request(method, path, body=body, headers=self.headers)
            response = self.conn.getresponse()
        return response.status, response.read()

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        return self.request("POST", path, body)

    def get_json(self, path: str):
        status, data = self.request("GET", path)
        return status, msgspec.json.decode(data)

    def close(self) -> None:
        self.conn.close()


def observed_at_of(i: int) -> datetime:
    return EPOCH + timedelta(seconds=i * STEP_SECONDS)


def item(i: int, codes: list[str], value_shift: float = 0.0) -> dict:
    """Row `i` of the synthetic stream: indicators round-robin, four channels, one a 157 s step."""
    return {
        "indicator": codes[i % len(codes)],
        "observed_at": observed_at_of(i).isoformat(),
        "value": float((i * 7919) % 1000) / 10 + value_shift,
        "segment": {"channel": CHANNELS[(i // len(codes)) % len(CHANNELS)]},
    }


def body_of(items: list[dict]) -> bytes:
    return msgspec.json.encode({"measurements": items})


def bench_organisation(codes: list[str], *, period: str = "month", aggregation: str = "mean"):
    """The bench organisation, its indicators (created if missing) and a fresh API key."""
    from accounts.models import Organisation
    from accounts.services import create_api_key, create_organisation
    from indicators.models import Indicator

    organisation = Organisation.objects.filter(slug=ORG_SLUG).first() or create_organisation(
        slug=ORG_SLUG, name="Bench", time_zone="Europe/Helsinki"
    )
    indicators = {}
    for code in codes:
        indicators[code], _ = Indicator.objects.update_or_create(
            organisation=organisation,
            code=code,
            defaults={
                "name": code,
                "kind": "cpi",
                "direction": "lower_is_better",
                "aggregation": aggregation,
                "period": period,
            },
        )
    return organisation, indicators, create_api_key(organisation=organisation, name="bench")[1]


def reset_measurements() -> None:
    """Empty every table the push path writes, so runs start from the same state."""
    from django.db import connection

    tables = [
        "indicators_measurementrevision",
        "indicators_measurement",
        "indicators_dirtymark",
        "indicators_periodvalue",
        "indicators_deviation",
        "indicators_deviationchange",
    ]
    # Idempotency records moved from indicators to core: empty whichever this code has.
    existing = set(connection.introspection.table_names())
    tables += [
        t for t in ("indicators_idempotencyrecord", "core_idempotencyrecord") if t in existing
    ]
    with connection.cursor() as cursor:
        # CASCADE: the notification outbox and webhook deliveries point at deviations.
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def purge_queue(redis_url: str, queue: str) -> None:
    """Drop the bench's own queue from Redis (nothing else in that database is touched)."""
    try:
        import redis

        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
        client.delete(queue)
        client.close()
    except Exception as exc:  # the bench result does not depend on the clean-up
        print(f"(could not purge queue {queue}: {exc})")


def print_table(title: str, rows: list[tuple]) -> None:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    print()
    print(title)
    print("-" * (sum(widths) + 3 * (len(widths) - 1)))
    for n, row in enumerate(rows):
        print(" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            print("-+-".join("-" * w for w in widths))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def start(name: str):
    """Database, Django and a fresh queue for bench `name`; None without PostgreSQL."""
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith(("postgres://", "postgresql://")):
        print(f"bench/{name}.py needs a PostgreSQL DATABASE_URL")
        return None
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    queue = new_queue_name()
    overall = time.perf_counter()
    ensure_database(database_url)
    setup_django(database_url=database_url, redis_url=redis_url, queue=queue)
    reset_measurements()
    return database_url, redis_url, queue, overall


def copy_text_into(table: str, columns: str, data: bytes) -> float:
    """Seconds for one COPY of `data` (COPY text format) into `table`, committed."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for start in range(0, len(data), 1 << 20):
            copy.write(data[start : start + (1 << 20)])
    return time.perf_counter() - started
