"""Reading uploaded spreadsheets (.xlsx, .csv in UTF-8 or GBK) and writing exports.

Exports neutralise spreadsheet-formula injection: a text cell that starts with `=`, `+`,
`-`, `@`, tab or carriage return is prefixed with an apostrophe so that Excel, WPS and
LibreOffice show it as text instead of evaluating it.
"""

import csv
import io
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


def _to_sheet(raw_rows: Iterator[list], max_rows: int) -> Sheet:
    header_row = next(raw_rows, None)
    if not header_row or not any(_clean(c) for c in header_row):
        raise SpreadsheetError(_("The file has no header row."))
    headers = [str(_clean(c) or "") for c in header_row]
    rows = []
    for number, values in enumerate(raw_rows, start=2):
        values = [_clean(v) for v in values]
        if not any(v is not None for v in values):
            continue
        if len(rows) >= max_rows:
            raise SpreadsheetError(_("The file has more than %(max)d data rows.") % {"max": max_rows})
        rows.append((number, values))
    return Sheet(headers=headers, rows=rows)


def read_spreadsheet(upload, *, max_bytes: int, max_rows: int) -> Sheet:
    """Parse an uploaded .xlsx or .csv file; raise SpreadsheetError with a clear message."""
    name = (getattr(upload, "name", "") or "").lower()
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise SpreadsheetError(
            _("The file is %(size).1f MB; the limit is %(limit).1f MB.")
            % {"size": size / 1_048_576, "limit": max_bytes / 1_048_576}
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SpreadsheetError(
            _("The file is larger than the %(limit).1f MB limit.") % {"limit": max_bytes / 1_048_576}
        )
    if not data:
        raise SpreadsheetError(_("The file is empty."))

    if name.endswith(".xlsx"):
        if not data.startswith(b"PK\x03\x04"):
            raise SpreadsheetError(_("The file is named .xlsx but is not an Excel workbook."))
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise SpreadsheetError(_("The Excel workbook cannot be read: it may be damaged.")) from exc
        try:
            sheet = workbook.worksheets[0]
            return _to_sheet((list(r) for r in sheet.iter_rows(values_only=True)), max_rows)
        finally:
            workbook.close()
    if name.endswith(".csv"):
        text = _decode_csv(data)
        try:
            return _to_sheet(iter(list(csv.reader(io.StringIO(text)))), max_rows)
        except csv.Error as exc:
            raise SpreadsheetError(_("The CSV file cannot be parsed: %(reason)s") % {"reason": exc}) from exc
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
