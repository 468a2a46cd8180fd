"""Thin views: fetch with a permission check (404 otherwise), call one service, redirect or render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from accounts import policy
from accounts.models import User
from accounts.policy import Action
from accounts.views import handle_validation_error
from moderation.targets import TOMBSTONE_TEXT

from . import selectors, services
from .forms import CommentForm, MomentForm
from .models import Comment, FriendRequest, FriendRequestStatus

FRIENDS_PAGE_SIZE = 50


def _safe_next(request, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return default


def _attach_comment_forms(moments) -> None:
    """Give each moment on the page its own empty comment form (unique ids, no queries)."""
    for moment in moments:  # iterating the Page caches its list, so these objects are the rendered ones
        moment.comment_form = CommentForm(auto_id=f"id_comment_{moment.pk}_%s")


def _decisions(request) -> dict:
    # The penalties are cached on request.user: these checks cost no query after the first.
    return {"comment_decision": policy.check(request.user, Action.COMMENT),
            "edit_decision": policy.check(request.user, Action.EDIT_CONTENT)}


def _moment_page_context(request, moments) -> dict:
    page = Paginator(moments, settings.FEED_PAGE_SIZE).get_page(request.GET.get("page"))
    _attach_comment_forms(page)
    return {"page": page, **_decisions(request)}


# --- Feed ----------------------------------------------------------------------

def home(request):
    """Logged out: what the product is. Logged in: post a moment, then the feed."""
    if not request.user.is_authenticated:
        return render(request, "social/landing.html")
    decision = policy.check(request.user, Action.POST_MOMENT)
    form = None
    if decision:
        form = MomentForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.moment_create(author=request.user, text=form.cleaned_data["text"],
                                       images=form.cleaned_data["processed_images"])
            except policy.PolicyDenied as exc:
                form.add_error(None, exc.decision.reason)
            except ValidationError as exc:
                handle_validation_error(form, exc)
            else:
                messages.success(request, _("Your moment is posted."))
                return redirect("social:home")
    elif request.method == "POST":
        messages.error(request, decision.reason)
    context = _moment_page_context(request, selectors.feed_for(request.user))
    context.update({"form": form, "post_decision": decision})
    return render(request, "social/feed.html", context)


# --- Moments -------------------------------------------------------------------

def _visible_moment_or_404(request, pk: int):
    moment = selectors.moment_visible(viewer=request.user, pk=pk)
    if moment is None:
        raise Http404
    return moment


def _render_moment(request, moment, comment_form=None):
    moment.comment_form = comment_form or CommentForm(auto_id=f"id_comment_{moment.pk}_%s")
    return render(request, "social/moment_detail.html", {"moment": moment, **_decisions(request)})


@login_required
@require_GET
def moment_detail(request, pk: int):
    return _render_moment(request, _visible_moment_or_404(request, pk))


@login_required
@require_POST
def moment_delete(request, pk: int):
    moment = _visible_moment_or_404(request, pk)
    if moment.author_id != request.user.pk:
        raise Http404
    try:
        services.moment_delete(moment=moment, actor=request.user)
    except policy.PolicyDenied as exc:
        # The moment's page says why, with the way to the status page.
        messages.error(request, exc.decision.reason)
        return redirect("social:moment", pk=moment.pk)
    messages.success(request, _("Your moment is deleted."))
    return redirect("social:home")


@require_safe
def moment_image(request, pk: int, position: int, thumb: bool = False):
    """Stream a moment's picture to someone who may see the moment; 404 for anyone else."""
    item = selectors.moment_image_visible(viewer=request.user, moment_pk=pk, position=position)
    if item is None:
        raise Http404
    field = item.thumbnail if thumb else item.image
    try:
        handle = field.storage.open(field.name, "rb")
    except FileNotFoundError:
        raise Http404
    response = FileResponse(handle, content_type=item.content_type)
    # Friends-only content: no shared cache may keep it, and the browser must not guess its type.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@login_required
@require_POST
def comment_create(request, pk: int):
    moment = _visible_moment_or_404(request, pk)
    if moment.is_removed:
        messages.error(request, TOMBSTONE_TEXT)
        return redirect("social:moment", pk=moment.pk)
    form = CommentForm(request.POST, auto_id=f"id_comment_{moment.pk}_%s")
    if form.is_valid():
        try:
            services.comment_create(moment=moment, author=request.user, text=form.cleaned_data["text"])
        except policy.PolicyDenied as exc:
            form.add_error(None, exc.decision.reason)
        except ValidationError as exc:
            handle_validation_error(form, exc)
        else:
            default = reverse("social:moment", kwargs={"pk": moment.pk})
            return redirect(f"{_safe_next(request, default)}#moment-{moment.pk}")
    # The typed comment comes back in the form, with the reason beside it.
    return _render_moment(request, moment, comment_form=form)


@login_required
@require_POST
def comment_delete(request, pk: int):
    comment = get_object_or_404(Comment.objects.select_related("moment"), pk=pk)
    moment = comment.moment
    if (request.user.pk not in (comment.author_id, moment.author_id)
            or not selectors.can_see_moment(viewer=request.user, moment=moment)):
        raise Http404
    try:
        services.comment_delete(comment=comment, actor=request.user)
    except policy.PolicyDenied as exc:
        messages.error(request, exc.decision.reason)
        return redirect("social:moment", pk=moment.pk)
    messages.success(request, _("The comment is deleted."))
    return redirect(_safe_next(request, reverse("social:moment", kwargs={"pk": moment.pk})))


# --- Friends -------------------------------------------------------------------

@login_required
@require_GET
def friends(request):
    """Friends (with since when), requests to answer and requests waiting for an answer."""
    page = Paginator(selectors.friends_of(request.user), FRIENDS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "social/friends.html", {
        "page": page,
        "incoming": selectors.friend_requests_incoming(request.user),
        "outgoing": selectors.friend_requests_outgoing(request.user),
        "add_decision": policy.check(request.user, Action.ADD_FRIEND),
        "change_decision": services.friends_change_decision(request.user),
    })


def _friend_action_error(request, exc) -> None:
    if isinstance(exc, policy.PolicyDenied):
        messages.error(request, exc.decision.reason)
    else:
        messages.error(request, exc.message)


@login_required
@require_POST
def friend_request_send(request, user_id: int):
    recipient = get_object_or_404(User, pk=user_id, is_active=True)
    try:
        fr = services.friend_request_send(sender=request.user, recipient=recipient)
    except (policy.PolicyDenied, services.FriendError) as exc:
        _friend_action_error(request, exc)
    else:
        if fr.status == FriendRequestStatus.ACCEPTED:
            messages.success(request, _("You are now friends."))
        else:
            messages.success(request, _("Your friend request is sent."))
    return redirect(_safe_next(request, reverse("social:profile", kwargs={"ref": recipient.pk})))


def _request_action(request, pk: int, *, recipient_side: bool, service, done: str):
    """Run one decision on a pending request the actor is party to; 404 for anyone else."""
    side = {"to_user": request.user} if recipient_side else {"from_user": request.user}
    fr = get_object_or_404(FriendRequest, pk=pk, **side)
    try:
        service(request=fr, actor=request.user)
    except (policy.PolicyDenied, services.FriendError) as exc:
        _friend_action_error(request, exc)
    else:
        messages.success(request, done)
    return redirect(_safe_next(request, reverse("social:friends")))


@login_required
@require_POST
def friend_request_accept(request, pk: int):
    return _request_action(request, pk, recipient_side=True, service=services.friend_request_accept,
                           done=_("You are now friends."))


@login_required
@require_POST
def friend_request_decline(request, pk: int):
    return _request_action(request, pk, recipient_side=True, service=services.friend_request_decline,
                           done=_("The request is declined."))


@login_required
@require_POST
def friend_request_cancel(request, pk: int):
    return _request_action(request, pk, recipient_side=False, service=services.friend_request_cancel,
                           done=_("Your request is withdrawn."))


@login_required
@require_POST
def friendship_remove(request, user_id: int):
    other = get_object_or_404(User, pk=user_id)
    try:
        if services.friendship_remove(actor=request.user, other=other):
            messages.success(request, _("You are no longer friends."))
    except policy.PolicyDenied as exc:
        _friend_action_error(request, exc)
    return redirect(_safe_next(request, reverse("social:friends")))


# --- Public profile ------------------------------------------------------------

@require_GET
def profile(request, ref: str):
    """Nickname, avatar, bio and badge for anyone; moments for the user and their friends only."""
    person = selectors.user_by_ref(ref, viewer=request.user)
    if person is None:
        raise Http404
    viewer = request.user if request.user.is_authenticated else None
    is_self = viewer is not None and viewer.pk == person.pk
    friendship = None if is_self else selectors.friendship_between(viewer, person)
    context = {
        "person": person, "person_profile": getattr(person, "profile", None), "is_self": is_self,
        "friendship": friendship, "outgoing": None, "incoming": None, "page": None,
        "add_decision": policy.check(request.user, Action.ADD_FRIEND),
        "change_decision": services.friends_change_decision(request.user) if viewer else policy.ALLOWED,
    }
    if viewer is not None and not is_self and friendship is None:
        context["outgoing"] = selectors.friend_request_pending(sender=viewer, recipient=person)
        context["incoming"] = selectors.friend_request_pending(sender=person, recipient=viewer)
    context["can_see_moments"] = is_self or friendship is not None
    if context["can_see_moments"]:
        context.update(_moment_page_context(request, selectors.moments_of(author=person, viewer=request.user)))
    return render(request, "social/profile.html", context)
