"""The query-count helpers catch a read that costs one query per row, and a page over its bound."""

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from core.testing import assert_constant_queries, assert_same_queries, queries_of

pytestmark = pytest.mark.django_db


def _one_query_per_user():
    return [user.profile.nickname for user in User.objects.all()]


def _constant():
    return [user.profile.nickname for user in User.objects.select_related("profile")]


def test_queries_of_lists_the_sql_it_ran():
    UserFactory()
    sql = queries_of(_constant)
    assert len(sql) == 1 and "accounts_profile" in sql[0]


def test_a_constant_read_passes_and_returns_the_count():
    UserFactory.create_batch(2)
    assert assert_constant_queries(_constant, lambda: UserFactory.create_batch(18), at_most=1) == 1


def test_a_read_per_row_is_caught():
    UserFactory.create_batch(2)
    with pytest.raises(AssertionError, match="3 queries at the small size but 21 at the large size"):
        assert_constant_queries(_one_query_per_user, lambda: UserFactory.create_batch(18))


def test_the_sanity_bound_is_checked_too():
    UserFactory.create_batch(2)
    with pytest.raises(AssertionError, match="more than 2"):
        assert_same_queries(lambda: (_constant(), _constant(), _constant()),
                            lambda: (_constant(), _constant(), _constant()), at_most=2)
