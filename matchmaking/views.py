"""Broker pages: the inbox of suggested matches and a match's page (thin; services do the work)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.api.errors import Conflict
from core.models import TechnicalField

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
    query = request.GET.get("q", "").strip()[:100]
    try:
        score_min = float(request.GET.get("score_min") or 0)
    except ValueError:
        score_min = 0.0
    if stage in Stage.values:
        queryset = queryset.filter(stage=stage)
    if field:
        queryset = queryset.filter(need__field__code=field)
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
    page = Paginator(queryset.order_by("-score", "id"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "broker/inbox.html",
        {
            "page": page,
            "stages": Stage.choices,
            "fields": TechnicalField.objects.all(),
            "filters": {
                "stage": stage,
                "field": field,
                "q": query,
                "score_min": request.GET.get("score_min", ""),
                "assigned": assigned,
            },
        },
    )


@login_required
def match_detail(request, pk):
    _broker(request)
    match = get_object_or_404(
        selectors.match_list(user=request.user)
        .select_related("need__region")
        .prefetch_related("events__actor", "need__cooperation_modes", "achievement__transfer_modes"),
        pk=pk,
    )
    explanation = match.explanation or {}
    return render(
        request,
        "broker/match.html",
        {
            "match": match,
            "terms": explanation.get("shared_terms", []),
            "reasons": render_reasons(explanation.get("reasons", [])),
            "next_stages": [
                (s, Stage(s).label)
                for s in Stage.values
                if s in TRANSITIONS[match.stage] and s not in (Stage.DECLINED,)
            ],
            "can_decline": Stage.DECLINED in TRANSITIONS[match.stage],
            "decline_reasons": DeclineReason.choices,
        },
    )


@login_required
@require_POST
def match_transition(request, pk):
    user = _broker(request)
    match = get_object_or_404(selectors.match_list(user=user), pk=pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
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
