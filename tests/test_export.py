import csv
import io

import pytest
from openpyxl import load_workbook

from core.spreadsheets import neutralize

from .factories import make_achievement, make_need

EVIL = '=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("正常文本", "正常文本"),
        (5, 5),
        (None, None),
    ],
)
def test_neutralize(value, expected):
    assert neutralize(value) == expected


def test_achievement_xlsx_export_neutralises_formulas(as_user, world):
    make_achievement(world.inst_a, title=EVIL, inventors="@evil", keywords=["-danger"])
    response = as_user("broker").get("/api/v1/achievements/export/?file_format=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="achievements-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("ID", "机构", "成果名称", "成果简介")
    assert rows[1][2] == "'" + EVIL
    assert rows[1][13] == "'@evil"
    assert rows[1][4] == "'-danger"
    assert all(not (isinstance(c, str) and c.startswith("=")) for c in rows[1])


def test_need_csv_export_has_bom_and_neutralises_formulas(as_user, world):
    make_need(world.ent_a, title="+SUM(1,2)", description="=cmd|' /C calc'!A0")
    response = as_user("broker").get("/api/v1/needs/export/?file_format=csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][2] == "'+SUM(1,2)"
    assert rows[1][3].startswith("'=cmd")


def test_export_applies_list_filters(as_user, world):
    make_achievement(world.inst_a, title="能源成果")
    make_achievement(world.inst_a, title="医药成果", field_code="biomedicine")
    content = as_user("broker").get("/api/v1/achievements/export/?file_format=csv&field=biomedicine").content
    text = content.decode("utf-8-sig")
    assert "医药成果" in text and "能源成果" not in text


def test_export_rejects_unknown_format(as_user, world):
    response = as_user("broker").get("/api/v1/achievements/export/?file_format=pdf")
    assert response.status_code == 400
    assert "file_format" in response.json()["error"]["fields"]


def test_exported_achievements_reimport_elsewhere(as_user, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from achievements.models import Achievement

    make_achievement(
        world.inst_a, title="可再导入的成果", patents=[{"number": "ZL202010000001.1", "status": "granted"}]
    )
    exported = as_user("admin").get("/api/v1/achievements/export/?file_format=xlsx").content
    response = as_user("inst_b").post(
        "/api/v1/achievements/import/", {"file": SimpleUploadedFile("x.xlsx", exported)}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    copy = Achievement.objects.get(institution=world.inst_b)
    assert (copy.title, copy.trl, list(copy.patents.values_list("number", "status"))) == (
        "可再导入的成果",
        6,
        [("ZL202010000001.1", "granted")],
    )
