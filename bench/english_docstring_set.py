"""Build an English retrieval set in the BEIR layout from the Python standard library's own
documentation, so English ranking can be measured on text nobody here wrote or tuned on.

Each documented function or class with a summary line and a body of its own becomes a corpus
document (the body) and a query (the summary line):
- `queries.jsonl` + `qrels/summary.tsv`: one relevant document, like a need's headline;
- `qrels/module.tsv`: graded, the document itself 2 and every other document of the same
  module 1: topical matching, like `discipline` in csl-dev.
The corpus lines carry the module as "owner", so `--target owners` ranks modules (experts).

    python bench/english_docstring_set.py --out var/english-dev
    python manage.py evaluate_matching --corpus var/english-dev/corpus.jsonl \
        --queries var/english-dev/queries.jsonl --qrels var/english-dev/qrels/summary.tsv
"""

import argparse
import hashlib
import importlib
import inspect
import json
import re
import warnings
from pathlib import Path

MODULES = (
    "argparse asyncio.tasks asyncio.streams base64 bisect calendar collections concurrent.futures csv "
    "datetime decimal difflib email.message email.utils fnmatch fractions ftplib functools gettext glob "
    "gzip hashlib heapq hmac html.parser http.client http.cookies imaplib inspect ipaddress itertools "
    "json logging logging.handlers mailbox mimetypes multiprocessing.pool netrc os pathlib pickle "
    "pkgutil poplib pprint queue random re sched secrets selectors shelve shlex shutil smtplib socket "
    "sqlite3 ssl statistics string subprocess tarfile tempfile textwrap threading timeit tokenize "
    "traceback turtle typing unittest.case unittest.mock urllib.parse urllib.request uuid wave "
    "weakref xml.dom.minidom xml.etree.ElementTree zipfile zoneinfo"
).split()


def documented_objects(module_name: str):
    module = importlib.import_module(module_name)
    seen = set()
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        candidates = [(name, obj)]
        if inspect.isclass(obj):
            candidates += [
                (f"{name}.{attr}", member)
                for attr, member in sorted(vars(obj).items())
                if not attr.startswith("_") and inspect.isfunction(member)
            ]
        for qualified, member in candidates:
            doc = inspect.getdoc(member)
            if doc and id(member) not in seen:
                seen.add(id(member))
                yield f"{module_name}.{qualified}", doc


def split_summary(doc: str) -> tuple[str, str] | None:
    """The summary is the first paragraph; the body what follows, without doctest lines and
    without the object's own name (which would make the task a lookup, not a match)."""
    paragraphs = [p.strip() for p in doc.split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return None
    summary = " ".join(paragraphs[0].split())
    body = " ".join(line for p in paragraphs[1:] for line in p.splitlines() if not line.lstrip().startswith(">>>"))
    body = " ".join(body.split())
    words = re.findall(r"[A-Za-z]+", summary)
    if not 4 <= len(words) <= 40 or len(re.findall(r"[A-Za-z]+", body)) < 15:
        return None
    return summary, body[:2000]


def build(out: Path) -> dict:
    corpus, queries, summary_qrels = [], [], []
    by_module: dict[str, list[str]] = {}
    for module_name in MODULES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecated aliases (typing.re) warn when read
                objects = list(documented_objects(module_name))
        except ImportError:
            continue
        for qualified, doc in objects:
            parts = split_summary(doc)
            if parts is None:
                continue
            summary, body = parts
            doc_id = hashlib.sha1(qualified.encode()).hexdigest()[:12]
            corpus.append({"_id": doc_id, "title": "", "text": body, "owner": module_name})
            queries.append({"_id": f"q{doc_id}", "text": summary})
            summary_qrels.append((f"q{doc_id}", doc_id, 2))
            by_module.setdefault(module_name, []).append(doc_id)
    module_qrels = [
        (query_id, other, 2 if other == doc_id else 1)
        for query_id, doc_id, _ in summary_qrels
        for other in by_module[next(c["owner"] for c in corpus if c["_id"] == doc_id)]
    ]
    owner_qrels = [(f"q{c['_id']}", c["owner"], 1) for c in corpus]
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "corpus.jsonl", corpus)
    _write_jsonl(out / "queries.jsonl", queries)
    _write_qrels(out / "qrels" / "summary.tsv", summary_qrels)
    _write_qrels(out / "qrels" / "module.tsv", module_qrels)
    _write_qrels(out / "qrels" / "owners.tsv", owner_qrels)
    return {"documents": len(corpus), "queries": len(queries), "modules": len(by_module)}


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def _write_qrels(path: Path, rows: list[tuple]) -> None:
    path.write_text("query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{s}\n" for q, d, s in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="var/english-dev", type=Path)
    args = parser.parse_args()
    figures = build(args.out)
    print(f"{figures['documents']} documents, {figures['queries']} queries, {figures['modules']} modules -> {args.out}")


if __name__ == "__main__":
    main()
