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

    events = []
    if request.user.role == "organiser" or request.user.is_platform_admin:
        queryset = MatchmakingEvent.objects.select_related("room__venue").order_by("-starts_at")
        if not request.user.is_platform_admin:
            queryset = queryset.filter(organiser=request.user)
        events = list(queryset[:50])
    return render(request, "home.html", {"events": events})
