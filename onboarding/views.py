"""The visitor's side: the landing page and asking for an account."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language

from achievements.models import Achievement, AchievementStatus, Institution
from core.forms import apply_service_errors
from core.net import client_ip
from enterprises.models import Confidentiality, Enterprise, NeedStatus, TechnologyNeed
from events.models import EventStatus, MatchmakingEvent

from . import services
from .forms import AccountRequestForm

WORKBENCHES = {
    "broker": "broker-inbox",
    "institution": "institution-achievements",
    "enterprise": "enterprise-needs",
    "organiser": "organiser-events",  # their events, the next ones first
}


def start(request):
    """`/`: a signed-in user's workbench, a visitor's landing page."""
    if request.user.is_authenticated:
        if request.user.role in WORKBENCHES:
            return redirect(WORKBENCHES[request.user.role])
        return render(request, "home.html")
    return landing(request)


def landing(request):
    """What the platform is, in figures anyone may know, and how to join."""
    figures = {
        "achievements": Achievement.objects.filter(status=AchievementStatus.PUBLISHED).count(),
        "needs": TechnologyNeed.objects.filter(
            status=NeedStatus.PUBLISHED, confidentiality=Confidentiality.PUBLIC
        ).count(),
        "institutions": Institution.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "events": MatchmakingEvent.objects.filter(
            status__in=[EventStatus.OPEN, EventStatus.CLOSED], starts_at__gte=timezone.now()
        ).count(),
    }
    return render(request, "landing.html", {"figures": figures})


def join(request):
    form = AccountRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.request_account(client=client_ip(request), language=get_language(), **fields)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("join-thanks")
    return render(request, "onboarding/join.html", {"form": form})


def join_thanks(request):
    return render(request, "onboarding/thanks.html")
