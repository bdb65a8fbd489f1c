"""Type aliases shared by the package."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeAlias, Union


#: A JSON value as ``json.loads`` returns it.
JSON: TypeAlias = Union[dict[str, "JSON"], list["JSON"], str, int, float, bool, None]

#: A JSON object.
JSONObject: TypeAlias = dict[str, JSON]

#: A duration: seconds (int or float) or a timedelta.
Seconds: TypeAlias = Union[float, int, timedelta]


def seconds(value: Seconds | None, what: str) -> float | None:
    """A duration as float seconds (None stays None)."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be seconds (int or float) or a timedelta, not {type(value).__name__}")
    return float(value)
