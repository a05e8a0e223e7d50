"""Fault tests start their own redis-server on a free loopback port and their own worker and
relay processes, and stop only those: the machine's shared Redis and PostgreSQL stay up."""

import shutil
import socket
import subprocess

import pytest

from ..processes import Processes, reset_pools, wait_for


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


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed for the fault tests (apt-get install redis-server)")
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def processes():
    started = Processes()
    yield started
    started.stop_all()


@pytest.fixture
def publisher(settings, own_redis):
    """This test process publishes to the test's own Redis (through the outbox), as the web app would."""
    from config.celery import app

    previous = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "broker_transport_options")}
    reset_pools(app)
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
    reset_pools(app)
