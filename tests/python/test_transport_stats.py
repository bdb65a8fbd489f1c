"""Client.transport_stats(): the HTTPS transport's own counters, against the sandbox."""

from __future__ import annotations

import calbridge
from calbridge.sandbox import Sandbox


def test_transport_stats_count_requests_and_one_handshake_per_kept_alive_connection(
    calbridge_sandbox: Sandbox, calbridge_credentials: calbridge.Credentials
) -> None:
    client = calbridge_sandbox.client()
    assert client.transport_stats() == calbridge.TransportStats(requests=0, connections_opened=0, tls_handshakes=0)
    session = client.session(calbridge_credentials)
    for _ in range(3):
        assert len(session.calendars()) == 3
    stats = client.transport_stats()
    assert isinstance(stats, calbridge.TransportStats)
    assert stats == calbridge.TransportStats(requests=3, connections_opened=1, tls_handshakes=1)
    assert (stats.requests, stats.connections_opened, stats.tls_handshakes) == (3, 1, 1)


def test_transport_stats_are_the_clients_own(
    calbridge_sandbox: Sandbox, calbridge_credentials: calbridge.Credentials
) -> None:
    busy = calbridge_sandbox.client()
    idle = calbridge_sandbox.client()
    busy.session(calbridge_credentials).calendars()
    assert busy.transport_stats().requests == 1
    assert idle.transport_stats() == calbridge.TransportStats(0, 0, 0)
