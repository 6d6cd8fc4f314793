"""Tracing request pages: only the two States' officials ever reach them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import WorkflowError
from core.files import private_download
from core.permissions import is_unoda_staff, states_for
from core.views import deny, get_visible_or_404
from tracing import requests as tracing
from tracing.forms import TracingRequestForm
from tracing.models import TracingAttachment, TracingRequest


def get_tracing_request_for_user(request: HttpRequest, pk: int) -> TracingRequest:
    """404 for anyone but the two States' officials: a third State, and UNODA, cannot even
    learn that the request exists."""
    return get_visible_or_404(request, tracing.requests_visible_to(request.user), pk=pk)


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    own = states_for(request.user, *tracing.OFFICIAL_ROLES)
    if not own and not is_unoda_staff(request.user):
        raise deny(request, "cannot use tracing requests")
    return render(
        request,
        "tracing/request_list.html",
        {
            "requests": tracing.requests_visible_to(request.user),
            "can_send": bool(own),
            "statistics": tracing.tracing_statistics(),
            "own_statistics": [(s, tracing.tracing_statistics(s)) for s in own],
        },
    )


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    own = states_for(request.user, *tracing.OFFICIAL_ROLES)
    if not own:
        raise deny(request, "cannot send tracing requests")
    form = TracingRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        to_state = data.pop("to_state")
        try:
            sent = tracing.send_request(
                by=request.user,
                from_state=own[0],
                to_state=to_state,
                data=data,
                files=request.FILES.getlist("photos"),
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The tracing request was sent."))
            return redirect("tracing:request-detail", sent.pk)
    return render(request, "tracing/request_form.html", {"form": form, "from_state": own[0]})


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tracing_request = get_tracing_request_for_user(request, pk)
    return render(
        request,
        "tracing/request_detail.html",
        {
            "tr": tracing_request,
            "side": tracing.side_of(request.user, tracing_request),
            "thread": tracing_request.messages.select_related("author", "state").prefetch_related(
                "attachments"
            ),
            "files": tracing_request.attachments.filter(message__isnull=True),
            "outcomes": TracingRequest.Outcome.choices,
        },
    )


ACTIONS = {
    "acknowledge": lambda r, by, post: tracing.acknowledge_request(r, by=by),
    "request-information": lambda r, by, post: tracing.request_information(
        r, by=by, message=post.get("message", "")
    ),
    "answer": lambda r, by, post: tracing.answer_request(
        r, by=by, outcome=post.get("outcome", ""), answer=post.get("answer", "")
    ),
    "close": lambda r, by, post: tracing.close_request(r, by=by),
}


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    tracing_request = get_tracing_request_for_user(request, pk)
    try:
        if action == "message":
            tracing.add_message(
                tracing_request,
                by=request.user,
                body=request.POST.get("body", ""),
                files=request.FILES.getlist("files"),
            )
        elif action in ACTIONS:
            ACTIONS[action](tracing_request, request.user, request.POST)
        else:
            return redirect("tracing:request-detail", tracing_request.pk)
    except WorkflowError as exc:
        if exc.code == "forbidden":
            raise deny(request, exc.message) from None
        messages.error(request, exc.message)
    return redirect("tracing:request-detail", tracing_request.pk)


@login_required
@require_GET
def request_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    tracing_request = get_tracing_request_for_user(request, pk)
    attachment = get_object_or_404(TracingAttachment, request=tracing_request, pk=attachment_pk)
    return private_download(
        attachment.file, name=attachment.original_name, content_type=attachment.content_type
    )
