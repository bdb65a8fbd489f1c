// Only in the wire run of the lifecycle suite (calbridge_lifecycle_wire_tests): faults that need
// a real connection. A connection dropped before the response, or in the middle of its body,
// reaches the core as the transport's own ConnectionError; the lifecycle's retry rules then
// decide: every idempotent call (GET, DELETE, the upsert) is sent again on a new connection, and
// a token request or a plain POST is not.
#include "support/catch.hpp"

#include "client_fixture.hpp"

#include <string>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

namespace {

// `step`, whose reply the server drops at `when` instead of writing.
Step dropped(Step step, const char* when) {
    step.reply.headers.push_back({wire_fault_header, when});
    return step;
}

const char* const drops[] = {wire_drop_before_response, wire_drop_mid_body};

constexpr const char* event = R"({"event_id":"ev-1","summary":"s"})";

Step upsert_step(HttpResponse answer) {
    Step s = api_step("POST", "/v1/calendars/cal_1/events", "at-1", std::move(answer));
    s.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
    s.body = event;
    return s;
}

Step delete_step(HttpResponse answer) {
    Step s = api_step("DELETE", "/v1/calendars/cal_1/events", "at-1", std::move(answer));
    s.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
    s.body = R"({"event_id":"ev-1"})";
    return s;
}

}  // namespace

TEST_CASE("the wire run: calls cross one pooled TLS connection to the script", "[wire]") {
    Fixture f;
    const Session session = stored_session(f);
    f.transport->expect(calendars_step("at-1"));
    f.transport->expect(calendars_step("at-1"));
    f.transport->expect(calendars_step("at-1"));

    for (int i = 0; i < 3; ++i) CHECK(session.calendars().empty());

    const TransportStats stats = f.wire->stats();
    CHECK(stats.requests == 3);
    CHECK(stats.connections_opened == 1);
    CHECK(stats.tls_handshakes == 1);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("a dropped connection: list calendars is sent again on a new connection", "[wire]") {
    for (const char* when : drops) {
        DYNAMIC_SECTION(when) {
            Fixture f;
            const Session session = stored_session(f);
            f.transport->expect(dropped(calendars_step("at-1", json_reply(200, R"({"calendars":[]})")), when));
            f.transport->expect(calendars_step("at-1"));

            CHECK(session.calendars().empty());

            CHECK(f.transport->requests().size() == 2);
            CHECK(f.wire->stats().connections_opened == 2);
            CHECK(f.transport->failures().empty());
        }
    }
}

TEST_CASE("a dropped connection: an upsert (idempotent by event_id) is sent again", "[wire]") {
    for (const char* when : drops) {
        DYNAMIC_SECTION(when) {
            Fixture f;
            const Session session = stored_session(f);
            f.transport->expect(dropped(upsert_step(json_reply(202, R"({"status":"accepted, and more"})")), when));
            f.transport->expect(upsert_step(reply(202)));

            CHECK_NOTHROW(session.upsert_event("cal_1", event));

            CHECK(f.transport->requests().size() == 2);
            CHECK(f.transport->failures().empty());
        }
    }
}

TEST_CASE("a dropped connection: a delete is sent again", "[wire]") {
    for (const char* when : drops) {
        DYNAMIC_SECTION(when) {
            Fixture f;
            const Session session = stored_session(f);
            f.transport->expect(dropped(delete_step(json_reply(202, R"({"status":"accepted, and more"})")), when));
            f.transport->expect(delete_step(reply(202)));

            CHECK_NOTHROW(session.delete_event("cal_1", "ev-1"));

            CHECK(f.transport->requests().size() == 2);
            CHECK(f.transport->failures().empty());
        }
    }
}

TEST_CASE("a dropped connection: a refresh is not sent again, and the stored credentials stay", "[wire]") {
    for (const char* when : drops) {
        DYNAMIC_SECTION(when) {
            Fixture f;
            const Session session = stored_session(f, 10s);  // inside the leeway: refreshes first
            f.transport->expect(dropped(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))), when));

            const auto e = thrown_by<ConnectionError>([&] { session.calendars(); });

            CHECK(e.details().request_sent);
            CHECK(f.transport->requests().size() == 1);
            CHECK(f.store->load("acc_1")->credentials.refresh_token.reveal() == "rt-1");
            CHECK(f.transport->failures().empty());
        }
    }
}

TEST_CASE("a dropped connection: a code exchange is not sent again", "[wire]") {
    for (const char* when : drops) {
        DYNAMIC_SECTION(when) {
            Fixture f;
            Step exchange;
            exchange.method = "POST";
            exchange.url = std::string(api) + "/oauth/token";
            exchange.reply = json_reply(200, token_reply("at-1", "rt-1"));
            f.transport->expect(dropped(exchange, when));

            const auto e = thrown_by<ConnectionError>(
                [&] { f.client.exchange_code(Secret("the-code"), "https://app.example/callback"); });

            CHECK(e.details().request_sent);
            CHECK(f.transport->requests().size() == 1);
            CHECK(f.transport->failures().empty());
        }
    }
}

TEST_CASE("a dropped connection: a POST that is not idempotent is not sent again", "[wire]") {
    for (const char* when : drops) {
        DYNAMIC_SECTION(when) {
            Fixture f;
            const Session session = stored_session(f);
            f.transport->expect(dropped(api_step("POST", "/v1/link_tokens", "at-1",
                                                 json_reply(200, R"({"link_token":"lt-1","padding":"0123"})")),
                                        when));

            CHECK_THROWS_AS(session.create_link_token(), ConnectionError);

            CHECK(f.transport->requests().size() == 1);
            CHECK(f.transport->failures().empty());
        }
    }
}
