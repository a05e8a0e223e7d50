"""Achievement export rows. The columns are the import template's, plus a few read-only
ones the importer ignores, so an exported file can be edited and imported elsewhere."""

from django.utils import timezone

from .importing import COLUMNS, EXPORT_ONLY_HEADERS


def achievement_export_headers() -> list[str]:
    return [EXPORT_ONLY_HEADERS[0], EXPORT_ONLY_HEADERS[1]] + [c.zh for c in COLUMNS] + list(EXPORT_ONLY_HEADERS[2:])


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def achievement_export_rows(queryset):
    for a in queryset.iterator(chunk_size=1000):
        patents = list(a.patents.all())
        yield [
            a.pk,
            a.institution.name,
            a.title,
            a.abstract,
            "、".join(a.keywords),
            a.field.name_zh,
            a.trl,
            a.get_maturity_stage_display(),
            ", ".join(p.number for p in patents),
            ", ".join(p.get_status_display() for p in patents),
            "、".join(m.name_zh for m in a.transfer_modes.all()),
            a.asking_price_min,
            a.asking_price_max,
            a.inventors,
            a.contact_name,
            a.contact_phone,
            a.contact_email,
            a.get_language_display(),
            a.get_status_display(),
            _local(a.created_at),
            _local(a.published_at),
        ]
