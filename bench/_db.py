"""A throw-away test database for benchmarks (SQLite by default, PostgreSQL with DATABASE_URL)."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")


@contextmanager
def scratch_database():
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def print_table(title: str, figures: dict) -> None:
    print(title)
    print(f"{'measure':<34}{'value':>16}")
    print("-" * 50)
    for key, value in figures.items():
        print(f"{key:<34}{value!s:>16}")


def write_json(path, figures: dict) -> None:
    import json

    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(figures, indent=2))
