"""Spreadsheet import benchmark: 10,000 achievement rows in one .xlsx upload.

Runs in a throw-away test database (SQLite by default, PostgreSQL with DATABASE_URL) and
compares the bulk importer with a baseline in the same run: creating rows one by one through
the achievement service, as a naive importer would.

    python bench/import_bench.py [--rows 10000] [--baseline-rows 300] [--json FILE]
"""

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")


def build_xlsx(rows: int) -> bytes:
    from openpyxl import Workbook

    from achievements.importing import COLUMNS

    fields = ["新能源", "人工智能", "生物医药", "新材料", "先进制造"]
    stages = ["实验室", "小试", "中试", "产业化"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("成果")
    sheet.append([c.zh for c in COLUMNS])
    for i in range(rows):
        values = {
            "title": f"基准测试成果{i:05d}：高性能固态电池电解质制备技术",
            "abstract": "本成果针对液态电池安全性差的问题，提出复合固态电解质制备工艺，离子电导率提升40%。" * 3,
            "keywords": "固态电池，电解质，储能",
            "field": fields[i % len(fields)],
            "trl": "",
            "maturity_stage": stages[i % len(stages)],
            "patents": f"ZL2021{i:07d}.{i % 10}" if i % 2 else "",
            "patent_status": "已授权" if i % 2 else "",
            "transfer_modes": "许可、先使用后付费",
            "asking_price_min": 50,
            "asking_price_max": 200,
            "inventors": "张三、李四",
            "contact_name": "王老师",
            "contact_phone": "028-12345678",
            "contact_email": "bench@example.edu.cn",
            "language": "中文",
            "status": "发布",
        }
        sheet.append([values[c.key] for c in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--baseline-rows", type=int, default=300)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from achievements import services
    from achievements.importing import import_achievements
    from achievements.models import Achievement, Institution
    from core.models import TechnicalField, TransferMode

    settings.IMPORT_MAX_ROWS = max(settings.IMPORT_MAX_ROWS, args.rows)
    settings.IMPORT_MAX_BYTES = max(settings.IMPORT_MAX_BYTES, 64 * 1024 * 1024)
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        data = build_xlsx(args.rows)
        institution = Institution.objects.create(name="基准测试大学")
        started = time.perf_counter()
        result = import_achievements(upload=SimpleUploadedFile("bench.xlsx", data), institution=institution, actor=None)
        seconds = time.perf_counter() - started
        assert result.created == args.rows == Achievement.objects.count(), result

        baseline_institution = Institution.objects.create(name="逐行基线大学")
        field = TechnicalField.objects.get(code="new-energy")
        modes = list(TransferMode.objects.filter(code__in=["license", "use-first-pay-later"]))
        started = time.perf_counter()
        for i in range(args.baseline_rows):
            services.achievement_create(
                actor=None,
                institution=baseline_institution,
                title=f"逐行成果{i}",
                abstract="简介" * 50,
                field=field,
                maturity_stage="pilot",
                keywords=["固态电池"],
                transfer_modes=modes,
                patents=[{"number": f"ZL2022{i:07d}.1", "status": "granted"}] if i % 2 else [],
                status="published",
            )
        baseline_seconds = time.perf_counter() - started
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    rate = args.rows / seconds
    baseline_rate = args.baseline_rows / baseline_seconds
    figures = {
        "rows": args.rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rate),
        "file_mb": round(len(data) / 1_048_576, 2),
        "database": connection.vendor,
        "baseline_rows": args.baseline_rows,
        "baseline_rows_per_second": round(baseline_rate),
        "speedup_vs_row_by_row": round(rate / baseline_rate, 1),
    }
    print(f"Import benchmark ({figures['database']})")
    print(f"{'measure':<34}{'value':>14}")
    print("-" * 48)
    for key, value in figures.items():
        print(f"{key:<34}{value!s:>14}")
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
