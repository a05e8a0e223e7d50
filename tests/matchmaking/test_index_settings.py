"""Settings of the stored matching index."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_matching_index_url_defaults_to_a_postgresql_database_url():
    code = "from django.conf import settings; print(repr(settings.MATCHING_INDEX_URL))"

    def setting(**env):
        environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MATCHING_INDEX_URL")}
        environ.update(env, DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="true")
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=ROOT, env=environ, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return result.stdout.strip()

    assert setting(DATABASE_URL="postgres://u@h:5432/db") == "'postgres://u@h:5432/db'"
    assert setting(DATABASE_URL="sqlite:////tmp/x.sqlite3") == "''"
    assert (
        setting(DATABASE_URL="postgres://u@h/db", MATCHING_INDEX_URL="postgresql://v@w/idx") == "'postgresql://v@w/idx'"
    )
