"""A real second PostgreSQL database for the SQL pull tests: `source_database` (per module)
creates `oc_source_<random>` on the server of DATABASE_URL and drops it after; `source` gives
each test a fresh `readings` table of six rows and a sequence `seq`."""

import uuid

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

READINGS = """
CREATE TABLE readings (
    id integer PRIMARY KEY,
    indicator text NOT NULL,
    ref text NOT NULL,
    measured_at timestamptz NOT NULL,
    amount numeric,
    channel text,
    updated_at timestamptz NOT NULL
);
CREATE SEQUENCE seq;
INSERT INTO readings VALUES
    (1, 'quote_time', 'r1', '2026-01-05 10:00+02', 10.5, 'web',  '2026-03-01 08:00+00'),
    (2, 'quote_time', 'r2', '2026-01-20 10:00+02', 20.5, 'shop', '2026-03-01 08:01+00'),
    (3, 'quote_time', 'r3', '2026-02-03 10:00+02', 30,   'web',  '2026-03-01 08:02+00'),
    (4, 'claims',     'r4', '2026-01-10 12:00+02', 1,    'web',  '2026-03-01 08:03+00'),
    (5, 'claims',     'r5', '2026-01-11 12:00+02', 2,    'web',  '2026-03-01 08:04+00'),
    (6, 'claims',     'r6', '2026-02-11 12:00+02', 3,    'web',  '2026-03-01 08:05+00');
"""


class Source:
    def __init__(self, server: dict, name: str):
        self.server, self.name = server, name
        self.dsn = psycopg.conninfo.make_conninfo(**server, dbname=name)

    def execute(self, statement: str, params=None) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(statement, params)


@pytest.fixture(scope="module")
def source_database():
    db = settings.DATABASES["default"]
    server = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"]}
    if db.get("PASSWORD"):
        server["password"] = db["PASSWORD"]
    name = f"oc_source_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**server, dbname="postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield Source(server, name)
    with psycopg.connect(**server, dbname="postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def source(source_database):
    source_database.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;" + READINGS)
    return source_database
