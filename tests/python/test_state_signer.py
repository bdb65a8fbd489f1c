"""calbridge.StateSigner: signed, expiring states any worker holding the key verifies."""

from __future__ import annotations

import base64
import pickle
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

import calbridge

KEY = b"k3y-for-tests-" + b"x" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_state_verifies_for_its_binding_and_carries_its_expiry_and_data() -> None:
    clock = Clock()
    signer = calbridge.StateSigner(KEY, max_age=timedelta(minutes=5), clock=clock)
    state = signer.issue("session-1", app_data="/after/login")
    verified = signer.verify(state, "session-1")
    assert verified.app_data == "/after/login"
    assert verified.expires_at == datetime.fromtimestamp(clock.now + 300, timezone.utc)
    assert signer.issue("session-1") != signer.issue("session-1")  # a fresh nonce each time
    assert "session-1" not in state and "session-1" not in base64.urlsafe_b64decode(state.split(".")[0] + "==").decode(
        "latin-1"
    )


def test_another_worker_with_the_key_verifies_it() -> None:
    state = calbridge.StateSigner(KEY).issue("session-1")
    # The key goes through stdin (never a command line another user can read).
    script = (
        "import sys, calbridge\n"
        "calbridge.StateSigner(sys.stdin.buffer.read()).verify(sys.argv[1], 'session-1')\n"
        "try:\n"
        "    calbridge.StateSigner(b'o' * 32).verify(sys.argv[1], 'session-1')\n"
        "except calbridge.StateMismatchError:\n"
        "    print('other key refused')\n"
    )
    result = subprocess.run([sys.executable, "-c", script, state], input=KEY, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "other key refused"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("another binding", "issued for another binding"),
        ("another key", "signature does not match"),
        ("altered payload", "signature does not match"),
        ("altered signature", "signature does not match"),
        ("not a state", "malformed"),
        ("empty", "malformed"),
        ("expired", "expired"),
    ],
)
def test_a_state_that_is_not_genuine_raises_state_mismatch(case: str, message: str) -> None:
    clock = Clock()
    signer = calbridge.StateSigner(KEY, max_age=60, clock=clock)
    state = signer.issue("session-1")
    payload, mac = state.split(".")
    binding = "session-1"
    if case == "another binding":
        binding = "session-2"
    elif case == "another key":
        state = calbridge.StateSigner(b"o" * 32, clock=clock).issue("session-1")
    elif case == "altered payload":
        raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        raw[20] ^= 1  # inside the expiry: a longer life
        state = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode() + "." + mac
    elif case == "altered signature":
        state = payload + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    elif case == "not a state":
        state = "3f2a9c0e8d7b6a5f"  # what a random state looks like
    elif case == "empty":
        state = ""
    elif case == "expired":
        clock.now += 60
    with pytest.raises(calbridge.StateMismatchError, match=message) as caught:
        signer.verify(state, binding)
    assert caught.value.code == calbridge.ErrorCode.STATE_MISMATCH


def test_a_state_is_valid_until_just_before_max_age() -> None:
    clock = Clock()
    signer = calbridge.StateSigner(KEY, max_age=60, clock=clock)
    state = signer.issue("s")
    clock.now += 59.5
    signer.verify(state, "s")
    clock.now += 0.5
    with pytest.raises(calbridge.StateMismatchError, match="expired"):
        signer.verify(state, "s")


def test_a_str_key_is_its_utf8_bytes() -> None:
    state = calbridge.StateSigner(KEY.decode()).issue("s")
    calbridge.StateSigner(KEY).verify(state, "s")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"key": b"short"}, calbridge.InvalidArgumentError),
        ({"key": "x" * 31}, calbridge.InvalidArgumentError),
        ({"key": KEY, "max_age": 0}, calbridge.InvalidArgumentError),
        ({"key": KEY, "max_age": 1.5}, calbridge.InvalidArgumentError),
        ({"key": KEY, "max_age": timedelta(seconds=-5)}, calbridge.InvalidArgumentError),
        ({"key": KEY, "max_age": float("inf")}, calbridge.InvalidArgumentError),
        ({"key": 12345}, TypeError),
        ({"key": KEY, "max_age": "60"}, TypeError),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        calbridge.StateSigner(**kwargs)  # type: ignore[arg-type]
    assert "short" not in str(caught.value) and "x" * 31 not in str(caught.value)


def test_an_empty_binding_is_refused() -> None:
    with pytest.raises(calbridge.InvalidArgumentError, match="binding is empty"):
        calbridge.StateSigner(KEY).issue("")


def test_the_key_and_the_binding_never_show() -> None:
    signer = calbridge.StateSigner(KEY, max_age=timedelta(minutes=2))
    assert repr(signer) == "StateSigner(max_age=datetime.timedelta(seconds=120))"
    assert signer.max_age == timedelta(minutes=2)
    assert not any(KEY.decode() in str(getattr(signer, a, "")) for a in dir(signer))
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(signer)
    state = signer.issue("secret-session-id")
    for binding in ("other-session-id", "secret-session-id"):
        try:
            calbridge.StateSigner(b"o" * 32).verify(state, binding)
        except calbridge.StateMismatchError as e:
            text = str(e) + repr(e)
            assert "session-id" not in text and KEY.decode() not in text and "o" * 32 not in text
