from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import jobs


def _own_job(request, job_id) -> dict:
    """Only a job's owner (or an admin) may see it; to anyone else it does not exist."""
    state = jobs.get(job_id, user=request.user)
    if state is None:
        raise Http404
    return state


@login_required
def job_page(request, job_id):
    """A long job's page: a progress bar while it runs, then its result."""
    state = _own_job(request, job_id)
    titles = {"rematch": _("Re-match everything"), "import": _("Import"), "plan": _("Plan the year")}
    return render(request, "job.html", {"job": state, "job_id": job_id, "title": titles.get(state.get("kind"), "")})


@login_required
def job_status(request, job_id):
    """A long job's progress, polled by its page."""
    state = _own_job(request, job_id)
    return JsonResponse({k: v for k, v in state.items() if k != "owner"})
