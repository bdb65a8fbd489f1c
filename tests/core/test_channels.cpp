// Push notification channels on Session: the exact requests, typed results, the checks made
// before sending.
#include "support/catch.hpp"

#include "client_fixture.hpp"

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

using ChannelFixture = SessionFixture;

TEST_CASE("create a channel: POST /v1/channels with the filters given, typed reply", "[api][channels]") {
    ChannelFixture f;
    f.transport->expect(with_json_body(
        api_step("POST", "/v1/channels", "at-1",
                 json_reply(200, R"({"channel":{"channel_id":"chn_1","callback_url":"https://example.com/push",)"
                                 R"("filters":{"calendar_ids":["cal_1"],"only_managed":true},"new_field":1}})")),
        R"({"callback_url":"https://example.com/push","filters":{"calendar_ids":["cal_1"],"only_managed":true}})"));
    f.transport->expect(with_json_body(
        api_step("POST", "/v1/channels", "at-1",
                 json_reply(200, R"({"channel":{"channel_id":"chn_2","callback_url":"http://127.0.0.1:9/cb"}})")),
        R"({"callback_url":"http://127.0.0.1:9/cb"})"));

    ChannelFilters filters;
    filters.calendar_ids = {"cal_1"};
    filters.only_managed = true;
    const Channel c = f.session->create_channel("https://example.com/push", filters);
    CHECK(c.channel_id == "chn_1");
    CHECK(c.callback_url == "https://example.com/push");
    CHECK(c.filters == filters);
    CHECK(c.raw_json.find(R"("new_field":1)") != std::string::npos);

    const Channel d = f.session->create_channel("http://127.0.0.1:9/cb");
    CHECK(d.channel_id == "chn_2");
    CHECK(d.filters == ChannelFilters{});
    CHECK(f.transport->failures().empty());
}

TEST_CASE("create a channel: a bad callback URL is refused before any request", "[api][channels]") {
    ChannelFixture f;
    CHECK_THROWS_AS(f.session->create_channel("http://example.com/push"), InvalidArgumentError);
    CHECK_THROWS_AS(f.session->create_channel("https://example.com/" + std::string(200, 'a')), InvalidArgumentError);
    CHECK_THROWS_AS(f.session->create_channel(""), InvalidArgumentError);
    CHECK(f.transport->requests().empty());
}

TEST_CASE("create a channel: a reply without a channel is a ProtocolError", "[api][channels]") {
    ChannelFixture f;
    f.transport->expect(with_json_body(api_step("POST", "/v1/channels", "at-1", json_reply(200, R"({"nothing":1})")),
                                       R"({"callback_url":"https://example.com/push"})"));
    CHECK_THROWS_AS(f.session->create_channel("https://example.com/push"), ProtocolError);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("list channels: GET /v1/channels typed", "[api][channels]") {
    ChannelFixture f;
    f.transport->expect(api_step(
        "GET", "/v1/channels", "at-1",
        json_reply(200, R"({"channels":[{"channel_id":"chn_1","callback_url":"https://a.example/p","filters":{}},)"
                        R"({"channel_id":"chn_2","callback_url":"https://b.example/p",)"
                        R"("filters":{"only_managed":false}}]})")));
    f.transport->expect(api_step("GET", "/v1/channels", "at-1", json_reply(200, R"({"channels":{}})")));

    const auto channels = f.session->list_channels();
    REQUIRE(channels.size() == 2);
    CHECK(channels[0].channel_id == "chn_1");
    CHECK(channels[1].callback_url == "https://b.example/p");
    CHECK(channels[1].filters.only_managed == std::optional<bool>(false));
    CHECK_FALSE(channels[0].filters.only_managed.has_value());
    CHECK_THROWS_AS(f.session->list_channels(), ProtocolError);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("close a channel: DELETE /v1/channels/{id} with the id encoded", "[api][channels]") {
    ChannelFixture f;
    f.transport->expect(api_step("DELETE", "/v1/channels/chn_1", "at-1", reply(202)));
    f.transport->expect(api_step("DELETE", "/v1/channels/a%2Fb", "at-1", reply(202)));
    f.transport->expect(api_step("DELETE", "/v1/channels/chn_gone", "at-1", json_reply(404, "{}")));

    f.session->close_channel("chn_1");
    f.session->close_channel("a/b");
    CHECK_THROWS_AS(f.session->close_channel("chn_gone"), NotFoundError);
    CHECK_THROWS_AS(f.session->close_channel(""), InvalidArgumentError);
    CHECK(f.transport->failures().empty());
}
