"""How well a pair fits, in words, from its calibrated score (the probability that the pair is
relevant, see fusion.py): the need analysis's coverage verdicts and the label beside every
suggestion use the same thresholds."""

from django.utils.translation import gettext_lazy as _

STRONG = 0.5
SOME = 0.2

LABELS = {
    "strong": _("Strong fit"),
    "some": _("Possible fit"),
    "none": _("Weak fit"),
}


def verdict(score: float | None) -> str:
    """The verdict ("strong", "some" or "none") for a calibrated score (None: not scored yet)."""
    if score is None or score < SOME:
        return "none"
    return "strong" if score >= STRONG else "some"
