"""Staff console for social data: ids and nicknames only, never a real identity or a private file URL."""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from moderation.admin import take_down_with_ladder_action

from .models import Comment, FriendRequest, Friendship, Moment, MomentImage


def _nickname(user) -> str:
    return user.display_name if user is not None else "-"


@admin.register(FriendRequest)
class FriendRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "from_user", "from_nickname", "to_user", "to_nickname", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["from_user__profile", "to_user__profile"]
    search_fields = ["from_user__profile__nickname", "to_user__profile__nickname"]
    # History of a decision: only the services change it, so every edge goes through the state machine.
    readonly_fields = ["from_user", "to_user", "status", "created_at", "decided_at"]
    date_hierarchy = "created_at"

    @admin.display(description=_("from (nickname)"))
    def from_nickname(self, obj):
        return _nickname(obj.from_user)

    @admin.display(description=_("to (nickname)"))
    def to_nickname(self, obj):
        return _nickname(obj.to_user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting by hand would skip the services (and their audit): take-downs go through the ladder.
        return False


@admin.register(Friendship)
class FriendshipAdmin(admin.ModelAdmin):
    list_display = ["id", "user_low", "low_nickname", "user_high", "high_nickname", "since"]
    list_select_related = ["user_low__profile", "user_high__profile"]
    search_fields = ["user_low__profile__nickname", "user_high__profile__nickname"]
    readonly_fields = ["user_low", "user_high", "since"]

    @admin.display(description=_("first user (nickname)"))
    def low_nickname(self, obj):
        return _nickname(obj.user_low)

    @admin.display(description=_("second user (nickname)"))
    def high_nickname(self, obj):
        return _nickname(obj.user_high)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting by hand would skip the services (and their audit): take-downs go through the ladder.
        return False


class MomentImageInline(admin.TabularInline):
    model = MomentImage
    # The file fields are left out: private files have no URL, and staff views of them go elsewhere.
    fields = ["position", "content_type", "width", "height"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CommentInline(admin.TabularInline):
    model = Comment
    fields = ["author", "text", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Moment)
class MomentAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "author_nickname", "excerpt", "created_at", "removed_at"]
    list_filter = [("removed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["author__profile"]
    search_fields = ["text", "author__profile__nickname"]
    # Staff never rewrite what someone wrote; a take-down goes through the ladder (penalty, audit, appeal).
    fields = ["author", "text", "created_at", "updated_at", "removed_at"]
    readonly_fields = fields
    inlines = [MomentImageInline, CommentInline]
    date_hierarchy = "created_at"
    actions = [take_down_with_ladder_action]

    @admin.display(description=_("author (nickname)"))
    def author_nickname(self, obj):
        return _nickname(obj.author)

    @admin.display(description=_("text"))
    def excerpt(self, obj):
        return Truncator(obj.text).chars(60)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting by hand would skip the services (and their audit): take-downs go through the ladder.
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "moment", "author", "author_nickname", "excerpt", "created_at", "removed_at"]
    list_filter = [("removed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["author__profile"]
    search_fields = ["text", "author__profile__nickname"]
    # As for moments: read-only, and a take-down goes through the ladder.
    fields = ["moment", "author", "text", "created_at", "removed_at"]
    readonly_fields = fields
    actions = [take_down_with_ladder_action]

    @admin.display(description=_("author (nickname)"))
    def author_nickname(self, obj):
        return _nickname(obj.author)

    @admin.display(description=_("comment"))
    def excerpt(self, obj):
        return Truncator(obj.text).chars(60)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting by hand would skip the services (and their audit): take-downs go through the ladder.
        return False
