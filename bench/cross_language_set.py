"""Build a cross-language retrieval set (BEIR layout) from patentmatch-dev, whose Chinese and English
halves are translations of each other: query N of `zh/` and query N of `en/` are the same patent, and
so are their similar (gold) patents. No other dev set has cross-language relevance.

The corpus is both halves pooled (about 1,200 patents, Chinese and English); every query of either
language has two relevant documents, its gold patent in its own language and the translation of that
gold in the other. So a ranking that keeps the other language's records far below its own (the
"power semiconductor devices" need that never sees 功率半导体器件) loses about half the nDCG.

- `qrels/both.tsv`: both golds relevant (the main figure);
- `qrels/other.tsv`: only the other language's gold (is the translation found at all?).

    python bench/cross_language_set.py --out var/cross-dev [--source ../shared/data/patentmatch-dev]
"""

import argparse
import json
from pathlib import Path

LANGUAGES = ("zh", "en")


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _golds(path: Path) -> dict[str, str]:
    golds = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        query, doc, grade = line.split("\t")
        if float(grade) > 0:
            golds[query] = doc
    return golds


def build(source: Path, out: Path) -> dict:
    queries = {lang: _read(source / lang / "queries.jsonl") for lang in LANGUAGES}
    golds = {lang: _golds(source / lang / "qrels.tsv") for lang in LANGUAGES}
    if [q["_id"].split("-q")[1] for q in queries["zh"]] != [q["_id"].split("-q")[1] for q in queries["en"]]:
        raise SystemExit("the zh and en query lists are not parallel")
    out.mkdir(parents=True, exist_ok=True)
    (out / "qrels").mkdir(exist_ok=True)
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as handle:
        for lang in LANGUAGES:
            for row in _read(source / lang / "corpus.jsonl"):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(out / "queries.jsonl", "w", encoding="utf-8") as handle:
        for lang in LANGUAGES:
            for row in queries[lang]:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    both, other = ["query-id\tcorpus-id\tscore"], ["query-id\tcorpus-id\tscore"]
    pairs = 0
    for zh, en in zip(queries["zh"], queries["en"], strict=True):
        zh_gold, en_gold = golds["zh"].get(zh["_id"]), golds["en"].get(en["_id"])
        if not (zh_gold and en_gold):
            continue
        pairs += 1
        for query, own, translated in ((zh["_id"], zh_gold, en_gold), (en["_id"], en_gold, zh_gold)):
            both += [f"{query}\t{own}\t1", f"{query}\t{translated}\t1"]
            other.append(f"{query}\t{translated}\t1")
    (out / "qrels" / "both.tsv").write_text("\n".join(both) + "\n", encoding="utf-8")
    (out / "qrels" / "other.tsv").write_text("\n".join(other) + "\n", encoding="utf-8")
    return {"queries": 2 * pairs, "documents": sum(1 for _ in open(out / "corpus.jsonl", encoding="utf-8"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="../shared/data/patentmatch-dev", type=Path)
    parser.add_argument("--out", default="var/cross-dev", type=Path)
    args = parser.parse_args()
    figures = build(args.source, args.out)
    print(f"{figures['documents']} documents, {figures['queries']} queries -> {args.out}")


if __name__ == "__main__":
    main()
