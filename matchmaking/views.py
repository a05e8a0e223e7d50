"""Broker pages: the inbox of suggested matches and a match's page (thin; services do the work)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.models import Role
from achievements.models import MaturityStage
from core.api.errors import Conflict
from core.ids import parse_id
from core.models import District, TechnicalField
from outcomes.forms import ContractForm

from . import selectors, services
from .explain import render_reasons
from .models import DeclineReason, Stage
from .services import TRANSITIONS


def _broker(request):
    if not selectors.can_work_match(request.user):
        raise PermissionDenied
    return request.user


@login_required
def broker_inbox(request):
    user = _broker(request)
    assigned = request.GET.get("assigned", "me")
    queryset = selectors.broker_inbox(user=user, assigned="me" if assigned == "me" else "all")
    stage = request.GET.get("stage", "")
    field = request.GET.get("field", "")
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    try:
        score_min = float(request.GET.get("score_min") or 0)
    except ValueError:
        score_min = 0.0
    if stage in Stage.values:
        queryset = queryset.filter(stage=stage)
    if field:
        queryset = queryset.filter(need__field__code=field)
    district = request.GET.get("district", "")
    if district:
        queryset = selectors.in_district(queryset, district)
    maturity = request.GET.get("maturity", "")
    if maturity in MaturityStage.values:
        queryset = queryset.filter(achievement__maturity_stage=maturity)
    if score_min:
        queryset = queryset.filter(score__gte=score_min)
    if query:
        for term in query.split():
            queryset = queryset.filter(
                Q(need__title__icontains=term)
                | Q(achievement__title__icontains=term)
                | Q(need__enterprise__name__icontains=term)
                | Q(achievement__institution__name__icontains=term)
            )
    one_need = parse_id(request.GET.get("need", ""))
    if one_need is not None:
        queryset = queryset.filter(need_id=one_need)
    page, groups = selectors.inbox_by_need(
        queryset, request.GET.get("page"), per_need=None if one_need else selectors.MATCHES_PER_NEED
    )
    return render(
        request,
        "broker/inbox.html",
        {
            "page": page,
            "groups": groups,
            "matches_count": queryset.count(),
            "interests": selectors.interests_to_follow(user)[:50],
            "decline_reasons": DeclineReason.choices,
            "stages": Stage.choices,
            "fields": TechnicalField.objects.all(),
            "districts": District.objects.all(),
            "maturities": MaturityStage.choices,
            "filters": {
                "stage": stage,
                "field": field,
                "q": query,
                "score_min": request.GET.get("score_min", ""),
                "district": district,
                "maturity": maturity,
                "assigned": assigned,
                "need": one_need,
            },
        },
    )


@login_required
@require_POST
def inbox_bulk(request):
    """Shortlist or decline the ticked matches, all or none."""
    user = _broker(request)
    ids = [i for i in (parse_id(v) for v in request.POST.getlist("match")) if i is not None]
    action = request.POST.get("action", "")
    try:
        moved = services.match_bulk_transition(
            actor=user,
            match_ids=ids,
            to_stage=action,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            ngettext("%(count)d match is now: %(stage)s.", "%(count)d matches are now: %(stage)s.", moved)
            % {"count": moved, "stage": Stage(action).label},
        )
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/broker/inbox/") else "broker-inbox")


# buttons say what they do, not the stage they lead to
ACTIONS = {
    Stage.SHORTLISTED: gettext_lazy("Shortlist"),
    Stage.INTRODUCED: gettext_lazy("Introduce the parties"),
    Stage.MEETING: gettext_lazy("Arrange a meeting"),
    Stage.NEGOTIATING: gettext_lazy("Start negotiating"),
    Stage.WITHDRAWN: gettext_lazy("Withdraw"),
}


@login_required
def match_detail(request, pk, *, contract_form=None, status=200):
    """`contract_form`: a rejected contract form, shown with its errors and input."""
    _broker(request)
    match = get_object_or_404(
        selectors.match_list(user=request.user)
        .select_related("need__region")
        .prefetch_related("events__actor", "notes__author", "need__cooperation_modes", "achievement__transfer_modes"),
        pk=pk,
    )
    from enterprises.services import record_confidential_view

    record_confidential_view(user=request.user, need=match.need)
    explanation = match.explanation or {}
    return render(
        request,
        "broker/match.html",
        {
            "match": match,
            "may_work": selectors.may_work_match(request.user, match),
            "terms": explanation.get("shared_terms", []),
            "reasons": render_reasons(explanation.get("reasons", [])),
            "next_stages": [
                (s, ACTIONS[s])
                for s in Stage.values
                if s in TRANSITIONS[match.stage] and s not in (Stage.DECLINED, Stage.CONTRACT_SIGNED)
            ],
            "can_sign": Stage.CONTRACT_SIGNED in TRANSITIONS[match.stage],
            "contract_form": contract_form or ContractForm(initial={"title": match.achievement.title[:200]}),
            "can_decline": Stage.DECLINED in TRANSITIONS[match.stage],
            "decline_reasons": DeclineReason.choices,
        },
        status=status,
    )


@login_required
@require_POST
def match_transition(request, pk):
    user = _broker(request)
    match = get_object_or_404(selectors.match_list(user=user), pk=pk)
    if not selectors.may_work_match(user, match):
        raise PermissionDenied
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    if request.POST.get("stage") == Stage.INTRODUCED and request.POST.get("confirm") != "yes":
        messages.error(request, _("Confirm the introduction first: it e-mails both parties."))
        return redirect("broker-match", pk=match.pk)
    try:
        services.match_transition(
            match=match,
            actor=user,
            to_stage=request.POST.get("stage", ""),
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
            expected_version=version,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("The match is now: %(stage)s.") % {"stage": Stage(request.POST["stage"]).label})
    return redirect("broker-match", pk=match.pk)


PIPELINE = [
    Stage.SUGGESTED,
    Stage.SHORTLISTED,
    Stage.INTRODUCED,
    Stage.MEETING,
    Stage.NEGOTIATING,
    Stage.CONTRACT_SIGNED,
]


@login_required
def pipeline_board(request):
    """The broker's matches by stage, a column each (the most promising first)."""
    user = _broker(request)
    assigned = "all" if request.GET.get("assigned") == "all" else "me"
    queryset = selectors.broker_inbox(user=user, assigned=assigned)
    counts = dict(queryset.values_list("stage").annotate(n=Count("id")).values_list("stage", "n"))
    columns = [
        {
            "stage": stage,
            "label": Stage(stage).label,
            "count": counts.get(stage, 0),
            "cards": list(queryset.filter(stage=stage).order_by("-score", "id")[:15]),
        }
        for stage in PIPELINE
    ]
    return render(request, "broker/pipeline.html", {"columns": columns, "assigned": assigned})


@login_required
def need_experts(request, pk):
    """Researchers suggested for a need: their profile and their achievements."""
    from enterprises.selectors import needs_visible_to

    _broker(request)
    need = get_object_or_404(needs_visible_to(request.user).select_related("enterprise", "field"), pk=pk)
    suggestions = list(selectors.expert_suggestions_for(need))
    if not suggestions and need.status == "published":
        services.suggest_experts([need.pk])
        suggestions = list(selectors.expert_suggestions_for(need))
    return render(request, "broker/experts.html", {"need": need, "suggestions": suggestions})


@login_required
def need_analysis_page(request, pk):
    """A need's stored analysis (需求解构) for brokers and the committee; a missing or stale one is
    queued and the page refreshes itself until it is there."""
    from accounts.models import Role
    from enterprises.selectors import needs_visible_to

    from .analysis.services import stored_analysis

    if not (request.user.is_platform_admin or request.user.role in (Role.BROKER, Role.ORGANISER)):
        raise PermissionDenied
    need = get_object_or_404(needs_visible_to(request.user).select_related("enterprise", "field"), pk=pk)
    analysis, refreshing = stored_analysis(need, request.user)
    return render(request, "broker/need_analysis.html", {"need": need, "analysis": analysis, "refreshing": refreshing})


@login_required
def search_page(request):
    """Free-text search over published achievements or the needs the reader may see, Chinese or
    English (institutions look for needs, enterprises for achievements: each side's default)."""
    from .search import search_achievements, search_needs

    query = request.GET.get("q", "").replace("\x00", "").strip()[:500]
    what = request.GET.get("what") or ("needs" if request.user.role == Role.INSTITUTION else "achievements")
    what = what if what in ("achievements", "needs") else "achievements"
    search = search_needs if what == "needs" else search_achievements
    found = search(query, user=request.user, limit=30) if query else {"semantic": True, "results": []}
    context = {"query": query, "what": what, "results": found["results"], "semantic": found["semantic"]}
    return render(request, "search.html", context)


@login_required
@require_POST
def match_note(request, pk):
    user = _broker(request)
    match = get_object_or_404(selectors.match_list(user=user), pk=pk)
    if not selectors.may_work_match(user, match):
        raise PermissionDenied
    try:
        services.match_add_note(match=match, actor=user, text=request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Note added."))
    return redirect("broker-match", pk=match.pk)


@login_required
def rematch_page(request):
    """Platform admins re-rank everything after a model or weight change, as a Celery job."""
    from .jobs import start_rematch_all

    if not request.user.is_platform_admin:
        raise PermissionDenied
    if request.method == "POST":
        return redirect("job-page", job_id=start_rematch_all(actor=request.user))
    return render(request, "rematch.html")


def _express_interest(request, *, need_id=None, achievement_id=None, back):
    from .interest import express_interest

    offer = parse_id(request.POST.get("offer", "").strip()) or ""
    try:
        if need_id is not None:
            express_interest(
                actor=request.user,
                need_id=need_id,
                achievement_id=offer or None,
                message=request.POST.get("message", ""),
            )
        else:
            express_interest(
                actor=request.user,
                achievement_id=achievement_id,
                need_id=offer or None,
                message=request.POST.get("message", ""),
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your interest has reached the broker, who will be in touch."))
    return redirect(f"{back}#interest")


@login_required
@require_POST
def need_interest(request, pk):
    from django.urls import reverse

    return _express_interest(request, need_id=pk, back=reverse("web-need", args=[pk]))


@login_required
@require_POST
def achievement_interest(request, pk):
    from django.urls import reverse

    return _express_interest(request, achievement_id=pk, back=reverse("web-achievement", args=[pk]))


@login_required
@require_POST
def interest_followed_up(request, pk):
    from .interest import interest_followed_up as follow_up

    user = _broker(request)
    interest = get_object_or_404(selectors.interests_visible_to(user), pk=pk)
    try:
        follow_up(actor=user, interest=interest)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Marked as followed up."))
    return redirect("broker-inbox")
