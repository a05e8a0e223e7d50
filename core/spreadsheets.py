"""Reading uploaded spreadsheets (.xlsx, .csv in UTF-8 or GBK) and writing exports.

Exports neutralise spreadsheet-formula injection: a text cell that starts with `=`, `+`,
`-`, `@`, tab or carriage return is prefixed with an apostrophe so that Excel, WPS and
LibreOffice show it as text instead of evaluating it.
"""

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


class SpreadsheetError(ValueError):
    """The upload is not a readable spreadsheet; the message is user-facing."""


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list]]  # (spreadsheet row number, cell values)


@dataclass(frozen=True)
class ReadLimits:
    """What an upload may hold; `from_settings()` gives the configured limits."""

    max_bytes: int
    max_rows: int
    max_columns: int = 64
    # .xlsx only, checked on the zip directory before anything is decompressed:
    max_uncompressed_bytes: int = 256 * 1024 * 1024
    max_part_bytes: int = 8 * 1024 * 1024  # any part openpyxl parses whole (styles, workbook, ...)
    max_ratio: int = 100
    max_members: int = 200
    max_shared_strings: int = 500_000
    max_part_elements: int = 500_000  # per XML part parsed whole into a tree
    max_text_chars: int = 20_000_000  # the text of every cell read (and of the shared strings)

    @classmethod
    def from_settings(cls, **overrides) -> "ReadLimits":
        from django.conf import settings

        values = {
            "max_bytes": settings.IMPORT_MAX_BYTES,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "max_columns": settings.IMPORT_MAX_COLUMNS,
            "max_uncompressed_bytes": settings.IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES,
            "max_part_bytes": settings.IMPORT_XLSX_MAX_PART_BYTES,
            "max_ratio": settings.IMPORT_XLSX_MAX_RATIO,
            "max_members": settings.IMPORT_XLSX_MAX_MEMBERS,
            "max_shared_strings": settings.IMPORT_XLSX_MAX_SHARED_STRINGS,
            "max_part_elements": settings.IMPORT_XLSX_MAX_PART_ELEMENTS,
            "max_text_chars": settings.IMPORT_MAX_TEXT_CHARS,
        }
        values.update(overrides)
        return cls(**values)


# Parts that hold the cells: worksheets are parsed a row at a time; the shared strings become a
# list of strings. Both are bounded by the total unpacked size; every other XML part is parsed
# whole into a tree, so each of those has its own, smaller limit.
_CELL_PART = re.compile(r"xl/(worksheets/[^/]+\.xml|sharedStrings\.xml)", re.IGNORECASE)
# Below this size a part's compression ratio says nothing (a tiny, very regular XML file).
_RATIO_FLOOR_BYTES = 1024 * 1024


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 104_858 else f"{size / 1024:.1f} KB"


def check_xlsx_archive(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Refuse a zip bomb from the archive's directory alone, before decompressing a byte.

    zipfile never inflates a member beyond the size its directory entry declares (a member that
    lies about its size fails its CRC check), so the declared sizes bound what parsing can read.
    """
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise SpreadsheetError(
            _("The Excel workbook has %(count)d parts; at most %(max)d are allowed.")
            % {"count": len(members), "max": limits.max_members}
        )
    total = 0
    for member in members:
        total += member.file_size
        if member.flag_bits & 0x1:
            raise SpreadsheetError(_("The Excel workbook is encrypted; save it without a password."))
        if member.file_size > _RATIO_FLOOR_BYTES and member.file_size > limits.max_ratio * max(member.compress_size, 1):
            raise SpreadsheetError(
                _(
                    "The Excel workbook looks like a zip bomb: its part %(name)s expands %(ratio)d times "
                    "(at most %(max)d allowed)."
                )
                % {
                    "name": member.filename[:100],
                    "ratio": member.file_size // max(member.compress_size, 1),
                    "max": limits.max_ratio,
                }
            )
        if member.filename == _CONTENT_TYPES and member.file_size > limits.max_part_bytes:
            raise SpreadsheetError(
                _("The Excel workbook's part %(name)s is %(size)s unpacked; at most %(max)s are allowed.")
                % {"name": member.filename[:100], "size": _mb(member.file_size), "max": _mb(limits.max_part_bytes)}
            )
    if total > limits.max_uncompressed_bytes:
        raise SpreadsheetError(
            _("The Excel workbook is %(size)s unpacked; at most %(max)s are allowed.")
            % {"size": _mb(total), "max": _mb(limits.max_uncompressed_bytes)}
        )
    kinds = part_kinds(archive)
    for member in members:
        if kinds.get(member.filename) == "whole" and member.file_size > limits.max_part_bytes:
            raise SpreadsheetError(
                _("The Excel workbook's part %(name)s is %(size)s unpacked; at most %(max)s are allowed.")
                % {"name": member.filename[:100], "size": _mb(member.file_size), "max": _mb(limits.max_part_bytes)}
            )


_CONTENT_TYPES = "[Content_Types].xml"
_CELL_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
)


def _declared_types(archive: zipfile.ZipFile) -> tuple[dict, dict]:
    """([Content_Types].xml's defaults by extension, overrides by part name), read as a stream
    without a DTD. openpyxl finds the worksheets and shared strings by these types, whatever the
    parts are called, so the checks must classify parts the same way."""
    from xml.parsers import expat

    defaults, overrides = {}, {}
    if _CONTENT_TYPES not in archive.namelist():
        return defaults, overrides

    def start(tag, attrs):
        if tag.endswith("Default") and "Extension" in attrs:
            defaults[attrs["Extension"].lower()] = attrs.get("ContentType", "")
        elif tag.endswith("Override") and "PartName" in attrs:
            overrides[attrs["PartName"].lstrip("/")] = attrs.get("ContentType", "")

    def no_dtd(*_args):
        raise _Refused(
            _("The Excel workbook's part %(name)s declares a DTD, which is not allowed.") % {"name": _CONTENT_TYPES}
        )

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    try:
        parser.Parse(archive.read(_CONTENT_TYPES), True)
    except _Refused as exc:
        raise SpreadsheetError(str(exc)) from None
    except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise SpreadsheetError(_("The Excel workbook cannot be read: it may be damaged.")) from exc
    return defaults, overrides


def part_kinds(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each member as "cells" (a worksheet or the shared strings, read a row or a string at a
    time), "whole" (other XML, which openpyxl parses into a tree) or "other" (images, binaries:
    openpyxl does not parse them)."""
    defaults, overrides = _declared_types(archive)
    kinds = {}
    for member in archive.infolist():
        name = member.filename
        declared = overrides.get(name) or defaults.get(name.rsplit(".", 1)[-1].lower(), "")
        if declared in _CELL_TYPES or _CELL_PART.fullmatch(name):
            kinds[name] = "cells"
        elif declared.endswith("xml") or name.lower().endswith((".xml", ".rels")):
            kinds[name] = "whole"
        else:
            kinds[name] = "other"
    return kinds


# Structure any real workbook stays far inside: Excel has 16,384 columns and 64,000 cell formats.
_MAX_CHILDREN = 65_536
_MAX_DEPTH = 64
_SHEET_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


_ROW, _CELL = f"{_SHEET_MAIN} row", f"{_SHEET_MAIN} c"
_CELL_VALUES = (f"{_SHEET_MAIN} v", f"{_SHEET_MAIN} is", f"{_SHEET_MAIN} f")


class _Refused(Exception):
    pass


def _number(text) -> int:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else 0


def _column(reference) -> int:
    """The column number of a cell reference such as "AB12" (0 if there is none)."""
    letters = (reference or "").rstrip("0123456789").upper()
    if not letters or len(letters) > 3 or not letters.isascii() or not letters.isalpha():
        return 0
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _scan_xml_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: ReadLimits, cell_part: bool) -> None:
    """Read one XML part as a stream (expat, no tree) and refuse what would make openpyxl's
    parsers hold too much: a DTD (entity expansion), nesting deeper than any workbook, an element
    with more children than Excel can produce, more rows or shared strings than the limits, or,
    in a part that openpyxl parses whole, more elements than the limit."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator=" ")
    children = [0]
    names: list[str] = []
    counts = {"elements": 0, "rows": 0, "strings": 0, "text": 0}
    name = member.filename[:100]
    # Where we are in a worksheet: openpyxl reads only the first max_columns + 1 columns, so a
    # value further right is refused here rather than silently dropped.
    cell = {"row": 0, "column": 0}

    def start(tag, attrs):
        parent = names[-1] if names else ""
        if cell_part:
            if tag == _ROW:
                cell["row"] = _number(attrs.get("r")) or cell["row"] + 1
                cell["column"] = 0
            elif tag == _CELL:
                cell["column"] = _column(attrs.get("r")) or cell["column"] + 1
            elif parent == _CELL and tag in _CELL_VALUES and cell["column"] > limits.max_columns:
                raise _Refused(
                    _("Row %(row)d has more than %(max)d columns.") % {"row": cell["row"], "max": limits.max_columns}
                )
        children[-1] += 1
        counts["elements"] += 1
        if parent == f"{_SHEET_MAIN} sheetData":
            counts["rows"] += 1
            if counts["rows"] > limits.max_rows + 1:
                raise _Refused(
                    _("The file has more than %(max)d rows after the header (empty rows count too).")
                    % {"max": limits.max_rows}
                )
        elif parent == f"{_SHEET_MAIN} sst" and len(names) == 1:
            counts["strings"] += 1
            if counts["strings"] > limits.max_shared_strings:
                raise _Refused(
                    _("The Excel workbook has more than %(max)d different texts.") % {"max": limits.max_shared_strings}
                )
        elif children[-1] > _MAX_CHILDREN:
            raise _Refused(_("The Excel workbook's part %(name)s has an element with too many parts.") % {"name": name})
        if not cell_part and counts["elements"] > limits.max_part_elements:
            raise _Refused(_("The Excel workbook's part %(name)s is too complex.") % {"name": name})
        if len(names) >= _MAX_DEPTH:
            raise _Refused(_("The Excel workbook's part %(name)s is nested too deeply.") % {"name": name})
        names.append(tag)
        children.append(0)

    def end(_tag):
        names.pop()
        children.pop()

    def no_dtd(*_args):
        raise _Refused(_("The Excel workbook's part %(name)s declares a DTD, which is not allowed.") % {"name": name})

    def text(data):
        counts["text"] += len(data)
        if counts["text"] > limits.max_text_chars:
            raise _Refused(str(_too_much_text(limits)))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if cell_part:  # shared strings and inline strings alike, whatever the part is called
        parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(1 << 16):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Refused as exc:
        raise SpreadsheetError(str(exc)) from None
    except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise SpreadsheetError(_("The Excel workbook cannot be read: it may be damaged.")) from exc


def check_xlsx_parts(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    kinds = part_kinds(archive)
    for member in archive.infolist():
        if kinds[member.filename] != "other":
            _scan_xml_part(archive, member, limits, cell_part=kinds[member.filename] == "cells")


def _read_shared_strings(xml_source) -> list:
    """openpyxl's read_string_table, but the root drops each string's element once read (the
    original keeps every emptied element) and the text is joined here (as Text.content does:
    the plain text, then the rich-text runs; phonetic hints are left out)."""
    from openpyxl.xml.functions import iterparse

    string_tag, text_tag, run_tag = (f"{{{_SHEET_MAIN}}}{tag}" for tag in ("si", "t", "r"))
    strings = []
    root = None
    for event, node in iterparse(xml_source, events=("start", "end")):
        if root is None:
            root = node
        elif event == "end" and node.tag == string_tag:
            parts = []
            for child in node:
                if child.tag == text_tag:
                    parts.append(child.text or "")
                elif child.tag == run_tag:
                    parts.extend(grandchild.text or "" for grandchild in child if grandchild.tag == text_tag)
            strings.append("".join(parts).replace("x005F_", ""))
            root.clear()
    return strings


def _load_workbook(data: bytes):
    """openpyxl.load_workbook(read_only=True, data_only=True) with the bounded string reader."""
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    class BoundedReader(ExcelReader):
        def read_strings(self):
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as source:
                    self.shared_strings = _read_shared_strings(source)

    reader = BoundedReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read()
    return reader.wb


def neutralize(value):
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _decode_csv(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise SpreadsheetError(_("The file is not a CSV text file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(_("The CSV file must be encoded in UTF-8 or GBK."))


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _too_much_text(limits: ReadLimits) -> SpreadsheetError:
    return SpreadsheetError(_("The file holds more than %(max)d characters of text.") % {"max": limits.max_text_chars})


def _to_sheet(raw_rows: Iterator, limits: ReadLimits) -> Sheet:
    """Collect the rows, counting every row read (empty or not) against the row limit, every
    character of every text cell against the text limit (a text used by many cells counts each
    time: the importer works on each copy), and refusing a row wider than the column limit
    (empty cells after the last value do not count)."""
    text = 0

    def cells(values, number):
        nonlocal text
        if len(values) > limits.max_columns:
            if any(_clean(v) is not None for v in itertools.islice(values, limits.max_columns, None)):
                raise SpreadsheetError(
                    _("Row %(row)d has more than %(max)d columns.") % {"row": number, "max": limits.max_columns}
                )
            values = values[: limits.max_columns]
        values = [_clean(v) for v in values]
        while values and values[-1] is None:
            values.pop()
        text += sum(len(v) for v in values if isinstance(v, str))
        if text > limits.max_text_chars:
            raise _too_much_text(limits)
        return values

    header_row = next(raw_rows, None)
    header_row = cells(header_row or (), 1)
    if not any(c is not None for c in header_row):
        raise SpreadsheetError(_("The file has no header row."))
    headers = [str(c or "") for c in header_row]
    rows = []
    for number, values in enumerate(raw_rows, start=2):
        if number - 1 > limits.max_rows:
            raise SpreadsheetError(
                _("The file has more than %(max)d rows after the header (empty rows count too).")
                % {"max": limits.max_rows}
            )
        values = cells(values, number)
        if values:
            rows.append((number, values))
    return Sheet(headers=headers, rows=rows)


# What openpyxl raises for a damaged workbook (SyntaxError: the XML parser's ParseError).
_UNREADABLE = (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError, SyntaxError, RecursionError)


def _read_xlsx(data: bytes, limits: ReadLimits) -> Sheet:
    if not data.startswith(b"PK\x03\x04"):
        raise SpreadsheetError(_("The file is named .xlsx but is not an Excel workbook."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SpreadsheetError(_("The Excel workbook cannot be read: it may be damaged.")) from exc
    with archive:
        check_xlsx_archive(archive, limits)  # the directory: sizes, ratios, member count
        check_xlsx_parts(archive, limits)  # the XML, streamed: structure, rows, strings
    try:
        workbook = _load_workbook(data)
    except _UNREADABLE as exc:
        # SyntaxError: the XML parser's ParseError (and defusedxml's refusals of entities).
        raise SpreadsheetError(_("The Excel workbook cannot be read: it may be damaged.")) from exc
    try:
        if not workbook.worksheets:
            raise SpreadsheetError(_("The Excel workbook has no worksheet."))
        sheet = workbook.worksheets[0]
        # Streamed a row at a time; max_row and max_col keep a forged <dimension> or a far-away
        # cell from making openpyxl fill in millions of empty rows or cells.
        rows = sheet.iter_rows(max_row=limits.max_rows + 2, max_col=limits.max_columns + 1, values_only=True)
        return _to_sheet(rows, limits)
    except SpreadsheetError:
        raise
    except _UNREADABLE as exc:
        raise SpreadsheetError(_("The Excel workbook cannot be read: it may be damaged.")) from exc
    finally:
        workbook.close()


def _read_csv(data: bytes, limits: ReadLimits) -> Sheet:
    text = _decode_csv(data)
    # One field may be as long as the whole (size-limited) file, so that an over-long cell gets
    # a row error from the importer instead of a parser error for the file.
    if csv.field_size_limit() < limits.max_bytes:
        csv.field_size_limit(limits.max_bytes)
    reader = csv.reader(io.StringIO(text))
    try:
        return _to_sheet(reader, limits)
    except csv.Error as exc:
        raise SpreadsheetError(_("The CSV file cannot be parsed: %(reason)s") % {"reason": exc}) from exc


def read_spreadsheet(upload, *, max_bytes: int | None = None, max_rows: int | None = None, limits=None) -> Sheet:
    """Parse an uploaded .xlsx or .csv file; raise SpreadsheetError with a clear message."""
    overrides = {k: v for k, v in (("max_bytes", max_bytes), ("max_rows", max_rows)) if v is not None}
    limits = limits or ReadLimits.from_settings(**overrides)
    name = (getattr(upload, "name", "") or "").lower()
    size = getattr(upload, "size", None)
    if size is not None and size > limits.max_bytes:
        raise SpreadsheetError(
            _("The file is %(size).1f MB; the limit is %(limit).1f MB.")
            % {"size": size / 1_048_576, "limit": limits.max_bytes / 1_048_576}
        )
    data = upload.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise SpreadsheetError(
            _("The file is larger than the %(limit).1f MB limit.") % {"limit": limits.max_bytes / 1_048_576}
        )
    if not data:
        raise SpreadsheetError(_("The file is empty."))
    if name.endswith(".xlsx"):
        return _read_xlsx(data, limits)
    if name.endswith(".csv"):
        return _read_csv(data, limits)
    raise SpreadsheetError(_("Only .xlsx and .csv files can be imported (.xls: save it as .xlsx first)."))


def write_xlsx(headers: list[str], rows: Iterable[list], *, title: str = "Sheet1") -> bytes:
    return write_workbook([(title, headers, rows)])


def write_workbook(sheets: Iterable[tuple[str, list[str], Iterable[list]]]) -> bytes:
    """One .xlsx with a sheet per (title, headers, rows); cell values are neutralised."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append(headers)
        for row in rows:
            sheet.append([neutralize(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(headers: list[str], rows: Iterable[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else neutralize(v) for v in row])
    # A byte-order mark makes Excel open UTF-8 Chinese text correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
