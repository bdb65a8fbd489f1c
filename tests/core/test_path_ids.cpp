// Ids that go into a request path as one segment: "." and ".." would be normalized away by the
// server or a proxy ("DELETE /v1/calendars/../events" is the bulk delete of every event), and
// percent-encoding does not stop that everywhere, so they are refused before anything is sent.
#include "support/catch.hpp"

#include "client_fixture.hpp"

using namespace calbridge;
using namespace calbridge::testing;

TEST_CASE("an id of . or .. or nothing in a request path is an InvalidArgumentError and nothing is sent",
          "[api]") {
    SessionFixture f;
    const Session& s = *f.session;
    for (const std::string id : {".", "..", ""}) {
        CAPTURE(id);
        const auto named = [&](auto&& call, const std::string& name) {
            const auto e = thrown_by<InvalidArgumentError>(call);
            CHECK_THAT(e.what(), Catch::Matchers::Contains(name));
        };
        named([&] { s.delete_event(id, "evt_1"); }, "calendar_id");
        named([&] { s.delete_external_event(id, "uid_1"); }, "calendar_id");
        named([&] { s.upsert_event(id, R"({"event_id":"e","summary":"s"})"); }, "calendar_id");
        named([&] { s.revoke_profile(id); }, "profile_id");
        named([&] { s.close_channel(id); }, "channel_id");
        named([&] { s.availability_rule(id); }, "availability_rule_id");
        named([&] { s.delete_availability_rule(id); }, "availability_rule_id");
        named([&] { s.change_participation_status(id, "uid_1", ParticipationStatus::accepted); }, "calendar_id");
        named([&] { s.change_participation_status("cal_1", id, ParticipationStatus::accepted); }, "event_uid");
    }
    CHECK(f.transport->requests().empty());
}

TEST_CASE("ids that only contain dots or slashes stay one encoded segment", "[api]") {
    SessionFixture f;
    f.transport->expect(api_step("DELETE", "/v1/channels/...", "at-1", reply(202, "")));
    f.transport->expect(api_step("DELETE", "/v1/channels/.%2F..", "at-1", reply(202, "")));
    f.session->close_channel("...");
    f.session->close_channel("./..");
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}
