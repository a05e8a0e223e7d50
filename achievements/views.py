"""Pages for universities and institutes: my achievements, create/edit with listing hints,
spreadsheet upload (a Celery job with progress and every bad row), and the enterprises whose
public needs fit an achievement. Thin: services and selectors do the work."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from accounts.models import Role
from core import jobs
from core.forms import apply_service_errors, listing_form_page
from enterprises.models import Confidentiality
from enterprises.selectors import needs_visible_to

from . import services
from .forms import AchievementForm, ImportForm
from .jobs import start_import
from .models import Achievement, AchievementStatus
from .quality import listing_hints


def _member(request):
    user = request.user
    if user.role != Role.INSTITUTION or not user.institution_id:
        raise PermissionDenied
    return user


def _own(request, pk) -> Achievement:
    user = _member(request)
    return get_object_or_404(Achievement.objects.select_related("field"), pk=pk, institution_id=user.institution_id)


@login_required
def my_achievements(request):
    user = _member(request)
    queryset = (
        Achievement.objects.filter(institution_id=user.institution_id)
        .select_related("field")
        .annotate(
            patent_count=Count("patents", distinct=True),
            # the needs its enterprises page may show: a brokers-only need is not even counted, nor a
            # weak match the page leaves out
            match_count=Count(
                "matches",
                filter=Q(
                    matches__need__in=needs_visible_to(user).filter(confidentiality=Confidentiality.PUBLIC),
                    matches__score__gte=WEAK_MATCH,
                ),
                distinct=True,
            ),
        )
        .order_by("-updated_at", "-id")
    )
    status = request.GET.get("status", "")
    if status in AchievementStatus.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    rows = [(a, listing_hints(a, patent_count=a.patent_count)) for a in page]
    return render(
        request,
        "institution/achievements.html",
        {"page": page, "rows": rows, "statuses": AchievementStatus.choices, "status": status},
    )


def _save(request, form, achievement=None):
    data = form.service_fields()
    try:
        if achievement is None:
            achievement = services.achievement_create(
                actor=request.user,
                institution=request.user.institution,
                status=AchievementStatus.PUBLISHED if form.cleaned_data["publish"] else AchievementStatus.DRAFT,
                **data,
            )
        else:
            achievement = services.achievement_update(achievement=achievement, actor=request.user, **data)
            if form.cleaned_data["publish"] and achievement.status == AchievementStatus.DRAFT:
                services.achievement_publish(achievement=achievement, actor=request.user)
    except ValidationError as error:
        apply_service_errors(form, error)
        return None
    return achievement


@login_required
def achievement_create(request):
    _member(request)
    form = AchievementForm(request.POST or None, initial={"language": request.user.language or "zh-hans"})
    return listing_form_page(
        request,
        form,
        lambda form: _save(request, form),
        template="institution/achievement_form.html",
        edit_url="institution-achievement-edit",
        context={"hints": []},
    )


@login_required
def achievement_edit(request, pk):
    achievement = _own(request, pk)
    form = AchievementForm(request.POST or None, initial=AchievementForm.initial_for(achievement))
    return listing_form_page(
        request,
        form,
        lambda form: _save(request, form, achievement),
        template="institution/achievement_form.html",
        edit_url="institution-achievement-edit",
        context={"achievement": achievement, "hints": listing_hints(achievement)},
    )


WEAK_MATCH = 0.2


@login_required
def achievement_enterprises(request, pk):
    """Enterprises whose public needs this achievement fits (never a broker-only need)."""
    from matchmaking.services import rank_needs_for_achievement

    achievement = _own(request, pk)
    results, preparing = [], False
    if achievement.status == AchievementStatus.PUBLISHED:
        needs = needs_visible_to(request.user).filter(confidentiality=Confidentiality.PUBLIC)
        results = rank_needs_for_achievement(achievement, needs, limit=20, audiences=(Confidentiality.PUBLIC,))
        preparing = results is None
        # a long tail of unrelated needs tells an institution nothing
        results = [r for r in results or [] if r["score"] >= WEAK_MATCH]
    context = {"achievement": achievement, "results": results or [], "preparing": preparing}
    return render(request, "institution/enterprises.html", context)


@login_required
def import_page(request):
    user = _member(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job_id = start_import(
            upload=form.cleaned_data["file"],
            institution=user.institution,
            actor=user,
            on_duplicate=form.cleaned_data["on_duplicate"],
        )
        return redirect("institution-import-job", job_id=job_id)
    return render(request, "institution/import.html", {"form": form})


@login_required
def import_job(request, job_id):
    _member(request)
    state = jobs.get(job_id, user=request.user)
    if state is None:
        raise Http404
    return render(request, "institution/import_job.html", {"job": state, "job_id": job_id})


# The catalogue: what any signed-in user may see of an achievement and an institution ----------------


@login_required
def achievement_page(request, pk):
    """One achievement as the API shows it to this reader (its institution's members also see
    a draft), with its institution, experts and patents."""
    from matchmaking.selectors import interest_offer

    from .selectors import achievement_list, can_edit_achievement

    achievement = get_object_or_404(achievement_list(user=request.user).prefetch_related("experts", "patents"), pk=pk)
    return render(
        request,
        "catalogue/achievement.html",
        {
            "achievement": achievement,
            "may_edit": can_edit_achievement(request.user, achievement),
            "interest": interest_offer(request.user, achievement=achievement),
        },
    )


@login_required
def institution_page(request, pk):
    """An institution and the achievements this reader may see, newest first, 25 a page."""
    from .selectors import achievements_visible_to, institution_list

    institution = get_object_or_404(institution_list(), pk=pk)
    achievements = (
        achievements_visible_to(request.user)
        .filter(institution=institution)
        .select_related("field")
        .order_by("-published_at", "-pk")
    )
    page = Paginator(achievements, 25).get_page(request.GET.get("page"))
    return render(request, "catalogue/institution.html", {"institution": institution, "page": page})
