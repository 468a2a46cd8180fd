"""Thin views: fetch with a permission check (404 otherwise), call one service, redirect or render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts import policy
from accounts.policy import Action
from accounts.staff import staff_mfa_required
from accounts.views import handle_validation_error
from core.watermark import watermark, watermark_text
from moderation import audit
from moderation.restrictions import public_account_check
from moderation.services import review_item_touch

from . import articles, qualifications, rights, selectors, services
from .forms import AccountRegisterForm, ArticleForm, QualificationForm
from .models import AccountStatus, ArticleCategory


def _page(request, queryset):
    return Paginator(queryset, settings.ARTICLE_PAGE_SIZE).get_page(request.GET.get("page"))


# --- Registration and the owner's list ----------------------------------------

@login_required
def register(request):
    """Register a public account (level 2); a reserved term in the name sends it to a moderator first."""
    decision = policy.check(request.user, Action.REGISTER_PUBLIC_ACCOUNT)
    if not decision:
        return render(request, "publicaccounts/register.html", {"decision": decision})
    refusal = services.register_refusal(owner=request.user)
    if refusal:
        return render(request, "publicaccounts/register.html", {"refusal": refusal})
    form = AccountRegisterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.account_register(
                owner=request.user, name=data["name"], handle=data["handle"], introduction=data["introduction"],
                category=data["category"], operator_type=data["operator_type"], operator_name=data["operator_name"],
                operator_code=data["operator_code"], avatar=data.get("avatar"))
        except policy.PolicyDenied as exc:
            form.add_error(None, exc.decision.reason)
        except ValidationError as exc:
            handle_validation_error(form, exc)
        else:
            if account.status == AccountStatus.PENDING_REVIEW:
                messages.warning(request, services.review_reason_text(account.reserved_terms))
            else:
                messages.success(request, _("Your public account is registered."))
            return redirect("publicaccounts:account", handle=account.handle)
    return render(request, "publicaccounts/register.html", {
        "form": form, "cap": settings.PUBLIC_ACCOUNTS_PER_IDENTITY,
        "held": selectors.accounts_held_by_person(request.user),
    })


@login_required
@require_safe
def mine(request):
    """The user's own public accounts, whatever their status."""
    return render(request, "publicaccounts/mine.html", {
        "accounts": selectors.accounts_of(request.user),
        "register_decision": policy.check(request.user, Action.REGISTER_PUBLIC_ACCOUNT),
    })


# --- Account page, subscriptions, feed ---------------------------------------

def _visible_account_or_404(request, handle: str):
    account = selectors.account_for_viewer(viewer=request.user, handle=handle)
    if account is None:
        raise Http404
    return account


@require_safe
def account(request, handle: str):
    """Name, avatar, introduction, operator, marks and articles; pending or rejected: the owner only."""
    acc = _visible_account_or_404(request, handle)
    is_owner = request.user.is_authenticated and acc.owner_id == request.user.pk
    context = {
        "account": acc, "is_owner": is_owner, "page": _page(request, selectors.articles_of(acc)),
        "marks": acc.qualifications_in_force if acc.status == AccountStatus.ACTIVE else [],
        "subscribed": selectors.is_subscribed(user=request.user, account=acc),
    }
    if is_owner:
        context.update({
            "qualifications": selectors.qualifications_of(acc), "today": timezone.localdate(),
            "publish_decision": rights.publishing_decision(account=acc, category=ArticleCategory.OTHER),
            "status_text": services.status_text(acc),
        })
    return render(request, "publicaccounts/account.html", context)


@login_required
@require_POST
def subscribe(request, handle: str):
    acc = _visible_account_or_404(request, handle)
    try:
        services.subscription_create(user=request.user, account=acc)
    except policy.PolicyDenied as exc:
        messages.error(request, exc.decision.reason)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("You subscribed to %(name)s.") % {"name": acc.name})
    return redirect("publicaccounts:account", handle=acc.handle)


@login_required
@require_POST
def unsubscribe(request, handle: str):
    acc = _visible_account_or_404(request, handle)
    if services.subscription_delete(user=request.user, account=acc):
        messages.success(request, _("You unsubscribed from %(name)s.") % {"name": acc.name})
    return redirect("publicaccounts:account", handle=acc.handle)


@login_required
@require_safe
def feed(request):
    """Articles of the accounts the user subscribes to, newest first."""
    return render(request, "publicaccounts/feed.html", {
        "page": _page(request, selectors.feed_for(request.user)),
    })


# --- Articles ------------------------------------------------------------------

def _owned_account_or_404(request, handle: str):
    acc = selectors.account_owned(owner=request.user, handle=handle)
    if acc is None:
        raise Http404
    return acc


def _article_form_page(request, acc, form, article=None, status: int = 200):
    decision = (articles.removed_decision() if article is not None and article.is_removed
                else rights.publishing_decision(account=acc, category=ArticleCategory.OTHER))
    return render(request, "publicaccounts/article_form.html", {
        "account": acc, "form": form, "article": article, "decision": decision,
    }, status=status)


def _save_article(request, form, save):
    """Call the article service; a refusal or a late validation error goes back on the form."""
    try:
        return save()
    except policy.PolicyDenied as exc:
        form.add_error(None, exc.decision.reason)
    except ValidationError as exc:
        handle_validation_error(form, exc)
    return None


@login_required
def article_create(request, handle: str):
    acc = _owned_account_or_404(request, handle)
    form = ArticleForm(request.POST or None, request.FILES or None, options=rights.publishing_options(account=acc))
    if request.method == "POST" and form.is_valid():
        article = _save_article(request, form, lambda: articles.article_create(
            account=acc, actor=request.user, data=form.article_input, cover=form.cleaned_data.get("cover")))
        if article is not None:
            messages.success(request, _("Your article is published."))
            return redirect("publicaccounts:article", handle=acc.handle, pk=article.pk)
    return _article_form_page(request, acc, form, status=400 if form.errors else 200)


@require_safe
def article_detail(request, handle: str, pk: int):
    article = selectors.article_for_viewer(viewer=request.user, handle=handle, pk=pk)
    if article is None:
        raise Http404
    acc = article.account
    is_owner = request.user.is_authenticated and acc.owner_id == request.user.pk
    return render(request, "publicaccounts/article.html", {
        "article": article, "account": acc,
        "marks": acc.qualifications_in_force if acc.status == AccountStatus.ACTIVE else [],
        "is_owner": is_owner,
        # What the owner may still change (the operator's and the account's penalties).
        "edit_decision": _edit_decision(request.user, acc) if is_owner else None,
    })


def _edit_decision(user, acc):
    decision = policy.check(user, Action.EDIT_CONTENT)
    return decision if not decision.allowed else public_account_check(acc, Action.EDIT_CONTENT)


def _owned_article_or_404(request, handle: str, pk: int):
    article = selectors.article_owned(owner=request.user, handle=handle, pk=pk)
    if article is None:
        raise Http404
    return article


@login_required
def article_edit(request, handle: str, pk: int):
    article = _owned_article_or_404(request, handle, pk)
    acc = article.account
    initial = {field: getattr(article, field) for field in (
        "title", "body", "category", "origin", "source_unit", "original_author", "original_title", "original_url")}
    form = ArticleForm(request.POST or None, request.FILES or None, initial=initial, has_cover=bool(article.cover),
                       options=rights.publishing_options(account=acc))
    if request.method == "POST" and form.is_valid():
        saved = _save_article(request, form, lambda: articles.article_update(
            article=article, actor=request.user, data=form.article_input, cover=form.cleaned_data.get("cover"),
            remove_cover=form.cleaned_data.get("remove_cover", False)))
        if saved is not None:
            messages.success(request, _("Your changes are published."))
            return redirect("publicaccounts:article", handle=acc.handle, pk=saved.pk)
    return _article_form_page(request, acc, form, article=article, status=400 if form.errors else 200)


@login_required
@require_POST
def article_delete(request, handle: str, pk: int):
    article = _owned_article_or_404(request, handle, pk)
    try:
        articles.article_delete(article=article, actor=request.user)
    except policy.PolicyDenied as exc:
        # The article's page says why, with the way to the status page.
        messages.error(request, exc.decision.reason)
        return redirect("publicaccounts:article", handle=article.account.handle, pk=article.pk)
    messages.success(request, _("The article is deleted."))
    return redirect("publicaccounts:account", handle=article.account.handle)


# --- Qualifications --------------------------------------------------------------

@login_required
def qualification_apply(request, handle: str):
    """The owner applies for a news qualification with the licence's details and a scan."""
    acc = _owned_account_or_404(request, handle)
    decision = policy.check(request.user, Action.APPLY_QUALIFICATION)
    if decision:
        # A suspended public account applies for nothing new, whatever its operator may do.
        decision = public_account_check(acc, Action.APPLY_QUALIFICATION)
    context = {"account": acc, "decision": decision, "qualifications": selectors.qualifications_of(acc)}
    if not decision:
        return render(request, "publicaccounts/qualification_form.html", context)
    refusal = qualifications.qualification_refusal(account=acc)
    if refusal:
        return render(request, "publicaccounts/qualification_form.html", {**context, "refusal": refusal})
    form = QualificationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            qualifications.qualification_apply(
                account=acc, actor=request.user, licence_type=data["licence_type"],
                licence_number=data["licence_number"], issuing_authority=data["issuing_authority"],
                valid_from=data["valid_from"], valid_until=data["valid_until"], scan=data["scan"])
        except policy.PolicyDenied as exc:
            form.add_error(None, exc.decision.reason)
        except ValidationError as exc:
            handle_validation_error(form, exc)
        else:
            messages.success(request, _("Your application was received. Compliance staff will review it."))
            return redirect("publicaccounts:account", handle=acc.handle)
    return render(request, "publicaccounts/qualification_form.html", {**context, "form": form},
                  status=400 if form.errors else 200)


@require_safe
@staff_mfa_required
def qualification_scan(request, pk: int):
    """The scan, watermarked, for the compliance officer holding the claim; every view is audited. 404 otherwise."""
    found = selectors.scan_for_reviewer(reviewer=request.user, pk=pk)
    if found is None:
        raise Http404
    qualification, item = found
    try:
        with qualification.scan.storage.open(qualification.scan.name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise Http404
    # The viewer's id and the time are burnt into the copy (the same mark identity documents get).
    marked = watermark(data, text=watermark_text(viewer=request.user))
    audit.record(actor=request.user, action="qualification.scan_view", target=qualification, data={"item": item.pk})
    review_item_touch(item=item, reviewer=request.user)
    response = HttpResponse(marked, content_type=qualification.scan_content_type)
    # No cache anywhere may keep a copy, and the browser must not guess the type.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
