"""Reference data shared by every app: the city's technical-field taxonomy, districts, and
the transfer / cooperation modes. Names are stored in both languages; `name` follows the
active language."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=120)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class TechnicalField(BilingualName):
    """One of the city's key industries (重点产业领域)."""

    class Meta(BilingualName.Meta):
        verbose_name = _("technical field")
        verbose_name_plural = _("technical fields")


class District(BilingualName):
    """A district or county-level city of Chengdu, or a functional zone."""

    class Meta(BilingualName.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class TransferMode(BilingualName):
    """How an achievement changes hands; for needs, the wanted cooperation mode."""

    class Meta(BilingualName.Meta):
        verbose_name = _("transfer mode")
        verbose_name_plural = _("transfer modes")
