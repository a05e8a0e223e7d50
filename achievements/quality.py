"""Listing-quality hints: what an institution can add so enterprises and brokers take an
achievement seriously (the checklist IN-PART and Wellspring users see)."""

import re

from django.utils.translation import gettext as _

QUANTIFIED = re.compile(r"\d")


def listing_hints(achievement, *, patent_count: int | None = None) -> list[str]:
    hints = []
    patents = patent_count if patent_count is not None else achievement.patents.count()
    if not patents:
        hints.append(_("No IP status: list the patents (number and status) behind it."))
    if not achievement.trl or not achievement.maturity_stage:
        hints.append(_("No maturity: give the TRL or the stage (lab, pilot, ...)."))
    if not QUANTIFIED.search(achievement.abstract or ""):
        hints.append(_("No quantified advantage: say by how much it beats today's solutions."))
    if achievement.asking_price_min is None and achievement.asking_price_max is None:
        hints.append(_("No price: give an asking price range, or say it is negotiable."))
    if len(achievement.keywords or []) < 3:
        hints.append(_("Few keywords: three or more help enterprises find it."))
    if not (achievement.contact_name and (achievement.contact_phone or achievement.contact_email)):
        hints.append(_("No contact: name a person and a phone or e-mail."))
    return hints
