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

def test_the_sandbox_clock_stops_and_moves_on_request(calbridge_sandbox):
    stopped = calbridge_sandbox.stop_clock()
    assert stopped["stopped"] is True
    assert calbridge_sandbox.advance_clock(120)["now"] == stopped["now"] + 120
    started = calbridge_sandbox.start_clock()
    assert started["stopped"] is False and started["now"] >= stopped["now"] + 120
    calbridge_sandbox.stop_clock()  # left stopped: the next test must find it running

def test_each_test_starts_clean(calbridge_sandbox):
    assert calbridge_sandbox.grants() == []
    status = calbridge_sandbox.status()
    assert (status["users"], status["clock_offset"], status["clock_stopped"]) == (1, 0, False)
'''


def test_the_plugin_gives_users_a_ready_sandbox(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_users=USERS_TESTS)
    result = pytester.runpytest_subprocess("-p", "calbridge.testing", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
