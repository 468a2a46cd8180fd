"""What every benchmark here shares: print a result line, and a throwaway PostgreSQL database."""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def out(line: str = "") -> None:
    """Report a line (stdout: the benchmark's output is its result, not logging)."""
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def with_db(url: str, name: str) -> str:
    """`url` pointing at database `name` on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(url: str, sql: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on the server's maintenance database."""
    import psycopg

    with psycopg.connect(with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def fresh_database(url: str, name: str) -> None:
    """Drop and create database `name`, point Django at it, set Django up and migrate."""
    admin_sql(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin_sql(url, f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = with_db(url, name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def drop_database(url: str, name: str) -> None:
    """Drop the benchmark's database (closing Django's connections first)."""
    from django.db import connections

    connections.close_all()
    admin_sql(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
