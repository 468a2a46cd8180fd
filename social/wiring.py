"""Everything social plugs into the extension points, in one place; SocialConfig.ready() calls wire().

Moderation and accounts must not import social, so social tells them here what they need to know.
"""

from accounts import erasure
from moderation import registry, targets

from .erasure import erase_social_content
from .selectors import are_friends
from .targets import comment_target, moment_target


def moderators_do_not_judge_friends() -> None:
    registry.register_conflict_check(are_friends)


def moments_and_comments_can_be_reported() -> None:
    """Reported, and taken down behind a tombstone."""
    targets.register(moment_target())
    targets.register(comment_target())


def content_erased_with_the_account() -> None:
    erasure.register(erase_social_content)


def wire() -> None:
    moderators_do_not_judge_friends()
    moments_and_comments_can_be_reported()
    content_erased_with_the_account()
