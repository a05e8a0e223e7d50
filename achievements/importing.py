"""Bulk import of achievements from a spreadsheet (.xlsx / .csv) and its template.

All-or-nothing: every row is checked first and every problem is reported with its
spreadsheet row number, column and reason; only a file without problems is written, in one
transaction. Duplicates (same institution and same title, or same patent number, against the
database or earlier rows of the file) are reported, or skipped when the caller asks for that.
"""

import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import TechnicalField, TransferMode
from core.spreadsheets import Sheet, SpreadsheetError, read_spreadsheet, write_csv
from core.text import KEYWORD_SEPARATORS, PATENT_NUMBER, clean_keywords, fold_title, normalize_patent_number
from matchmaking.hooks import records_changed

from .models import (
    STAGE_TRL,
    TRL_STAGE,
    Achievement,
    AchievementStatus,
    Institution,
    Language,
    MaturityStage,
    Patent,
    PatentStatus,
)
from .services import PatentInput, achievement_search_document


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = False
    help: str = ""


COLUMNS = [
    Column("title", "成果名称", "Title", True),
    Column("abstract", "成果简介", "Abstract", True),
    Column("keywords", "关键词", "Keywords", help=gettext_lazy("Separated by commas or 、")),
    Column("field", "技术领域", "Technical field", True, gettext_lazy("Name or code of a technical field")),
    Column("trl", "技术成熟度", "TRL", help=gettext_lazy("1-9; give this or the maturity stage")),
    Column("maturity_stage", "成熟阶段", "Maturity stage", help="实验室 / 小试 / 中试 / 产业化"),
    Column("patents", "专利号", "Patent numbers", help=gettext_lazy("Separated by commas")),
    Column("patent_status", "专利状态", "Patent status", help="已申请 / 已授权 / PCT / 已失效"),
    Column("transfer_modes", "转化方式", "Transfer modes", help="转让、许可、作价入股、合作开发、先使用后付费"),
    Column("asking_price_min", "最低报价(万元)", "Asking price from (10k CNY)"),
    Column("asking_price_max", "最高报价(万元)", "Asking price up to (10k CNY)"),
    Column("inventors", "发明人/团队", "Inventors / team"),
    Column("contact_name", "联系人", "Contact person"),
    Column("contact_phone", "联系电话", "Contact phone"),
    Column("contact_email", "联系邮箱", "Contact e-mail"),
    Column("language", "语言", "Language", help="中文 / English"),
    Column("status", "状态", "Status", help=gettext_lazy("draft or published (草稿 / 发布); default draft")),
]


# Read-only columns that exports add; the importer skips them so an export can be re-imported.
EXPORT_ONLY_HEADERS = ("ID", "机构", "创建时间", "发布时间")


def _fold(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).casefold().strip().rstrip("*").strip()
    return re.sub(r"[\s_]+", " ", text)


def _header_aliases() -> dict[str, Column]:
    aliases = {}
    for column in COLUMNS:
        for alias in (
            column.key,
            column.zh,
            column.en,
            re.sub(r"\(.*\)$", "", column.zh),
            re.sub(r"\(.*\)$", "", column.en),
        ):
            aliases[_fold(alias)] = column
    return aliases


STAGE_ALIASES = {
    "实验室": "lab",
    "实验室阶段": "lab",
    "lab": "lab",
    "laboratory": "lab",
    "小试": "small_pilot",
    "小试阶段": "small_pilot",
    "small_pilot": "small_pilot",
    "small-scale trial": "small_pilot",
    "中试": "pilot",
    "中试阶段": "pilot",
    "pilot": "pilot",
    "pilot scale": "pilot",
    "产业化": "industrial",
    "产业化阶段": "industrial",
    "industrial": "industrial",
    "industrialisation": "industrial",
    "industrialization": "industrial",
}
PATENT_STATUS_ALIASES = {
    "已申请": "filed",
    "申请中": "filed",
    "受理": "filed",
    "filed": "filed",
    "pending": "filed",
    "已授权": "granted",
    "授权": "granted",
    "granted": "granted",
    "pct": "pct",
    "国际申请": "pct",
    "已失效": "lapsed",
    "失效": "lapsed",
    "lapsed": "lapsed",
    "expired": "lapsed",
}
STATUS_ALIASES = {
    "草稿": "draft",
    "draft": "draft",
    "发布": "published",
    "已发布": "published",
    "published": "published",
}
LANGUAGE_ALIASES = {
    "中文": "zh-hans",
    "简体中文": "zh-hans",
    "zh": "zh-hans",
    "zh-hans": "zh-hans",
    "chinese": "zh-hans",
    "英文": "en",
    "english": "en",
    "en": "en",
}


class RowErrors:
    def __init__(self, headers_by_key: dict[str, str]):
        self.items: list[dict] = []
        self._headers = headers_by_key

    def header(self, key: str | None) -> str:
        return self._headers.get(key, key) if key else ""

    def name_column(self, key: str, header: str) -> None:
        self._headers[key] = header

    def add(self, row: int, key: str | None, message: str) -> None:
        self.items.append({"row": row, "column": self.header(key), "message": str(message)})


@dataclass
class ImportResult:
    created: int = 0
    dry_run: bool = False
    skipped: list[dict] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


@dataclass
class ParsedRow:
    number: int
    achievement: Achievement
    patents: list[PatentInput]
    modes: list[TransferMode]


def _decimal(value):
    if value is None:
        return None
    try:
        number = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise ValueError(_("Not a number.")) from None
    if not number.is_finite() or number < 0:
        raise ValueError(_("Must be a number of zero or more."))
    return number.quantize(Decimal("0.01"))


class AchievementImporter:
    def __init__(self, *, institution: Institution, actor, on_duplicate: str = "error"):
        if on_duplicate not in ("error", "skip"):
            raise ValidationError({"on_duplicate": _("Choose error or skip.")})
        self.institution = institution
        self.actor = actor
        self.on_duplicate = on_duplicate
        self.fields = {}
        for technical_field in TechnicalField.objects.all():
            for alias in (technical_field.code, technical_field.name_zh, technical_field.name_en):
                self.fields[_fold(alias)] = technical_field
        self.modes = {}
        for mode in TransferMode.objects.all():
            for alias in (mode.code, mode.name_zh, mode.name_en):
                self.modes[_fold(alias)] = mode
        self.existing_titles = dict(Achievement.objects.filter(institution=institution).values_list("title_key", "pk"))
        self.existing_patents = dict(
            Patent.objects.filter(institution=institution).values_list("number", "achievement_id")
        )

    # -- file level --------------------------------------------------------------------------
    def map_headers(self, sheet: Sheet, errors: RowErrors) -> dict[str, int]:
        aliases = _header_aliases()
        positions: dict[str, int] = {}
        for index, header in enumerate(sheet.headers):
            if not header:
                continue
            column = aliases.get(_fold(header))
            if column is None and header in EXPORT_ONLY_HEADERS:
                continue
            if column is None:
                errors.add(1, None, _("Unknown column “%(header)s”.") % {"header": header})
            elif column.key in positions:
                errors.add(1, None, _("Column “%(header)s” appears twice.") % {"header": header})
            else:
                positions[column.key] = index
                errors.name_column(column.key, header)
        for column in COLUMNS:
            if column.required and column.key not in positions:
                errors.add(1, None, _("Required column “%(header)s” is missing.") % {"header": column.zh})
        return positions

    # -- row level ---------------------------------------------------------------------------
    def parse_row(self, number: int, values: list, positions: dict[str, int], errors: RowErrors):
        def get(key):
            index = positions.get(key)
            if index is None or index >= len(values):
                return None
            value = values[index]
            return str(value).strip() if isinstance(value, str) else value

        before = len(errors.items)
        data = {}
        for column in COLUMNS:
            if column.required and get(column.key) in (None, ""):
                errors.add(number, column.key, _("This column is required."))

        technical_field = self.fields.get(_fold(get("field"))) if get("field") else None
        if get("field") and technical_field is None:
            errors.add(number, "field", _("Unknown technical field “%(value)s”.") % {"value": get("field")})

        trl, stage = get("trl"), get("maturity_stage")
        if trl is not None:
            match = re.fullmatch(r"(?:trl\s*)?([1-9])(?:\.0+)?", _fold(trl))
            if not match:
                errors.add(number, "trl", _("The TRL must be a whole number from 1 to 9."))
                trl = None
            else:
                trl = int(match.group(1))
        if stage is not None:
            stage_code = STAGE_ALIASES.get(_fold(stage))
            if stage_code is None:
                errors.add(number, "maturity_stage", _("Unknown maturity stage “%(value)s”.") % {"value": stage})
            stage = stage_code
        if trl is None and stage is None and get("trl") is None and get("maturity_stage") is None:
            errors.add(number, "trl", _("Give the technology readiness level (1-9) or the maturity stage."))
        elif trl is not None and stage is not None and TRL_STAGE[trl] != stage:
            errors.add(
                number, "maturity_stage", _("TRL %(trl)s does not belong to this maturity stage.") % {"trl": trl}
            )
        data["trl"] = trl if trl is not None else STAGE_TRL.get(stage)
        data["maturity_stage"] = TRL_STAGE.get(data["trl"], "") if data["trl"] else ""

        modes = []
        for name in KEYWORD_SEPARATORS.split(str(get("transfer_modes") or "")):
            if not name.strip():
                continue
            mode = self.modes.get(_fold(name))
            if mode is None:
                errors.add(number, "transfer_modes", _("Unknown transfer mode “%(value)s”.") % {"value": name.strip()})
            elif mode not in modes:
                modes.append(mode)

        patents = self.parse_patents(number, get("patents"), get("patent_status"), errors)

        for key in ("asking_price_min", "asking_price_max"):
            try:
                data[key] = _decimal(get(key))
            except ValueError as exc:
                errors.add(number, key, str(exc))
                data[key] = None
        if data["asking_price_min"] is not None and data["asking_price_max"] is not None:
            if data["asking_price_min"] > data["asking_price_max"]:
                errors.add(number, "asking_price_max", _("The highest price is below the lowest price."))

        language = get("language")
        data["language"] = LANGUAGE_ALIASES.get(_fold(language), None) if language else Language.ZH_HANS
        if data["language"] is None:
            errors.add(number, "language", _("Unknown language “%(value)s”.") % {"value": language})
            data["language"] = Language.ZH_HANS
        status = get("status")
        data["status"] = STATUS_ALIASES.get(_fold(status)) if status else AchievementStatus.DRAFT
        if data["status"] is None:
            errors.add(number, "status", _("Unknown status “%(value)s”: use draft or published.") % {"value": status})
            data["status"] = AchievementStatus.DRAFT

        text = {
            k: ("" if get(k) is None else str(get(k)))
            for k in ("title", "abstract", "inventors", "contact_name", "contact_phone", "contact_email")
        }
        achievement = Achievement(
            institution=self.institution,
            field=technical_field,
            keywords=clean_keywords(str(get("keywords") or "")),
            created_by=self.actor if getattr(self.actor, "pk", None) else None,
            published_at=timezone.now() if data["status"] == AchievementStatus.PUBLISHED else None,
            **text,
            **data,
        )
        achievement.title_key = fold_title(achievement.title)
        try:
            achievement.clean_fields(
                exclude=["institution", "field", "title_key", "search_document", "trl", "maturity_stage", "created_by"]
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                for message in messages:
                    errors.add(number, key, message)
        if len(errors.items) > before:
            return None
        achievement.search_document = achievement_search_document(achievement, patents)
        return ParsedRow(number=number, achievement=achievement, patents=patents, modes=modes)

    def parse_patents(self, number, raw_numbers, raw_status, errors) -> list[PatentInput]:
        numbers = [normalize_patent_number(n) for n in KEYWORD_SEPARATORS.split(str(raw_numbers or "")) if n.strip()]
        statuses = [s.strip() for s in KEYWORD_SEPARATORS.split(str(raw_status or "")) if s.strip()]
        if numbers and not statuses:
            errors.add(number, "patent_status", _("Give the patent status for the patent numbers."))
            return []
        if statuses and len(statuses) not in (1, len(numbers)):
            errors.add(number, "patent_status", _("Give one status for all patents or one per patent."))
            return []
        patents = []
        for index, patent_number in enumerate(numbers):
            status = PATENT_STATUS_ALIASES.get(_fold(statuses[index if len(statuses) > 1 else 0]))
            if not PATENT_NUMBER.match(patent_number):
                errors.add(number, "patents", _("%(number)s is not a valid patent number.") % {"number": patent_number})
            elif status is None:
                errors.add(number, "patent_status", _("Unknown patent status “%(value)s”.") % {"value": statuses[0]})
            elif patent_number in {p.number for p in patents}:
                errors.add(number, "patents", _("Patent %(number)s is listed twice.") % {"number": patent_number})
            else:
                patents.append(PatentInput(patent_number, status))
        return patents

    def duplicate_reason(self, row: ParsedRow, seen_titles: dict, seen_patents: dict) -> tuple[str, str] | None:
        key = row.achievement.title_key
        if key in self.existing_titles:
            return "title", _("Duplicate: your institution already has this title (#%(id)s).") % {
                "id": self.existing_titles[key]
            }
        if key in seen_titles:
            return "title", _("Duplicate of row %(row)s (same title).") % {"row": seen_titles[key]}
        for patent in row.patents:
            if patent.number in self.existing_patents:
                return "patents", _("Duplicate: patent %(number)s is already listed on achievement #%(id)s.") % {
                    "number": patent.number,
                    "id": self.existing_patents[patent.number],
                }
            if patent.number in seen_patents:
                return "patents", _("Duplicate of row %(row)s (same patent %(number)s).") % {
                    "row": seen_patents[patent.number],
                    "number": patent.number,
                }
        return None

    # -- whole file --------------------------------------------------------------------------
    def run(self, sheet: Sheet, *, dry_run: bool = False) -> ImportResult:
        from core.api.errors import ImportRejected

        errors = RowErrors({c.key: c.zh for c in COLUMNS})
        positions = self.map_headers(sheet, errors)
        if errors.items:
            raise ImportRejected(_("The file's columns do not match the template; nothing was imported."), errors.items)
        if not sheet.rows:
            raise ImportRejected(_("The file has no data rows."), [])

        result = ImportResult(dry_run=dry_run)
        parsed: list[ParsedRow] = []
        seen_titles: dict[str, int] = {}
        seen_patents: dict[str, int] = {}
        for number, values in sheet.rows:
            row = self.parse_row(number, values, positions, errors)
            if row is None:
                continue
            duplicate = self.duplicate_reason(row, seen_titles, seen_patents)
            if duplicate:
                if self.on_duplicate == "skip":
                    result.skipped.append(
                        {"row": number, "column": errors.header(duplicate[0]), "message": duplicate[1]}
                    )
                else:
                    errors.add(number, duplicate[0], duplicate[1])
                continue
            seen_titles[row.achievement.title_key] = number
            for patent in row.patents:
                seen_patents[patent.number] = number
            parsed.append(row)

        if errors.items:
            bad_rows = len({e["row"] for e in errors.items})
            raise ImportRejected(
                _("%(count)d row(s) have errors; nothing was imported.") % {"count": bad_rows}, errors.items
            )
        if dry_run:
            result.created = len(parsed)
            return result
        try:
            result.ids = self.write(parsed)
        except IntegrityError as exc:  # someone saved a twin while we were checking
            raise ImportRejected(
                _(
                    "Another upload or edit created one of these achievements meanwhile; nothing was imported. "
                    "Please upload the file again."
                ),
                [],
            ) from exc
        result.created = len(result.ids)
        return result

    @transaction.atomic
    def write(self, rows: list[ParsedRow]) -> list[int]:
        achievements = Achievement.objects.bulk_create([r.achievement for r in rows], batch_size=1000)
        if any(a.pk is None for a in achievements):  # databases without RETURNING
            keys = {a.title_key for a in achievements}
            by_key = dict(
                Achievement.objects.filter(institution=self.institution, title_key__in=keys).values_list(
                    "title_key", "pk"
                )
            )
            for achievement in achievements:
                achievement.pk = by_key[achievement.title_key]
        Patent.objects.bulk_create(
            [
                Patent(achievement_id=r.achievement.pk, institution=self.institution, number=p.number, status=p.status)
                for r in rows
                for p in r.patents
            ],
            batch_size=2000,
        )
        through = Achievement.transfer_modes.through
        through.objects.bulk_create(
            [through(achievement_id=r.achievement.pk, transfermode_id=m.pk) for r in rows for m in r.modes],
            batch_size=5000,
        )
        records_changed("achievement", [a.pk for a in achievements])
        return [a.pk for a in achievements]


def import_achievements(
    *, upload, institution: Institution, actor, on_duplicate="error", dry_run=False
) -> ImportResult:
    from core.api.errors import ImportRejected

    try:
        sheet = read_spreadsheet(upload)  # every limit from the IMPORT_* settings
    except SpreadsheetError as exc:
        raise ImportRejected(str(exc), []) from exc
    importer = AchievementImporter(institution=institution, actor=actor, on_duplicate=on_duplicate)
    return importer.run(sheet, dry_run=dry_run)


def template_file(file_format: str) -> bytes:
    """The import template: bilingual headers, one example row, and the allowed values."""
    headers = [f"{c.zh}{'*' if c.required else ''}" for c in COLUMNS]
    example = [
        "一种高能量密度固态锂电池电解质",
        "本成果提出一种复合固态电解质……",
        "固态电池，电解质，锂离子",
        "新能源",
        6,
        "中试",
        "ZL202110123456.7",
        "已授权",
        "许可、先使用后付费",
        50,
        200,
        "张三、李四",
        "王老师",
        "028-12345678",
        "contact@example.edu.cn",
        "中文",
        "草稿",
    ]
    if file_format == "csv":
        return write_csv(headers, [example])
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "成果"
    sheet.append(headers)
    sheet.append(example)
    guide = workbook.create_sheet("说明 Guide")
    guide.append(["列 Column", "English", "必填 Required", "说明 Notes"])
    for column in COLUMNS:
        guide.append([column.zh, column.en, "是 yes" if column.required else "", str(column.help)])
    guide.append([])
    guide.append(["技术领域 Technical fields"])
    for technical_field in TechnicalField.objects.all():
        guide.append([technical_field.name_zh, technical_field.name_en, technical_field.code])
    guide.append([])
    guide.append(["成熟阶段 Maturity stages"])
    for stage in MaturityStage:
        guide.append([str(stage.label)])
    guide.append([])
    guide.append(["专利状态 Patent statuses"])
    for status in PatentStatus:
        guide.append([str(status.label)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
