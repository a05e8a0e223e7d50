"""Load benchmark: gunicorn with PostgreSQL on loopback, 50 concurrent clients for 60 seconds on
the broker inbox, search and match endpoints, with the demo data.

It creates a scratch PostgreSQL database (dropped afterwards), migrates it, loads `seed_demo`
(matches included), starts gunicorn, and drives it from client threads. The baseline in the same
run is the platform's cheapest authenticated endpoint (`/api/v1/me/`) under the same load. The
queries per request are counted in-process for each endpoint.

    python bench/load_bench.py [--clients 50] [--seconds 60] [--workers 4] [--json FILE]
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from _db import print_table, write_json

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("LOAD_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SCRATCH = "techbridge_load_bench"


def psql(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def env(database_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "load-bench-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "http://127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "EMBEDDING_MODEL": "hash:64",
        "PYTHONPATH": str(ROOT),
    }


def manage(database_url: str, *args) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env(database_url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def prepare(database_url: str) -> dict:
    manage(database_url, "migrate", "-v0")
    manage(database_url, "seed_demo")
    script = (
        "import json; from rest_framework.authtoken.models import Token; from accounts.models import User;"
        "from matchmaking.models import Match; from enterprises.models import TechnologyNeed;"
        "u=User.objects.get(username='broker01'); t,_=Token.objects.get_or_create(user=u);"
        "print(json.dumps({'token': t.key, 'matches': list(Match.objects.values_list('pk', flat=True)[:200]),"
        "'needs': list(TechnologyNeed.objects.filter(status='published').values_list('pk', flat=True)[:100])}))"
    )
    return json.loads(manage(database_url, "shell", "-c", script).strip().splitlines()[-1])


def count_queries(database_url: str, paths: dict) -> dict:
    script = (
        "import json; from django.test import Client; from django.db import connection;"
        "from django.test.utils import CaptureQueriesContext; from accounts.models import User;"
        "c=Client(); c.force_login(User.objects.get(username='broker01')); out={};\n"
        f"for name, path in {json.dumps(paths)}.items():\n"
        "    c.get(path, HTTP_HOST='127.0.0.1')\n"
        "    with CaptureQueriesContext(connection) as q: c.get(path, HTTP_HOST='127.0.0.1')\n"
        "    out[name]=len(q.captured_queries)\n"
        "print(json.dumps(out))"
    )
    return json.loads(manage(database_url, "shell", "-c", script).strip().splitlines()[-1])


def run_load(base: str, token: str, paths: list[str], clients: int, seconds: float) -> dict:
    latencies, errors, lock = [], [0], threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int):
        rng = random.Random(seed)
        while time.monotonic() < stop:
            request = urllib.request.Request(base + rng.choice(paths), headers={"Authorization": f"Token {token}"})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except (urllib.error.URLError, OSError):
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors[0] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1) if latencies else None,
        "rps": round(len(latencies) / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    database_url = ADMIN_URL.rsplit("/", 1)[0] + "/" + SCRATCH
    psql(f"DROP DATABASE IF EXISTS {SCRATCH}")
    psql(f"CREATE DATABASE {SCRATCH}")
    server = None
    try:
        data = prepare(database_url)
        match, need = data["matches"][0], data["needs"][0]
        endpoints = {
            "inbox": "/api/v1/matches/?assigned=all&ordering=-score",
            "inbox_filtered": "/api/v1/matches/?stage=suggested&score_min=0.5",
            "search_zh": "/api/v1/search/?q=固态电池",
            "search_en": "/api/v1/search/?q=battery+recycling",
            "match": f"/api/v1/matches/{match}/",
            "need_matches": f"/api/v1/needs/{need}/matches/",
        }
        queries = count_queries(database_url, {**endpoints, "baseline_me": "/api/v1/me/"})
        paths = [urllib.parse.quote(p, safe="/?=&+") for p in endpoints.values()]
        paths += [urllib.parse.quote(f"/api/v1/matches/{m}/", safe="/") for m in data["matches"][1:50]]
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-b",
                f"127.0.0.1:{args.port}",
                "-w",
                str(args.workers),
                "--access-logfile",
                "/dev/null",
                "--timeout",
                "60",
                "--preload",
            ],
            cwd=ROOT,
            env=env(database_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        base = f"http://127.0.0.1:{args.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/api/v1/fields/", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.5)
        run_load(base, data["token"], paths, min(args.clients, 10), 5)  # warm the workers (ranker caches)
        baseline = run_load(base, data["token"], ["/api/v1/me/"], args.clients, min(args.seconds, 20))
        figures = {"clients": args.clients, "seconds": args.seconds}
        figures.update(run_load(base, data["token"], paths, args.clients, args.seconds))
        figures["gunicorn_workers"] = args.workers
        figures["baseline_me_p50_ms"] = baseline["p50_ms"]
        figures["baseline_me_rps"] = baseline["rps"]
        figures["p50_vs_baseline"] = round(figures["p50_ms"] / baseline["p50_ms"], 2) if baseline["p50_ms"] else None
        figures["queries_per_request"] = queries
        print_table(
            f"Load: {args.clients} clients x {args.seconds:.0f} s on gunicorn + PostgreSQL",
            {k: v for k, v in figures.items() if k != "queries_per_request"},
        )
        print("queries per request:", json.dumps(queries))
        write_json(args.json_path, figures)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        psql(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


if __name__ == "__main__":
    import urllib.parse

    main()
