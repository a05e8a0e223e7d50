"""The programme dashboard (organisers, admins), recording a contract from a match page
(brokers), the contracts and 先使用后付费 licences page (parties, brokers, the committee) and
the 揭榜挂帅 pages. Thin: reports.py computes, contracts.py and challenges.py write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.exporting import EXPORT_FORMATS, export_response
from core.forms import apply_service_errors
from core.ids import parse_id, parse_int

from . import reports
from .charts import horizontal_bars, vertical_bars
from .contracts import contract_create
from .exporting import indicator_names, target_basis
from .forms import ContractForm, LicenceEvaluateForm, LicencePaidForm
from .permissions import can_report, contracts_visible_to, is_committee, licences_visible_to, may_act_on_licence


def _year(request) -> int:
    year = parse_int(request.GET.get("year", ""), minimum=-(10**18), maximum=10**18)
    year = timezone.localdate().year if year is None else year
    return min(max(year, 2000), 2100)


# the breakdowns as a reader names them (the file is still month.csv, field.csv...)
DIMENSION_LABELS = {
    "month": gettext_lazy("by month"),
    "field": gettext_lazy("by field"),
    "district": gettext_lazy("by district"),
    "institution": gettext_lazy("by institution"),
    "agency": gettext_lazy("by agency"),
}


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
        indicator["basis"] = target_basis(indicator, kpi)
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
            "dimensions": [(d, DIMENSION_LABELS[d]) for d in reports.DIMENSIONS],
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
    file_format = request.GET.get("file_format", "csv")
    if file_format not in EXPORT_FORMATS:  # a page link, not the API: fall back rather than refuse
        file_format = "csv"
    headers = [
        _("Key"),
        _("Name"),
        _("Contracts"),
        _("Contract value (10k CNY)"),
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
        file_format=file_format,
    )


@login_required
@require_POST
def record_contract(request, pk):
    """The broker records the signed contract of a match; the match moves to "contract signed"."""
    from matchmaking.selectors import can_work_match, match_list, may_work_match

    if not can_work_match(request.user):
        raise PermissionDenied
    match = get_object_or_404(match_list(user=request.user), pk=pk)
    if not may_work_match(request.user, match):
        raise PermissionDenied
    form = ContractForm(request.POST)
    if form.is_valid():
        try:
            contract_create(actor=request.user, match=match, **form.service_fields())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Contract recorded; the match is now signed."))
            return redirect("broker-match", pk=match.pk)
    from matchmaking.views import match_detail

    messages.error(request, _("The contract was not recorded: see the form below."))
    if form.non_field_errors():  # a form the match page may not show (the match cannot be signed now)
        messages.error(request, " ".join(form.non_field_errors()))
    return match_detail(request, match.pk, contract_form=form, status=400)


# -- contracts and 先使用后付费 licences ------------------------------------------------------------


@login_required
def contract_list(request, *, bound=None, status=200):
    """The contracts the reader may see, newest first, each licence with the step it is at;
    `?contract=ID` shows that one alone (where a notification or a rejected form points).
    `bound`: (licence id, step, form) of a rejected form, shown with its errors and input."""
    from django.core.paginator import Paginator

    from .models import LicenceStatus

    contracts = contracts_visible_to(request.user).select_related("licence", "match").order_by("-signed_on", "-pk")
    only = parse_id(request.GET.get("contract", ""))
    if only is not None:
        contracts = contracts.filter(pk=only)
    page = Paginator(contracts, 25).get_page(request.GET.get("page"))
    steps = {
        LicenceStatus.FREE_USE: ("evaluate", LicenceEvaluateForm),
        LicenceStatus.EVALUATED: ("paid", LicencePaidForm),
        LicenceStatus.PAYMENT_DUE: ("paid", LicencePaidForm),
    }
    for contract in page:
        licence = getattr(contract, "licence", None)  # a contract without a licence has none to load
        contract.use_first = licence
        if licence is None:
            continue
        licence.contract = contract
        licence.forms = {}
        step = steps.get(licence.status)
        if step and may_act_on_licence(request.user, licence, step[0]):
            licence.forms[step[0]] = step[1](prefix=f"l{licence.pk}")
        if bound and bound[0] == licence.pk:
            licence.forms[bound[1]] = bound[2]
    return render(
        request,
        "contracts/list.html",
        {"page": page, "contracts": page.object_list, "only": only, "committee": is_committee(request.user)},
        status=status,
    )


def _licence_step(request, pk, step, form_class, service):
    licence = get_object_or_404(licences_visible_to(request.user).select_related("contract"), pk=pk)
    if not may_act_on_licence(request.user, licence, step):
        raise PermissionDenied
    form = form_class(request.POST, prefix=f"l{licence.pk}")
    if form.is_valid():
        try:
            service(licence, form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('web-contracts')}?contract={licence.contract_id}#licence-{licence.pk}")
    # the licence's contract alone, so that its form and errors are on the page whatever page it was on
    request.GET = request.GET.copy()
    request.GET["contract"] = str(licence.contract_id)
    request.GET.pop("page", None)
    return contract_list(request, bound=(licence.pk, step, form), status=400)


@login_required
@require_POST
def licence_evaluate_step(request, pk):
    from .contracts import licence_evaluate

    def evaluate(licence, data):
        licence_evaluate(actor=request.user, licence=licence, **data)

    return _licence_step(request, pk, "evaluate", LicenceEvaluateForm, evaluate)


@login_required
@require_POST
def licence_paid_step(request, pk):
    from .contracts import licence_paid

    def paid(licence, data):
        licence_paid(actor=request.user, licence=licence, paid_on=data["paid_on"])

    return _licence_step(request, pk, "paid", LicencePaidForm, paid)


# -- 揭榜挂帅 challenges ----------------------------------------------------------------------------


@login_required
def challenge_list(request):
    from .permissions import challenges_visible_to

    rows = challenges_visible_to(request.user).order_by("-published_at", "-submitted_at")[:100]
    return render(request, "challenges/list.html", {"challenges": rows})


def _challenge_context(request, challenge) -> dict:
    from .challenges import ranked_bids
    from .models import BidStatus, ChallengeStage
    from .permissions import bids_visible_to, is_committee

    user = request.user
    visible = set(bids_visible_to(user, challenge).values_list("pk", flat=True))
    assignment = challenge.reviewers.filter(reviewer=user).first()
    committee = is_committee(user)
    screening, refreshing = None, False
    # the stored analysis is drawn as the committee sees the platform: public needs (admins: any)
    shows_analysis = committee and (challenge.need.confidentiality == "public" or user.is_platform_admin)
    analysis_page_open = False
    if shows_analysis:
        from enterprises.selectors import can_see_need

        # the full page keeps the need's own rule: a need still in draft opens for admins only
        analysis_page_open = can_see_need(user, challenge.need)
        from matchmaking.analysis.services import screening as screen
        from matchmaking.analysis.services import stored_analysis

        analysis, refreshing = stored_analysis(challenge.need, user)
        screening = screen(analysis)
    return {
        "shows_analysis": shows_analysis,
        "analysis_page_open": analysis_page_open,
        "analysis_withheld": committee and not shows_analysis,
        "screening": screening,
        "screening_refreshing": refreshing,
        "challenge": challenge,
        "bids": [b for b in ranked_bids(challenge) if b.pk in visible],
        "is_committee": committee,
        "can_bid": user.role == "institution" and challenge.stage == ChallengeStage.PUBLISHED,
        "reviewing": assignment is not None and challenge.stage == ChallengeStage.EVALUATING,
        "reviewers": challenge.reviewers.select_related("expert__institution") if committee else [],
        "open_status": BidStatus.SUBMITTED,
    }


@login_required
def challenge_detail(request, pk):
    from .permissions import challenges_visible_to

    challenge = get_object_or_404(challenges_visible_to(request.user), pk=pk)
    return render(request, "challenges/detail.html", _challenge_context(request, challenge))


def _posted_bid(challenge, post):
    bid_id = parse_id(post.get("bid", ""))
    if bid_id is None:
        raise ValidationError(_("Choose a bid of this challenge that is still in the running."))
    return get_object_or_404(challenge.bids, pk=bid_id)


@login_required
@require_POST
def challenge_action(request, pk):
    """One form per workflow step; the services check who may take it."""
    from decimal import Decimal, InvalidOperation

    from . import challenges
    from .permissions import challenges_visible_to

    challenge = get_object_or_404(challenges_visible_to(request.user), pk=pk)
    action, user, post = request.POST.get("action", ""), request.user, request.POST
    try:
        if action == "approve":
            challenges.challenge_screen(actor=user, challenge=challenge, approve=True, note=post.get("note", ""))
        elif action == "reject":
            challenges.challenge_screen(actor=user, challenge=challenge, approve=False, note=post.get("note", ""))
        elif action == "publish":
            challenges.challenge_publish(actor=user, challenge=challenge)
        elif action == "close":
            challenges.challenge_close(actor=user, challenge=challenge)
        elif action == "reviewers":
            challenges.assign_reviewers(actor=user, challenge=challenge, count=3)
        elif action == "award":
            bid = _posted_bid(challenge, post)
            challenges.challenge_award(actor=user, challenge=challenge, bid=bid)
        elif action == "bid":
            try:
                budget = Decimal(post.get("budget", ""))
                months = int(post.get("timeline_months", ""))
            except (InvalidOperation, ValueError):
                raise ValidationError(_("Give the budget and the timeline as numbers.")) from None
            challenges.bid_submit(
                actor=user,
                challenge=challenge,
                team_name=post.get("team_name", ""),
                proposal=post.get("proposal", ""),
                budget=budget,
                timeline_months=months,
                team_members=[m for m in post.get("team_members", "").replace("，", ",").split(",") if m.strip()],
            )
        elif action == "review":
            bid = _posted_bid(challenge, post)
            try:
                scores = {c["code"]: float(post.get(f"score_{c['code']}", "")) for c in challenge.criteria}
            except ValueError:
                raise ValidationError(_("Score every criterion from 0 to 10.")) from None
            challenges.review_submit(actor=user, bid=bid, scores=scores, comment=post.get("comment", ""))
        else:
            raise ValidationError(_("Unknown action."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [str(error) or _("Not allowed.")]))
    else:
        messages.success(request, _("Done."))
    return redirect("web-challenge-detail", pk=challenge.pk)
