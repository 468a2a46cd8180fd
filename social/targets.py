"""What moderation may report and take down in social: moments and comments (registered in SocialConfig.ready())."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from moderation.selectors import user_is_closed
from moderation.targets import TargetType

from . import selectors, services
from .models import Comment, Moment


def _moment_snapshot(moment: Moment) -> dict:
    # Storage names only: the pictures stay in private storage while the moment is removed.
    return {"text": moment.text, "images": [item.image.name for item in moment.images.order_by("position")]}


def _moment_visible(viewer, moment: Moment) -> bool:
    # Friends-only: what a viewer may not see, they may not report (the report page is then a 404).
    return not moment.is_removed and selectors.can_see_moment(viewer=viewer, moment=moment)


def _comment_visible(viewer, comment: Comment) -> bool:
    moment = comment.moment
    return (not comment.is_removed and not moment.is_removed and not user_is_closed(comment.author)
            and selectors.can_see_moment(viewer=viewer, moment=moment))


def moment_target() -> TargetType:
    return TargetType(
        key="moment", label=_("Moment"), model=Moment, owner=lambda moment: moment.author,
        snapshot=_moment_snapshot, url=lambda moment: reverse("social:moment", kwargs={"pk": moment.pk}),
        remove=lambda moment, actor: services.moment_remove(moment=moment, actor=actor),
        restore=lambda moment, actor: services.moment_restore(moment=moment, actor=actor),
        visible_to=_moment_visible,
    )


def comment_target() -> TargetType:
    return TargetType(
        key="comment", label=_("Comment"), model=Comment, owner=lambda comment: comment.author,
        snapshot=lambda comment: {"text": comment.text},
        url=lambda comment: f"{reverse('social:moment', kwargs={'pk': comment.moment_id})}#comment-{comment.pk}",
        remove=lambda comment, actor: services.comment_remove(comment=comment, actor=actor),
        restore=lambda comment, actor: services.comment_restore(comment=comment, actor=actor),
        visible_to=_comment_visible,
    )
