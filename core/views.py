from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


@login_required
def home(request):
    if request.user.role == "broker":
        return redirect("broker-inbox")
    return render(request, "home.html")
