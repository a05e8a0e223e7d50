"""Settings for the test suite: the normal settings plus fast hashing, eager tasks and a
private cache (never the shared Redis, whose contents tests must not flush)."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
INPROCESS_TASK_THREAD = False  # tasks run where they are queued, so tests see their effects
# A tiny deterministic encoder; tests of the real model ask for it explicitly.
EMBEDDING_MODEL = "hash:64"
EMBEDDING_EXTRA_MODELS = []
MATCHING_ON_SAVE = False
# The production default backend; each test gets its own index directory (tests/conftest.py).
# Uploads go to a throw-away directory, not the checkout.
import tempfile  # noqa: E402

MEDIA_ROOT = tempfile.mkdtemp(prefix="techbridge-media-")
# The local matching index too (tests that use one give it their own tmp_path).
MATCHING_INDEX_DIR = tempfile.mkdtemp(prefix="techbridge-matching-index-")
