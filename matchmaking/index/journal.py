"""The local backend's files: an append-only journal of writes and atomic snapshots.

Layout under the index directory:

    CURRENT                     {"snapshot": name or null, "position": P}: the snapshot to open
    snapshots/<name>/           one snapshot: the state after the first P journal bytes
    journal/<start>.log         journal segments; <start> is the segment's first global position
    journal.lock                flock held while appending, rotating or switching CURRENT
    snapshot.lock               flock held by the one process writing a snapshot

A journal position is global: a segment named S holding b bytes covers [S, S + b). Each record is
one line, `<crc32 hex> <json>\\n`, appended with os.write under the exclusive lock, so writers in
several processes never interleave. Readers take no lock: they consume complete lines only, so a
line being written (or the partial last line of a writer that crashed) is never read; the next
writer truncates such a partial line before appending. A segment is frozen when the next one is
created (on a snapshot); a reader that reaches the end of a frozen segment moves on to the
segment named by that end position. Segments wholly before the previous snapshot are deleted, as
are snapshots older than the previous one, so a reader that lags by one snapshot still finds what
it needs, and one that lags further (its files gone) reloads the current snapshot."""

import contextlib
import datetime
import fcntl
import json
import logging
import os
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

SEGMENT_DIGITS = 20
READ_CHUNK = 8 << 20


class JournalLost(Exception):
    """The reader's journal segments were deleted before it read them: reload a snapshot."""


def _segment_name(start: int) -> str:
    return f"{start:0{SEGMENT_DIGITS}d}.log"


def encode_line(record: dict) -> bytes:
    payload = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def decode_line(line: bytes) -> dict | None:
    """The record in one complete line, or None if the line is damaged."""
    try:
        checksum, payload = line.split(b" ", 1)
        if int(checksum, 16) != zlib.crc32(payload):
            return None
        return json.loads(payload)
    except ValueError:
        return None


def fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """Appending (any process, under the lock) and tailing (each process, lock-free)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.segments = self.directory / "journal"
        self.segments.mkdir(parents=True, exist_ok=True)
        self._lock_path = self.directory / "journal.lock"
        self._fd: int | None = None  # the segment being read
        self._start = 0  # its first global position
        self._offset = 0  # bytes of it consumed

    @property
    def position(self) -> int:
        """The global position up to which this reader has consumed the journal."""
        return self._start + self._offset

    # -- files -----------------------------------------------------------------------------

    def segment_starts(self) -> list[int]:
        starts = []
        for name in os.listdir(self.segments):
            if name.endswith(".log") and name[:-4].isdigit():
                starts.append(int(name[:-4]))
        return sorted(starts)

    def _path(self, start: int) -> Path:
        return self.segments / _segment_name(start)

    @contextlib.contextmanager
    def locked(self):
        """The exclusive writers' lock (also taken to rotate segments and switch CURRENT)."""
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _open_latest_for_append(self) -> tuple[int, int]:
        """(start, fd) of the newest segment, with the lock held. With no segment (a new index, or
        its journal removed), one starts at the current snapshot's position. A partial last
        line (a writer crashed mid-write) is cut off first."""
        starts = self.segment_starts()
        start = starts[-1] if starts else Current(self.directory).read()["position"]
        fd = os.open(self._path(start), os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        size = os.fstat(fd).st_size
        if size:
            end = size
            while end > 0:
                chunk = os.pread(fd, min(end, 65536), end - min(end, 65536))
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    end = end - len(chunk) + newline + 1
                    break
                end -= len(chunk)
            if end != size:
                logger.warning("matching index journal %s: dropping %d bytes of a partial line", start, size - end)
                os.ftruncate(fd, end)
        return start, fd

    def append(self, lines: list[bytes], *, durable: bool = False) -> None:
        """Append complete lines as one contiguous batch (several processes may call this)."""
        data = b"".join(lines)
        if not data:
            return
        with self.locked():
            _, fd = self._open_latest_for_append()
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)

    def rotate(self, keep_from: int) -> None:
        """Freeze the newest segment and start a new one at its end; delete the segments that
        end at or before `keep_from`. With the lock held."""
        start, fd = self._open_latest_for_append()
        try:
            size = os.fstat(fd).st_size
            os.fsync(fd)
        finally:
            os.close(fd)
        if size:
            with open(self._path(start + size), "ab"):
                pass
        starts = self.segment_starts()
        for this, following in zip(starts, starts[1:], strict=False):
            if following <= keep_from:
                with contextlib.suppress(FileNotFoundError):
                    self._path(this).unlink()

    # -- reading ---------------------------------------------------------------------------

    def seek(self, position: int) -> None:
        """Start reading at a global position (a snapshot's)."""
        self.close()
        starts = [s for s in self.segment_starts() if s <= position]
        self._start = starts[-1] if starts else position
        self._offset = position - self._start
        self._open_current()

    def _open_current(self) -> bool:
        if self._fd is None:
            try:
                self._fd = os.open(self._path(self._start), os.O_RDONLY)
            except FileNotFoundError:
                return False
        return True

    def read(self) -> Iterator[tuple[int, dict]]:
        """The records appended since the last call, each with the global position after it
        (`position` always points just after the last record yielded).

        Cheap when nothing changed: an fstat of the open segment and a stat of the next one."""
        while True:
            if not self._open_current():
                if any(start > self._start for start in self.segment_starts()):
                    raise JournalLost(self._start)
                return
            status = os.fstat(self._fd)
            chunk = READ_CHUNK
            while status.st_size > self._offset:
                remaining = status.st_size - self._offset
                data = os.pread(self._fd, min(remaining, chunk), self._offset)
                complete = data.rfind(b"\n") + 1
                if not complete:
                    if len(data) == remaining:
                        return  # a line being written (or left partial by a crash): not yet
                    chunk *= 2  # a line longer than the chunk
                    continue
                for line in data[:complete].split(b"\n")[:-1]:
                    self._offset += len(line) + 1
                    record = decode_line(line)
                    if record is None:
                        logger.error("matching index journal: skipped a damaged record ending at %d", self.position)
                        continue
                    yield self.position, record
            if not self._offset:
                return
            following = self.position
            if os.path.exists(self._path(following)):
                os.close(self._fd)
                self._fd, self._start, self._offset = None, following, 0
                continue
            if status.st_nlink == 0:
                # Our segment was deleted and the next one too: we lag by more than a snapshot.
                raise JournalLost(self._start)
            return

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Current:
    """The CURRENT pointer: which snapshot to open and the journal position it includes."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / "CURRENT"

    def read(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {"snapshot": None, "position": 0}

    def write(self, snapshot: str, position: int) -> None:
        """Atomically (a temporary file, fsynced, then os.replace)."""
        temporary = self.path.with_name(f"CURRENT.{os.getpid()}.tmp")
        with open(temporary, "w") as handle:
            json.dump({"snapshot": snapshot, "position": position, "format": 1}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        fsync_directory(self.path.parent)


@contextlib.contextmanager
def try_lock(path: Path):
    """A non-blocking exclusive flock: yields True if taken, False if another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# -- values ------------------------------------------------------------------------------------
# Entries' attrs hold sets, tuples and Decimals besides JSON's own types; they are tagged so they
# come back as they went in (a dict whose keys are not all plain strings is tagged too).


def encode_value(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode_value(v) for k, v in value.items()}
        return {"$dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, set | frozenset):
        items = [encode_value(v) for v in value]
        with contextlib.suppress(TypeError):
            items.sort()
        return {"$frozenset" if isinstance(value, frozenset) else "$set": items}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, np.generic):
        return encode_value(value.item())
    raise TypeError(f"the matching index cannot store a {type(value).__name__} in attrs: {value!r}")


_DECODERS = {
    "$dict": lambda items: {_hashable(decode_value(k)): decode_value(v) for k, v in items},
    "$tuple": lambda items: tuple(decode_value(v) for v in items),
    "$set": lambda items: {_hashable(decode_value(v)) for v in items},
    "$frozenset": lambda items: frozenset(_hashable(decode_value(v)) for v in items),
    "$decimal": Decimal,
    "$datetime": datetime.datetime.fromisoformat,
    "$date": datetime.date.fromisoformat,
}


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def decode_value(value):
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key in _DECODERS:
                return _DECODERS[key](inner)
        return {k: decode_value(v) for k, v in value.items()}
    return value
