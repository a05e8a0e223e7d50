"""The annual report as a workbook in the layout a city science bureau files: the indicator
table first (target, actual, completion, last year, growth), then the breakdowns."""

from django.utils.translation import gettext as _

from core.spreadsheets import write_workbook

from . import reports


def indicator_names() -> dict:
    return {
        "events_held": _("Matchmaking events held"),
        "achievements_collected": _("Achievements collected"),
        "achievements_matched": _("Achievements matched"),
        "brokers_active": _("Active technology brokers"),
        "introductions": _("Introductions made"),
        "meetings_held": _("1:1 meetings held"),
        "contracts": _("Technology contracts signed"),
        "contract_value": _("Technology contract value (10k CNY)"),
    }


def target_basis(indicator: dict, figures: dict) -> str:
    """Which rule gave an indicator's target, in words (reports.contract_value_target)."""
    if indicator.get("target_rule") == reports.TARGET_GROWTH:
        return _("last year's value + %(pct)s%%") % {"pct": figures["contract_growth_target_pct"]}
    if indicator.get("target_rule") == reports.TARGET_ABSOLUTE:
        return _("set for the year")
    return ""


def _dimension_titles() -> dict:
    return {
        "month": _("By month"),
        "field": _("By field"),
        "district": _("By district"),
        "institution": _("By institution"),
        "agency": _("By agency"),
    }


def annual_report_sheets(year: int) -> list[tuple[str, list[str], list[list]]]:
    names = indicator_names()
    figures = reports.kpi(year)
    summary = [
        [
            number,
            names[i["code"]],
            i["target"],
            i["actual"],
            i["completion_pct"],
            i["last_year"],
            i["growth_pct"],
            target_basis(i, figures),
        ]
        for number, i in enumerate(figures["indicators"], start=1)
    ]
    sheets = [
        (
            _("Annual report %(year)s") % {"year": year},
            [
                _("No."),
                _("Indicator"),
                _("Target"),
                _("Actual"),
                _("Completion (%)"),
                _("Last year"),
                _("Growth (%)"),
                _("Target basis"),
            ],
            summary,
        )
    ]
    for dimension, title in _dimension_titles().items():
        rows = reports.breakdown(year, dimension)
        sheets.append(
            (
                title,
                [title, _("Contracts"), _("Contract value (10k CNY)"), _("Introductions"), _("Achievements collected")],
                [
                    [
                        r["label"] if r["label"] is not None else _("(not given)"),
                        r["contracts"],
                        r["contract_value"],
                        r["introductions"],
                        r["achievements"],
                    ]
                    for r in rows
                ],
            )
        )
    sheets.append(
        (
            _("Brokers"),
            [
                _("Broker"),
                _("Agency"),
                _("Open caseload"),
                _("Introductions"),
                _("Meetings"),
                _("Contracts"),
                _("Contract value (10k CNY)"),
                _("Median days to introduction"),
            ],
            [
                [
                    r["broker"],
                    r["agency"],
                    r["caseload"],
                    r["introductions"],
                    r["meetings"],
                    r["contracts"],
                    r["contract_value"],
                    r["median_days_to_introduction"],
                ]
                for r in reports.broker_performance(year)
            ],
        )
    )
    funnel = reports.challenge_funnel(year)
    sheets.append(
        (
            _("揭榜挂帅 challenges"),
            [_("Stage"), _("Count")],
            [
                [_("Taken in"), funnel["taken_in"]],
                [_("Published"), funnel["published"]],
                [_("Bid on"), funnel["bid_on"]],
                [_("Solved (awarded)"), funnel["solved"]],
                [_("Funded (contract signed)"), funnel["funded"]],
            ],
        )
    )
    return sheets


def annual_report_xlsx(year: int) -> bytes:
    return write_workbook(annual_report_sheets(year))
