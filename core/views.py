from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


@login_required
def home(request):
    destinations = {
        "broker": "broker-inbox",
        "institution": "institution-achievements",
        "enterprise": "enterprise-needs",
        "organiser": "organiser-events",  # their events, the next ones first
    }
    if request.user.role in destinations:
        return redirect(destinations[request.user.role])
    return render(request, "home.html")
