"""The opt-in pytest plugin, as a user's own test suite would use it."""

from __future__ import annotations

import pytest

USERS_TESTS = '''
import calbridge

def test_calendars(calbridge_session):
    assert len(calbridge_session.calendars()) == 3

def test_fault_injection(calbridge_sandbox, calbridge_session):
    calbridge_session.calendars()
    calbridge_sandbox.fault("/v1/calendars", status=404)
    try:
        calbridge_session.calendars()
    except calbridge.NotFoundError:
        pass
    else:
        raise AssertionError("expected a 404")

def test_each_test_starts_clean(calbridge_sandbox):
    assert calbridge_sandbox.grants() == []
    assert calbridge_sandbox.status()["users"] == 1
'''


def test_the_plugin_gives_users_a_ready_sandbox(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_users=USERS_TESTS)
    result = pytester.runpytest_subprocess("-p", "calbridge.testing", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
