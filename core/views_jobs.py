from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse

from . import jobs


@login_required
def job_status(request, job_id):
    """A long job's progress, polled by its page; only its owner (or an admin) may read it."""
    state = jobs.get(job_id, user=request.user)
    if state is None:
        raise Http404
    return JsonResponse({k: v for k, v in state.items() if k != "owner"})
