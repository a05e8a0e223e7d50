"""Hostile spreadsheet uploads, built on the fly (shared by the tests and bench/hostile_import_bench.py)."""

import io
import struct
import zipfile
import zlib

from openpyxl import Workbook

from achievements.importing import COLUMNS

HEADERS = [c.zh for c in COLUMNS]
GIB = 1024**3


def workbook_bytes(rows=(), headers=HEADERS, *, inline=False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# ruff: noqa: E501 (the package parts below are kept one XML element a line)
CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = b"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = b"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = b"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""


def _header_sheet() -> bytes:
    """A worksheet whose first row holds the template's headers (inline) and whose second row
    points at shared string 0 in every column."""
    header = b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % h.encode() for h in HEADERS)
    data = b"".join(b'<c t="s"><v>0</v></c>' for _ in HEADERS)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="%s"><sheetData>'
        b'<row r="1">%s</row><row r="2">%s</row></sheetData></worksheet>' % (MAIN, header, data)
    )


def build_xlsx(*, shared_strings=None, sheet=None, strings_part="sharedStrings.xml") -> bytes:
    """A minimal workbook; `shared_strings` / `sheet` are bytes or a function streaming the part;
    `strings_part` names the shared strings (openpyxl finds them by content type, whatever the name)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        renamed = strings_part.encode()
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.replace(b"/xl/sharedStrings.xml", b"/xl/" + renamed))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.replace(b'"sharedStrings.xml"', b'"%s"' % renamed))
        for name, part in (
            ("xl/worksheets/sheet1.xml", sheet or _header_sheet()),
            ("xl/" + strings_part, shared_strings or b'<sst xmlns="%s"><si><t>x</t></si></sst>' % MAIN),
        ):
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=False) as handle:
                if callable(part):
                    part(handle)
                else:
                    handle.write(part)
    return out.getvalue()


def _raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive from already deflated members: (name, raw deflate data, crc32, unpacked size)."""
    out, directory = bytearray(), bytearray()
    for name, raw, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(raw), size, len(encoded), 0)
        out += encoded + raw
        directory += struct.pack(
            "<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(raw), size, len(encoded), 0, 0, 0, 0, 0, offset
        )
        directory += encoded
    count = len(members)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(out), 0)
    return bytes(out + directory + end)


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)


def shared_strings_bomb(size: int = GIB) -> bytes:
    """About 1 MB on the wire; the shared strings decompress to `size` bytes (one long string)."""
    head = b'<?xml version="1.0"?><sst xmlns="%s"><si><t>' % MAIN
    tail = b"</t></si></sst>"
    chunk = b"A" * (1 << 20)
    blocks = (size - len(head) - len(tail)) // len(chunk)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    # After a full flush the compressor starts afresh, so every further chunk deflates to the same bytes.
    raw = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    raw += block * blocks + compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(blocks):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    unpacked = len(head) + blocks * len(chunk) + len(tail)
    members = [(name, *_deflated(part)) for name, part in _parts()]
    members.append(("xl/sharedStrings.xml", raw, crc, unpacked))
    return _raw_zip(members)


def _parts():
    return [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", _header_sheet()),
    ]


def lying_bomb(size: int = 64 * 1024 * 1024, claimed: int = 1000) -> bytes:
    """A shared-strings bomb whose zip directory claims the part unpacks to `claimed` bytes."""
    data = bytearray(shared_strings_bomb(size))
    name = b"xl/sharedStrings.xml"
    for signature, size_offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_length_offset = 28 if signature == b"PK\x01\x02" else 26
            name_start = start + (46 if signature == b"PK\x01\x02" else 30)
            (name_length,) = struct.unpack_from("<H", data, start + name_length_offset)
            if bytes(data[name_start : name_start + name_length]) == name:
                struct.pack_into("<I", data, start + size_offset, claimed)
            start += 4
    return bytes(data)


def giant_inline_cell(chars: int) -> bytes:
    """A worksheet whose second row holds one inline string of `chars` characters (no shared
    strings involved): the text is in the worksheet part itself. Each 64 KB block starts with a
    few KB of random letters, so the part expands about 40 times: inside the ratio limit."""
    import random

    rng = random.Random(0)

    def write(handle):
        header = b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % h.encode() for h in HEADERS)
        handle.write(b'<?xml version="1.0"?><worksheet xmlns="%s"><sheetData><row r="1">%s</row>' % (MAIN, header))
        handle.write(b'<row r="2"><c t="inlineStr"><is><t>')
        for _ in range(chars // 65536):
            noise = bytes(rng.choice(b"abcdefghijklmnop") for _ in range(2600))
            handle.write(noise + b"A" * (65536 - len(noise)))
        handle.write(b"A" * (chars % 65536) + b"</t></is></c></row></sheetData></worksheet>")

    return build_xlsx(sheet=write)


def many_strings(count: int, *, strings_part: str = "sharedStrings.xml") -> bytes:
    """A workbook whose shared-string table holds `count` different short strings (admitted by
    the size and ratio checks when count is moderate: the most objects per byte an upload gives)."""

    def write(handle):
        handle.write(b'<?xml version="1.0"?><sst xmlns="%s">' % MAIN)
        for i in range(count):
            handle.write(b"<si><t>%d</t></si>" % i)
        handle.write(b"</sst>")

    return build_xlsx(shared_strings=write, strings_part=strings_part)


def wide_row_sheet(cells: int, *, values: bool = True) -> bytes:
    """One <row> with `cells` cells (numbers, or empty styled cells): openpyxl would build every
    cell of the row before yielding it."""

    def write(handle):
        handle.write(b'<?xml version="1.0"?><worksheet xmlns="%s"><sheetData><row r="1">' % MAIN)
        for i in range(cells):
            handle.write(b'<c t="n"><v>%d</v></c>' % i if values else b'<c s="%d"/>' % (i % 7))
        handle.write(b"</row></sheetData></worksheet>")

    return build_xlsx(sheet=write)


def far_cell_sheet(row: int = 1_048_576, column: int = 16_384) -> bytes:
    """A header row and one far-away cell (XFD1048576: an extent of 16,384 columns and 1,048,576 rows)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.cell(row=row, column=column, value="远")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def entity_bomb() -> bytes:
    """Billion laughs in the shared strings."""
    entities = '<!ENTITY a0 "haha">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&a9;</t></si></sst>'
    ).encode()
    return build_xlsx(shared_strings=xml)


def huge_csv_line(size: int) -> bytes:
    """A header and one line of `size` commas with a value at its end."""
    return ",".join(HEADERS).encode() + b"\n" + b"," * size + b"x\n"


def deflate_ratio(data: bytes) -> float:
    return len(data) / len(zlib.compress(data))


def _text(seed: int, length: int) -> str:
    """Varied Chinese text that compresses about as well as real prose."""
    import random

    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]
    generator = random.Random(seed)
    return "".join(generator.choice(chars) for _ in range(length))


def full_rows(rows: int = 20_000, abstract_chars: int = 300) -> bytes:
    """The largest ordinary upload: `rows` complete rows of distinct text (dry-run import)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("成果")
    sheet.append(HEADERS)
    filler = _text(1, 50_000)
    for i in range(rows):
        start = (i * 37) % (len(filler) - abstract_chars)
        sheet.append(
            [
                f"成果{i:05d}{filler[start : start + 20]}",
                filler[start : start + abstract_chars],
                "固态电池，电解质",
                "新能源",
                6,
                "中试",
                "",
                "",
                "许可",
                10,
                20,
                "张三",
                "王老师",
                "028-12345678",
                "a@example.edu.cn",
                "中文",
                "草稿",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def long_abstract_csv(size: int, encoding: str = "gbk") -> bytes:
    """A CSV of `size` bytes or so whose rows carry abstracts far over the limit."""
    header = ",".join(HEADERS)
    abstract = _text(2, 300_000)
    lines = [header]
    total = len(header)
    i = 0
    while total < size:
        line = ",".join(
            [f"成果{i}", abstract[: min(300_000, size // 2)], "", "新能源", "6"] + [""] * (len(HEADERS) - 5)
        )
        lines.append(line)
        total += len(line.encode(encoding))
        i += 1
    return "\n".join(lines).encode(encoding)


def replace_text(data: bytes, placeholder: str, text: str) -> bytes:
    """The workbook with `placeholder` replaced by `text` in whichever part holds it (openpyxl
    itself would cut a cell to Excel's 32,767 characters)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info.filename)
            target.writestr(info.filename, part.replace(placeholder.encode(), text.encode()))
    return out.getvalue()
