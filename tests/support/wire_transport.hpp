// A Transport that puts another one (a ScriptedTransport) on the far side of a real connection.
//
// Every request goes through the real HTTPS transport (Beast over OpenSSL, pooled, TLS verified)
// to a TLS server in this process on 127.0.0.1. The server turns what arrived on the wire back
// into an HttpRequest, hands it to the transport behind (which asserts it and picks the reply),
// and writes that reply back, which the real transport then parses. Compiled with the lifecycle
// suite (CALBRIDGE_TEST_OVER_WIRE), it runs every lifecycle test over the real transport:
// whatever the core sends must survive serialization, and whatever it reads must survive parsing.
//
// Fidelity rules:
//  - The request URLs keep their hosts (api.test, app.test): the real transport connects to the
//    server through its connect_to option, and the server's certificate names those hosts, so
//    SNI and host name verification run as in production.
//  - The server removes only what the wire adds: Host (checked against the URL), Content-Length
//    (checked against the body) and its own call tag. Everything else reaches the script as
//    sent, header order and spelling included.
//  - A scripted error (a Step's `error`, or the script's own mismatch error) cannot be a real
//    failure of the same kind on a healthy connection; the server answers with a marker the
//    client side turns back into that same exception. Every other reply crosses the wire.
//  - Faults that only a real connection has (a drop before the response, or in the middle of
//    its body) are asked for with wire_fault_header on a scripted reply.
//  - The call's CallContext (the test clock's deadline, the cancellation token) reaches the
//    script unchanged. The real connection gets its own deadline in real time (30 s; the core has
//    already enforced the test clock's) and the same cancellation token.
#pragma once

#include <calbridge/transport.hpp>

#include <memory>
#include <string>
#include <vector>

namespace calbridge::testing {

// A scripted reply with this header is not written as it is: the server drops the connection
// instead, before any byte of the response or in the middle of its body, as the value says.
inline constexpr const char* wire_fault_header = "X-Calbridge-Wire-Fault";
inline constexpr const char* wire_drop_before_response = "drop-before-response";
inline constexpr const char* wire_drop_mid_body = "drop-mid-body";

// `hosts`: the URL hosts (port 443) to serve.
std::shared_ptr<Transport> make_wire_transport(std::shared_ptr<Transport> behind,
                                               std::vector<std::string> hosts = {"api.test", "app.test"});

}  // namespace calbridge::testing
