"""Real worker and relay processes for tests that need them (the Celery worker test and the
fault tests): started with the test database and a given Redis, stopped by the test that started them."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def wait_for(condition, seconds=60, step=0.3) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# The processes' own matching index (never the checkout's var/), shared by the worker and relay.
MATCHING_INDEX_DIR = tempfile.mkdtemp(prefix="techbridge-test-index-")


def process_env(redis_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": "",
        "REDIS_URL": redis_url,
        "EMBEDDING_MODEL": "hash:64",
        "EMBEDDING_EXTRA_MODELS": "",
        "MATCHING_INDEX_DIR": MATCHING_INDEX_DIR,
        "CELERY_VISIBILITY_TIMEOUT": "4",
    }


class Processes:
    """Worker and relay processes this test started, and only those."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []

    def worker(self, redis_url: str, *extra) -> subprocess.Popen:
        return self._start(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "celery,embeddings",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
                *extra,
            ],
            redis_url,
        )

    def relay(self, redis_url: str) -> subprocess.Popen:
        return self._start([sys.executable, "manage.py", "relay_outbox", "--loop", "--interval", "0.5"], redis_url)

    def _start(self, command, redis_url) -> subprocess.Popen:
        process = subprocess.Popen(
            command, cwd=ROOT, env=process_env(redis_url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.started.append(process)
        return process

    def kill9(self, process):
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self):
        for process in self.started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def reset_pools(app) -> None:
    """Drop the publisher's broker connections (they point at the previous broker)."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()
