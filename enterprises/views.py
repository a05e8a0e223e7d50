"""Pages for enterprises: my needs, post and edit (including 揭榜挂帅 challenges), the suggested
achievements for a need (published only), and asking the broker for an introduction or a
meeting. Thin: services do the work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from core.forms import apply_service_errors, listing_form_page
from matchmaking.models import MatchNote, NoteKind, Stage
from matchmaking.selectors import match_list
from matchmaking.services import request_on_match

from . import services
from .forms import NeedForm, RequestForm
from .models import NeedStatus, TechnologyNeed


def _member(request):
    if request.user.role != Role.ENTERPRISE or not request.user.enterprise_id:
        raise PermissionDenied
    return request.user


def _own(request, pk) -> TechnologyNeed:
    user = _member(request)
    return get_object_or_404(TechnologyNeed, pk=pk, enterprise_id=user.enterprise_id)


@login_required
def my_needs(request):
    user = _member(request)
    needs = (
        TechnologyNeed.objects.filter(enterprise_id=user.enterprise_id)
        .select_related("field")
        .annotate(suggestions=Count("matches", filter=Q(matches__achievement__status="published")))
        .order_by("-updated_at", "-id")
    )
    from outcomes.models import Challenge, ChallengeStage

    stages = dict(Challenge.objects.filter(need__enterprise_id=user.enterprise_id).values_list("need_id", "stage"))
    rows = [(need, ChallengeStage(stages[need.pk]).label if need.pk in stages else "") for need in needs]
    return render(request, "enterprise/needs.html", {"rows": rows})


def _save(request, form, need=None):
    from outcomes.challenges import challenge_submit
    from outcomes.models import Challenge

    data = form.service_fields()
    publish = form.cleaned_data["publish"]
    try:
        if need is None:
            need = services.need_create(
                actor=request.user,
                enterprise=request.user.enterprise,
                status=NeedStatus.PUBLISHED if publish and not data["is_challenge"] else NeedStatus.DRAFT,
                **data,
            )
        else:
            need = services.need_update(need=need, actor=request.user, **data)
            if publish and need.status == NeedStatus.DRAFT and not need.is_challenge:
                services.need_publish(need=need, actor=request.user)
        if need.is_challenge and publish and not Challenge.objects.filter(need=need).exists():
            # A challenge is published by the committee after screening.
            challenge_submit(actor=request.user, need=need)
            messages.info(request, _("The challenge was sent to the committee for screening."))
    except ValidationError as error:
        apply_service_errors(form, error)
        return None
    return need


@login_required
def need_create(request):
    _member(request)
    if _analysing(request):
        return _analysis_page(request, None)
    form = NeedForm(request.POST or None, initial={"language": request.user.language or "zh-hans"})
    return listing_form_page(
        request,
        form,
        lambda form: _save(request, form),
        template="enterprise/need_form.html",
        edit_url="enterprise-need-edit",
    )


@login_required
def need_edit(request, pk):
    need = _own(request, pk)
    if _analysing(request):
        return _analysis_page(request, need)
    form = NeedForm(request.POST or None, initial=NeedForm.initial_for(need))
    return listing_form_page(
        request,
        form,
        lambda form: _save(request, form, need),
        template="enterprise/need_form.html",
        edit_url="enterprise-need-edit",
        context={"need": need},
    )


def _analysing(request) -> bool:
    return request.method == "POST" and request.POST.get("action") == "analyse"


def _analysis_page(request, need):
    """The form as typed (nothing saved, no validation errors yet) with the draft's analysis. The
    draft is checked by the API's own input rules, so the form and the API refuse the same."""
    from matchmaking.analysis.analyse import analyse_draft
    from matchmaking.analysis.serializers import AnalyseInputSerializer
    from matchmaking.analysis.services import may_analyse_now

    form = NeedForm(initial=NeedForm.initial_from_post(request.POST))
    draft = {
        "title": request.POST.get("title", ""),
        "description": request.POST.get("description", ""),
        **{k: request.POST[k] for k in ("language", "budget_min", "budget_max", "deadline") if request.POST.get(k)},
    }
    checked = AnalyseInputSerializer(data=draft)
    analysis, problem = None, None
    if not checked.is_valid():
        problem = " ".join(str(m) for messages in checked.errors.values() for m in messages)
    elif not may_analyse_now(request.user):
        problem = _("Too many analyses in a short time: wait a minute and try again.")
    else:
        analysis = analyse_draft(checked.validated_data, user=request.user, exclude_need=need.pk if need else None)
        _add_choice_ids(analysis)
    context = {"form": form, "analysis": analysis, "analysis_problem": problem}
    if need is not None:
        context["need"] = need
    return render(request, "enterprise/need_form.html", context)


def _add_choice_ids(analysis: dict) -> None:
    """The form's choices are keyed by id: give each suggested field and mode its id, for the
    buttons that take a suggestion into the form."""
    from core.models import TechnicalField, TransferMode

    fields = dict(TechnicalField.objects.values_list("code", "pk"))
    modes = dict(TransferMode.objects.values_list("code", "pk"))
    for row in analysis["field_suggestions"]:
        row["pk"] = fields.get(row["code"])
    chosen = analysis["suggestions"].get("cooperation_modes")
    if chosen:
        for row in chosen["values"]:
            row["pk"] = modes.get(row["code"])


@login_required
def need_suggestions(request, pk):
    need = _own(request, pk)
    matches = (
        match_list(user=request.user)
        .filter(need=need)
        .exclude(stage__in=[Stage.DECLINED, Stage.WITHDRAWN])
        .order_by("-score", "id")[:30]
    )
    matches = list(matches)
    from matchmaking import fit

    asked: dict[int, set] = {}
    for match_id, kind in MatchNote.objects.filter(
        match__need=need, author__enterprise_id=need.enterprise_id
    ).values_list("match_id", "kind"):
        asked.setdefault(match_id, set()).add(kind)
    for match in matches:  # what the enterprise already asked the broker, and what is left to ask
        done = asked.get(match.pk, set())
        match.asked = [
            NoteKind(kind).label for kind in (NoteKind.INTRODUCTION_REQUEST, NoteKind.MEETING_REQUEST) if kind in done
        ]
        # once the broker introduced the parties, they talk to each other: nothing left to ask
        open_to_ask = match.stage in (Stage.SUGGESTED, Stage.SHORTLISTED)
        match.may_ask = [
            (k, label) for k, label in RequestForm.base_fields["kind"].choices if k not in done and open_to_ask
        ]
    weak = [m for m in matches if fit.verdict(m.score) == "none" and not m.asked]
    fitting = [m for m in matches if m not in weak]
    return render(
        request,
        "enterprise/suggestions.html",
        {"need": need, "matches": fitting, "weak": weak, "form": RequestForm()},
    )


@login_required
@require_POST
def match_request(request, pk):
    _member(request)
    match = get_object_or_404(match_list(user=request.user), pk=pk)
    form = RequestForm(request.POST)
    if form.is_valid():
        try:
            request_on_match(match=match, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your broker has been asked and will be in touch."))
    else:
        messages.error(request, _("Choose what to ask for."))
    return redirect(reverse("enterprise-need-suggestions", args=[match.need_id]) + f"#m{match.pk}")


# The catalogue: what any signed-in user may see of a need and an enterprise ------------------------


@login_required
def need_page(request, pk):
    """One need as the API shows it to this reader (brokers-only needs to brokers, an
    enterprise's own drafts to its members)."""
    from .selectors import can_edit_need, need_list

    need = get_object_or_404(
        need_list(user=request.user)
        .select_related("enterprise", "field", "region")
        .prefetch_related("cooperation_modes"),
        pk=pk,
    )
    from matchmaking.selectors import interest_offer

    context = {
        "need": need,
        "may_edit": can_edit_need(request.user, need),
        "interest": interest_offer(request.user, need=need),
    }
    return render(request, "catalogue/need.html", context)


@login_required
def enterprise_page(request, pk):
    """An enterprise and the needs this reader may see, newest first, 25 a page."""
    from django.core.paginator import Paginator

    from .selectors import enterprise_list, needs_visible_to

    enterprise = get_object_or_404(enterprise_list(), pk=pk)
    needs = needs_visible_to(request.user).filter(enterprise=enterprise).select_related("field").order_by("-pk")
    page = Paginator(needs, 25).get_page(request.GET.get("page"))
    return render(request, "catalogue/enterprise.html", {"enterprise": enterprise, "page": page})
