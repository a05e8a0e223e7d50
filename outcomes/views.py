"""The programme dashboard (organisers, admins) and recording a contract from a match page
(brokers). Thin: reports.py computes, contracts.py writes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exporting import export_response

from . import reports
from .charts import horizontal_bars, vertical_bars
from .contracts import contract_create
from .exporting import indicator_names
from .forms import ContractForm
from .permissions import can_report


def _year(request) -> int:
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() else timezone.localdate().year
    return min(max(year, 2000), 2100)


@login_required
def dashboard(request):
    if not can_report(request.user):
        raise PermissionDenied
    year = _year(request)
    names = indicator_names()
    kpi = reports.kpi(year)
    for indicator in kpi["indicators"]:
        indicator["name"] = names[indicator["code"]]
        indicator["bar"] = min(indicator["completion_pct"] or 0, 100)
    months = reports.breakdown(year, "month")
    fields = reports.breakdown(year, "field")[:12]
    districts = reports.breakdown(year, "district")[:12]
    return render(
        request,
        "organiser/dashboard.html",
        {
            "year": year,
            "kpi": kpi,
            "value_by_month": vertical_bars([(str(r["key"]), r["contract_value"]) for r in months]),
            "introductions_by_month": vertical_bars([(str(r["key"]), r["introductions"]) for r in months]),
            "value_by_field": horizontal_bars([(r["label"] or _("(not given)"), r["contract_value"]) for r in fields]),
            "value_by_district": horizontal_bars(
                [(r["label"] or _("(not given)"), r["contract_value"]) for r in districts]
            ),
            "funnel": reports.challenge_funnel(year),
            "dimensions": reports.DIMENSIONS,
        },
    )


@login_required
def breakdown_download(request):
    if not can_report(request.user):
        raise PermissionDenied
    year = _year(request)
    dimension = request.GET.get("by", "month")
    if dimension not in reports.DIMENSIONS:
        dimension = "month"
    rows = reports.breakdown(year, dimension)
    headers = [
        _("Key"),
        _("Name"),
        _("Contracts"),
        _("Contract value (万元)"),
        _("Introductions"),
        _("Achievements collected"),
    ]
    return export_response(
        headers=headers,
        rows=(
            [r["key"], r["label"], r["contracts"], r["contract_value"], r["introductions"], r["achievements"]]
            for r in rows
        ),
        basename=f"techbridge-{year}-{dimension}",
        actor=request.user,
        file_format=request.GET.get("file_format", "csv")
        if request.GET.get("file_format") in ("csv", "xlsx")
        else "csv",
    )


@login_required
@require_POST
def record_contract(request, pk):
    """The broker records the signed contract of a match; the match moves to "contract signed"."""
    from matchmaking.selectors import can_work_match, match_list

    if not can_work_match(request.user):
        raise PermissionDenied
    match = get_object_or_404(match_list(user=request.user), pk=pk)
    form = ContractForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("broker-match", pk=match.pk)
    try:
        contract_create(actor=request.user, match=match, **form.service_fields())
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("Contract recorded; the match is now signed."))
    return redirect("broker-match", pk=match.pk)
