// A token store or an on_refresh hook is user code, and its errors can echo what it was given:
// a database refusing a row says "Failing row contains (...)". Whatever it throws, the error the
// caller sees and the log hold neither the new tokens nor the client secret.
#include "support/catch.hpp"

#include "client_fixture.hpp"

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

namespace {

const std::string new_access = "at-new-access-token-0123456789";
const std::string new_refresh = "rt-new-refresh-token-0123456789";

// A store that refuses every write the way a database does: with the row in its message.
class EchoingStore final : public TokenStore {
public:
    explicit EchoingStore(bool typed) : typed_(typed) {}

    std::optional<VersionedCredentials> load(std::string_view account) override { return inner.load(account); }
    std::optional<std::uint64_t> insert(std::string_view account, const Credentials& c) override {
        refuse(account, c);
    }
    std::optional<std::uint64_t> save(std::string_view account, const Credentials& c, std::uint64_t) override {
        refuse(account, c);
    }
    std::uint64_t replace(std::string_view account, const Credentials& c) override { refuse(account, c); }
    bool remove(std::string_view account) override { return inner.remove(account); }

    MemoryTokenStore inner;

private:
    [[noreturn]] void refuse(std::string_view account, const Credentials& c) const {
        const std::string row = "Failing row contains (" + std::string(account) + ", " + c.access_token.reveal() +
                                ", " + c.refresh_token.reveal() + ", " + client_secret_value + ")";
        // A store in another language hands its error over already typed (the Python module's
        // stores throw a StoreError that carries the Python exception).
        if (typed_) throw StoreError("token store's save() raised IntegrityError: " + row);
        throw std::runtime_error(row);
    }

    bool typed_;
};

void check_clean(const std::string& text) {
    CAPTURE(text);
    CHECK(text.find(new_access) == std::string::npos);
    CHECK(text.find(new_refresh) == std::string::npos);
    CHECK(text.find(client_secret_value) == std::string::npos);
}

}  // namespace

TEST_CASE("a store whose write error echoes the new tokens fails with a StoreError that holds none of them",
          "[session][secrets]") {
    const bool typed = GENERATE(false, true);
    CAPTURE(typed);
    auto store = std::make_shared<EchoingStore>(typed);
    Fixture f(test_options(), [&](ClientDependencies& d) { d.store = store; });
    REQUIRE(store->inner.insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply(new_access, new_refresh))));

    const auto e = thrown_by<StoreError>([&] { f.client.session("acc_1").calendars(); });
    check_clean(e.what());
    CHECK(std::string(e.what()).find("Failing row contains (acc_1, ") != std::string::npos);
    check_clean(f.log.text());

    // A new authorization, written with replace: the same.
    Step exchange;
    exchange.method = "POST";
    exchange.url = std::string(api) + "/oauth/token";
    exchange.reply = json_reply(200, token_reply(new_access, new_refresh));
    f.transport->expect(exchange);
    const auto replaced = thrown_by<StoreError>([&] {
        f.client.complete_authorization("https://app.example/cb?code=code-1&state=state-1", "state-1",
                                        "https://app.example/cb", std::nullopt);
    });
    CHECK(f.transport->failures() == std::vector<std::string>{});
    check_clean(replaced.what());
    check_clean(f.log.text());
}

TEST_CASE("an on_refresh hook whose error echoes the new tokens fails the call without them", "[session][secrets]") {
    const bool typed = GENERATE(false, true);
    CAPTURE(typed);
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.on_refresh = [typed](const Credentials& c) {
            const std::string what =
                "cannot copy " + c.access_token.reveal() + " and " + c.refresh_token.reveal() + " with " + client_secret_value;
            if (typed) throw UserCallbackError(what);
            throw std::runtime_error(what);
        };
    });
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply(new_access, new_refresh))));

    const auto e = thrown_by<UserCallbackError>([&] { f.client.session("acc_1").calendars(); });
    check_clean(e.what());
    CHECK(std::string(e.what()).find("cannot copy ") != std::string::npos);
    check_clean(f.log.text());
}
