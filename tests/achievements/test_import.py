import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from achievements.importing import COLUMNS
from achievements.models import Achievement, Patent

from ..factories import make_achievement

URL = "/api/v1/achievements/import/"
HEADERS = [c.zh for c in COLUMNS]


def row(title="基于深度学习的工业缺陷检测系统", **overrides):
    values = {
        "title": title,
        "abstract": "利用深度学习实现产线实时质检。",
        "keywords": "机器视觉，缺陷检测",
        "field": "人工智能",
        "trl": "7",
        "maturity_stage": "",
        "patents": "",
        "patent_status": "",
        "transfer_modes": "许可、先使用后付费",
        "asking_price_min": "30",
        "asking_price_max": "120",
        "inventors": "张三",
        "contact_name": "李老师",
        "contact_phone": "028-1234567",
        "contact_email": "li@example.edu.cn",
        "language": "中文",
        "status": "发布",
    }
    values.update(overrides)
    return [values[c.key] for c in COLUMNS]


def xlsx_upload(rows, headers=HEADERS, name="achievements.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_upload(rows, encoding="utf-8", headers=HEADERS, name="achievements.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding))


def upload(client, file, **extra):
    return client.post(URL, {"file": file, **extra}, format="multipart")


def test_import_xlsx_creates_all_rows_with_relations(as_user, world):
    rows = [
        row(),
        row(
            "固态电池电解质",
            field="new-energy",
            trl="",
            maturity_stage="中试",
            patents="ZL202110123456.7, CN112345678A",
            patent_status="已授权, 已申请",
            status="草稿",
        ),
    ]
    response = upload(as_user("inst_a"), xlsx_upload(rows))

    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 2
    first, second = Achievement.objects.order_by("pk")
    assert first.institution == world.inst_a
    assert (first.field.code, first.trl, first.maturity_stage, first.status) == (
        "artificial-intelligence",
        7,
        "pilot",
        "published",
    )
    assert first.keywords == ["机器视觉", "缺陷检测"]
    assert sorted(m.code for m in first.transfer_modes.all()) == ["license", "use-first-pay-later"]
    assert first.published_at is not None
    assert (second.trl, second.maturity_stage, second.status) == (6, "pilot", "draft")
    assert sorted(second.patents.values_list("number", "status")) == [
        ("CN112345678A", "filed"),
        ("ZL202110123456.7", "granted"),
    ]


def test_import_with_bad_rows_writes_nothing_and_lists_every_error(as_user, world):
    rows = [
        row("好的一行"),
        row("坏领域", field="量子玄学"),
        row("坏成熟度", trl="12"),
        row("", abstract=""),
        row("坏价格", asking_price_min="很多", asking_price_max="10"),
        row("坏方式", transfer_modes="赠送"),
        row("坏邮箱", contact_email="not-an-email"),
    ]
    response = upload(as_user("inst_a").credentials(HTTP_ACCEPT_LANGUAGE="en") or as_user("inst_a"), xlsx_upload(rows))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "import_invalid"
    found = {(e["row"], e["column"]) for e in error["rows"]}
    assert {
        (3, "技术领域"),
        (4, "技术成熟度"),
        (5, "成果名称"),
        (5, "成果简介"),
        (6, "最低报价(万元)"),
        (7, "转化方式"),
        (8, "联系邮箱"),
    } <= found
    assert not any(e["row"] == 2 for e in error["rows"])
    assert Achievement.objects.count() == 0 and Patent.objects.count() == 0


def test_import_error_messages_follow_the_users_language(api, world):
    api.force_authenticate(world.users["inst_a"])
    rows = [row(field="量子玄学")]
    english = api.post(URL, {"file": xlsx_upload(rows)}, format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    chinese = api.post(URL, {"file": xlsx_upload(rows)}, format="multipart", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert english.json()["error"]["rows"][0]["message"] == "Unknown technical field “量子玄学”."
    assert chinese.json()["error"]["rows"][0]["message"] == "未知的技术领域“量子玄学”。"
    assert "nothing was imported" in english.json()["error"]["message"]
    assert "未导入任何数据" in chinese.json()["error"]["message"]


def test_import_reports_duplicates_against_database_and_within_file(as_user, world):
    existing = make_achievement(
        world.inst_a, title="已有成果", patents=[{"number": "ZL201910000001.1", "status": "granted"}]
    )
    rows = [
        row("已有成果"),
        row("新成果A", patents="ZL201910000001.1", patent_status="已授权"),
        row("新成果B"),
        row("新成果 b"),  # same title after folding case and spaces
    ]
    response = upload(as_user("inst_a"), xlsx_upload(rows))
    assert response.status_code == 400
    messages = {e["row"]: e["message"] for e in response.json()["error"]["rows"]}
    assert set(messages) == {2, 3, 5}
    assert f"#{existing.pk}" in messages[2] and f"#{existing.pk}" in messages[3]
    assert "4" in messages[5]
    assert Achievement.objects.count() == 1


def test_import_can_skip_duplicates_and_import_the_rest(as_user, world):
    make_achievement(world.inst_a, title="已有成果")
    response = upload(as_user("inst_a"), xlsx_upload([row("已有成果"), row("全新成果")]), on_duplicate="skip")
    assert response.status_code == 201
    body = response.json()
    assert body["created"] == 1
    assert [s["row"] for s in body["skipped"]] == [2]
    assert sorted(Achievement.objects.values_list("title", flat=True)) == ["全新成果", "已有成果"]


def test_import_dry_run_validates_without_writing(as_user, world):
    response = upload(as_user("inst_a"), xlsx_upload([row()]), dry_run="true")
    assert response.status_code == 200
    assert response.json() == {"created": 1, "dry_run": True, "skipped": [], "ids": []}
    assert Achievement.objects.count() == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_import_csv_in_utf8_and_gbk(as_user, world, encoding):
    response = upload(as_user("inst_a"), csv_upload([row("四川盆地页岩气压裂技术")], encoding=encoding))
    assert response.status_code == 201, response.json()
    assert Achievement.objects.get().title == "四川盆地页岩气压裂技术"


def test_import_accepts_english_headers(as_user, world):
    headers = [c.en for c in COLUMNS]
    response = upload(as_user("inst_a"), xlsx_upload([row("English headed row")], headers=headers))
    assert response.status_code == 201


@pytest.mark.parametrize(
    "file, message_part",
    [
        (SimpleUploadedFile("a.xlsx", b"this is not a zip"), "not an Excel workbook"),
        (SimpleUploadedFile("a.xlsx", b"PK\x03\x04garbage"), "cannot be read"),
        (SimpleUploadedFile("a.pdf", b"%PDF-1.4"), "Only .xlsx and .csv"),
        (SimpleUploadedFile("a.csv", b"\x00\x01\x02binary"), "not a CSV"),
        (SimpleUploadedFile("a.csv", b""), "empty"),
        (SimpleUploadedFile("a.csv", "标题\n".encode()), "columns do not match"),
    ],
)
def test_import_rejects_files_that_are_not_spreadsheets(api, world, file, message_part):
    api.force_authenticate(world.users["inst_a"])
    response = api.post(URL, {"file": file}, format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message_part in json.dumps(response.json()["error"], ensure_ascii=False)
    assert Achievement.objects.count() == 0


def test_import_rejects_oversized_file(api, world, settings):
    settings.IMPORT_MAX_BYTES = 1000
    api.force_authenticate(world.users["inst_a"])
    big = csv_upload([row(f"成果{i}") for i in range(50)])
    response = api.post(URL, {"file": big}, format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "limit" in response.json()["error"]["message"]
    assert Achievement.objects.count() == 0


def test_import_rejects_missing_required_column(api, world):
    api.force_authenticate(world.users["inst_a"])
    headers = [h for h in HEADERS if h != "技术领域"]
    response = api.post(URL, {"file": xlsx_upload([], headers=headers)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["rows"][0]["row"] == 1


@pytest.mark.parametrize("role", ["ent_a", "broker", "organiser"])
def test_import_is_for_institutions_only(as_user, world, role):
    response = upload(as_user(role), xlsx_upload([row()]))
    assert response.status_code == 403
    assert Achievement.objects.count() == 0


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_template_downloads_and_reimports(as_user, world, file_format):
    client = as_user("inst_a")
    template = client.get(f"/api/v1/achievements/import-template/?file_format={file_format}")
    assert template.status_code == 200
    upload_file = SimpleUploadedFile(f"template.{file_format}", template.content)
    response = upload(client, upload_file)
    assert response.status_code == 201, response.json()
    assert Achievement.objects.get().title == "一种高能量密度固态锂电池电解质"


def test_template_lists_fields_in_guide_sheet(as_user, world):
    content = as_user("inst_a").get("/api/v1/achievements/import-template/").content
    workbook = load_workbook(io.BytesIO(content))
    guide_values = [c for r in workbook["说明 Guide"].iter_rows(values_only=True) for c in r if c]
    assert "生物医药" in guide_values and "new-energy" in guide_values
