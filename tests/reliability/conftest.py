"""Fault tests start their own redis-server on a free loopback port and their own worker and
relay processes, and stop only those: the machine's shared Redis and PostgreSQL stay up."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
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
        assert wait_for(self.ping, 20), "redis-server did not start"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        assert wait_for(lambda: not self.ping(), 10)


def wait_for(condition, seconds=60, step=0.3) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed for the fault tests (apt-get install redis-server)")
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


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


@pytest.fixture
def processes():
    started = Processes()
    yield started
    started.stop_all()


@pytest.fixture
def publisher(settings, own_redis):
    """This test process publishes to the test's own Redis (through the outbox), as the web app would."""
    from config.celery import app

    from ..matchmaking.test_celery_worker import _reset_pools

    previous = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "broker_transport_options")}
    _reset_pools(app)
    app.conf.update(
        task_always_eager=False,
        broker_url=own_redis.url,
        broker_transport_options={"socket_connect_timeout": 1, "visibility_timeout": 4},
        broker_connection_retry=False,
    )
    settings.MATCHING_ON_SAVE = True
    settings.EMBEDDING_MODEL = "hash:64"
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": own_redis.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield app
    app.conf.update(**previous)
    _reset_pools(app)
