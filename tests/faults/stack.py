"""Throwaway PostgreSQL and Redis servers, and the product's processes pointed at them."""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


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
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def pg_bin() -> Path:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("initdb not found: install PostgreSQL or set PG_BIN")


class PostgresServer:
    """A PostgreSQL cluster of its own: own data directory, own port, own socket directory."""

    def __init__(self):
        self.bin = pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="oc-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if IS_ROOT:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if IS_ROOT:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c full_page_writes=off -c max_connections=60"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def connect(self, name: str = "oc") -> psycopg.Connection:
        return psycopg.connect(self.url(name), autocommit=True, connect_timeout=5)

    def create_database(self, name: str) -> None:
        with self.connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """A redis-server of its own, without persistence: a restart loses every queued message."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="oc-faults-redis-"))
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def stop_process(process: subprocess.Popen | None, timeout: float = 15.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def kill_hard(process: subprocess.Popen) -> None:
    """kill -9: no clean-up, no ack, no rollback from the client side."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@dataclass
class Stack:
    """Own PostgreSQL + Redis, a migrated database, an organisation and its API key."""

    pg: PostgresServer
    redis: RedisServer
    api_key: str = ""
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="oc-faults-logs-")))
    processes: list = field(default_factory=list)

    def env(self, queue: str, **faults: str) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("FAULT_", "PYTEST_", "DJANGO_SETTINGS_MODULE"))
        }
        return {
            **env,
            "DATABASE_URL": self.pg.url("oc"),
            "REDIS_URL": self.redis.url(0),
            "CELERY_QUEUE": queue,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
            **faults,
        }

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env("unused"),
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def gunicorn(self, queue: str, **faults: str) -> tuple[subprocess.Popen, int]:
        port = free_port()
        log = open(self.logs / f"gunicorn-{port}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "-c",
                str(ROOT / "tests" / "faults" / "gunicorn_conf.py"),
                "--chdir",
                str(ROOT),
            ],
            cwd=ROOT,
            env=self.env(queue, **faults),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        wait_for_port(port)
        return process, port

    def worker(self, queue: str, **faults: str) -> subprocess.Popen:
        log = open(self.logs / f"worker-{queue}-{uuid.uuid4().hex[:4]}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.worker", "-Q", queue],
            cwd=ROOT,
            env=self.env(queue, **faults),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def send_sweep(self, queue: str) -> None:
        """What celery beat does every minute: ask a worker to sweep the dirty marks."""
        from celery import Celery

        app = Celery("faults", broker=self.redis.url(0))
        app.conf.broker_connection_timeout = 2
        try:
            app.send_task("indicators.tasks.sweep_dirty", queue=queue)
        finally:
            app.close()

    def sql(self, query: str, params=None) -> list[tuple]:
        with self.pg.connect() as conn:
            return conn.execute(query, params).fetchall()

    def shutdown(self) -> None:
        for process in reversed(self.processes):
            stop_process(process)
        self.redis.destroy()
        self.pg.destroy()
        if os.environ.get("FAULT_KEEP_LOGS"):
            print(f"fault logs kept in {self.logs}")
        else:
            shutil.rmtree(self.logs, ignore_errors=True)

    def log_tail(self, chars: int = 3000) -> str:
        text = []
        for path in sorted(self.logs.glob("*.log")):
            text.append(f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(text)


def start_stack() -> Stack:
    pg, redis = PostgresServer(), RedisServer()
    stack = Stack(pg=pg, redis=redis)
    try:
        pg.start()
        redis.start()
        pg.create_database("oc")
        stack.manage("migrate", "--noinput", "-v", "0")
        stack.manage("create_organisation", "faults", "Faults", "--time-zone", "Europe/Helsinki")
        stack.api_key = stack.manage("create_api_key", "faults", "tests").strip().splitlines()[-1]
    except BaseException:
        stack.shutdown()
        raise
    return stack


@dataclass
class Answer:
    status: int  # 0: no HTTP answer at all (connection refused or reset)
    seconds: float
    body: dict
    retry_after: str | None


class Api:
    """A keep-alive HTTP client of the product, one per thread."""

    def __init__(self, port: int, api_key: str, timeout: float = 30.0):
        self.port, self.timeout = port, timeout
        self.headers = {"Authorization": f"Api-Key {api_key}", "Content-Type": "application/json"}
        self.conn = None

    def request(self, method: str, path: str, payload=None) -> Answer:
        body = json.dumps(payload).encode() if payload is not None else None
        started = time.monotonic()
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=self.headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed: one retry on a fresh connection.
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    return Answer(0, time.monotonic() - started, {}, None)
            except OSError:
                self.conn.close()
                self.conn = None
                return Answer(0, time.monotonic() - started, {}, None)
        try:
            decoded = json.loads(data) if data else {}
        except ValueError:
            decoded = {"raw": data[:300].decode(errors="replace")}
        return Answer(
            response.status, time.monotonic() - started, decoded, response.getheader("Retry-After")
        )

    def push(self, items: list[dict]) -> Answer:
        return self.request("POST", "/api/v1/measurements/", {"measurements": items})

    def create_indicator(self, code: str, **fields) -> None:
        payload = {
            "code": code,
            "name": code,
            "kind": "cpi",
            "direction": "lower_is_better",
            "aggregation": "mean",
            "period": "month",
            **fields,
        }
        answer = self.request("POST", "/api/v1/indicators/", payload)
        assert answer.status == 201, answer

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def wait_until(condition, timeout: float, interval: float = 0.25, on_tick=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if on_tick:
            on_tick()
        time.sleep(interval)
    return condition()


def expected_vs_stored(stack: Stack, codes: list[str]) -> tuple[dict, dict]:
    """Monthly and daily means and counts of the stored measurements (computed here, in SQL)
    against the period values the product computed: totals and each channel."""
    expected = stack.sql(
        """
        SELECT i.code, p.period, s.segment, p.start, avg(m.value), count(*)
        FROM indicators_measurement m
        JOIN indicators_indicator i ON i.id = m.indicator_id
        CROSS JOIN LATERAL (VALUES ('month', date_trunc('month', m.local_date)::date),
                                   ('day', m.local_date)) AS p(period, start)
        CROSS JOIN LATERAL (VALUES (''), ('channel:' || (m.segment ->> 'channel'))) AS s(segment)
        WHERE i.code = ANY(%s) AND s.segment IS NOT NULL
        GROUP BY 1, 2, 3, 4
        """,
        [codes],
    )
    stored = stack.sql(
        """
        SELECT i.code, v.period, v.segment, v.period_start, v.value, v.count
        FROM indicators_periodvalue v JOIN indicators_indicator i ON i.id = v.indicator_id
        WHERE i.code = ANY(%s) AND v.period IN ('month', 'day')
        """,
        [codes],
    )
    as_dict = {row[:4]: (round(row[4], 9), row[5]) for row in expected}
    return as_dict, {row[:4]: (round(row[4], 9), row[5]) for row in stored}


def values_caught_up(stack: Stack, codes: list[str]) -> bool:
    expected, stored = expected_vs_stored(stack, codes)
    return bool(expected) and expected == stored and not dirty_marks(stack, codes)


def dirty_marks(stack: Stack, codes: list[str]) -> int:
    return stack.sql(
        "SELECT count(*) FROM indicators_dirtymark d JOIN indicators_indicator i"
        " ON i.id = d.indicator_id WHERE i.code = ANY(%s)",
        [codes],
    )[0][0]


def found_keys(stack: Stack, code: str, keys: set[str]) -> int:
    return stack.sql(
        "SELECT count(*) FROM indicators_measurement m JOIN indicators_indicator i"
        " ON i.id = m.indicator_id WHERE i.code = %s AND m.key = ANY(%s)",
        [code, sorted(keys)],
    )[0][0]


class Pusher(threading.Thread):
    """A client that pushes batches until told to stop, recording every answer."""

    def __init__(self, port: int, api_key: str, batches, timeout: float = 30.0):
        super().__init__(daemon=True)
        self.api = Api(port, api_key, timeout=timeout)
        self.batches = batches
        self.answers: list[tuple[Answer, list[dict]]] = []
        self.halt = threading.Event()
        self.backoff = 0.2

    def run(self) -> None:
        for batch in self.batches:
            if self.halt.is_set():
                break
            answer = self.api.push(batch)
            self.answers.append((answer, batch))
            if answer.status == 503:
                time.sleep(self.backoff)  # a polite client: Retry-After, shortened for the test
        self.api.close()


def diagnose(stack: Stack, codes: list[str]) -> str:
    """Why values have not caught up: the dirty marks left and the first mismatches."""
    marks = stack.sql(
        "SELECT i.code, d.day, d.marked_at, d.claimed_until, now() FROM indicators_dirtymark d"
        " JOIN indicators_indicator i ON i.id = d.indicator_id WHERE i.code = ANY(%s)"
        " ORDER BY d.marked_at LIMIT 5",
        [codes],
    )
    expected, stored = expected_vs_stored(stack, codes)
    wrong = [(k, expected.get(k), stored.get(k)) for k in expected.keys() | stored.keys()]
    wrong = [w for w in wrong if w[1] != w[2]]
    return f"dirty marks (first 5): {marks}\nmismatches {len(wrong)} (first 5): {wrong[:5]}"
