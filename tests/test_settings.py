"""Production settings pass `check --deploy`; a missing secret or host list stops start-up."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "k3y-" + "x9Qz" * 16,
    "DJANGO_ALLOWED_HOSTS": "techbridge.example.cn",
    "SITE_URL": "https://techbridge.example.cn",
}


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_stops_start_up():
    result = run_manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_missing_allowed_hosts_stops_start_up():
    result = run_manage("check", **{**PRODUCTION, "DJANGO_ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_sqlite_writers_wait_for_the_lock_instead_of_failing(tmp_path):
    """The embedded default: the in-process task thread and a web request write at once. The
    second writer waits (BEGIN IMMEDIATE, a timeout) and both succeed; without the options the
    second failed at once with "database is locked" (a 500)."""
    script = """
import threading, time, django
django.setup()
from django.db import connection, transaction
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (x integer)")
connection.close()
errors = []
def insert(value, hold=0.0, wait=0.0):
    time.sleep(wait)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t")  # a read first: a deferred BEGIN would now fail to upgrade
            cursor.execute("INSERT INTO t VALUES (%s)", [value])
            time.sleep(hold)
    except Exception as exc:
        errors.append(repr(exc))
    connection.close()
threads = [threading.Thread(target=insert, args=(1, 1.5)), threading.Thread(target=insert, args=(2, 0.0, 0.3))]
[t.start() for t in threads]
[t.join() for t in threads]
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM t")
    print("ERRORS", errors, cursor.fetchone()[0])
"""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert "ERRORS [] 2" in result.stdout, result.stdout + result.stderr


def test_production_without_the_sites_address_fails_at_start_up():
    result = run_manage("check", **{**PRODUCTION, "SITE_URL": ""})
    assert result.returncode != 0 and "SITE_URL" in result.stderr
