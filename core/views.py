from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


@login_required
def home(request):
    destinations = {
        "broker": "broker-inbox",
        "institution": "institution-achievements",
        "enterprise": "enterprise-needs",
    }
    if request.user.role in destinations:
        return redirect(destinations[request.user.role])
    from events.models import MatchmakingEvent
    from events.selectors import filter_events

    events, total = [], 0
    if request.user.role == "organiser" or request.user.is_platform_admin:
        queryset = MatchmakingEvent.objects.select_related("room__venue")
        if not request.user.is_platform_admin:
            queryset = queryset.filter(organiser=request.user)
        upcoming = filter_events(queryset, {"when": "upcoming"})
        events, total = list(upcoming[:10]), upcoming.count()
    return render(request, "home.html", {"events": events, "upcoming_total": total})
