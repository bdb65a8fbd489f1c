// The C token store adapter (capi/src/store_adapter.cpp, compiled into this test) with the
// refresh lease: what each callback result becomes for the core, that a store which breaks the
// contract is a StoreError naming the callback, which stores lease at all, and that a struct
// of version 1 is read only up to its end (under ASan, reading past it fails the test).
#include "support/catch.hpp"

#include <calbridge.h>
#include <calbridge/errors.hpp>
#include <calbridge/store.hpp>

#include "callbacks.hpp"

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

using calbridge::LeaseClaim;
using calbridge::StoreError;

namespace {

constexpr const char* stored_json = R"({"access_token": "at", "refresh_token": "rt", "account_id": "acc"})";

// What the callbacks answer, and what they were asked.
struct Script {
    int rc = 0;
    int status = CALBRIDGE_LEASE_GRANTED;
    const char* json = stored_json;  // nullptr: the entry is not filled
    std::uint64_t version = 3;
    int mark = 0;
    std::uint64_t epoch = 7;
    std::uint64_t remaining_ms = 0;

    std::string account;
    std::string owner;
    std::uint64_t expected_version = 0;
    std::uint64_t epoch_seen = 0;
    std::uint64_t ms_seen = 0;  // ttl_ms or timeout_ms
    unsigned int claim_version = 0;
    int calls = 0;
};

Script& script(void* userdata) {
    auto& s = *static_cast<Script*>(userdata);
    ++s.calls;
    return s;
}

int fill(calbridge_store_entry* entry, const Script& s) {
    if (s.json != nullptr && calbridge_store_entry_set(entry, s.json, s.version) != CALBRIDGE_OK) return CALBRIDGE_ESTORE;
    if (s.mark != 0 && calbridge_store_entry_set_reauthorization_required(entry, 1) != CALBRIDGE_OK) {
        return CALBRIDGE_ESTORE;
    }
    return CALBRIDGE_OK;
}

int load(calbridge_store_entry* entry, const char* account, void* userdata) {
    auto& s = script(userdata);
    s.account = account;
    const int filled = fill(entry, s);
    return filled != CALBRIDGE_OK ? filled : s.rc;
}
int insert(uint64_t*, const char*, const char*, void*) { return CALBRIDGE_ESTORE; }
int save(uint64_t*, const char*, const char*, uint64_t, void*) { return CALBRIDGE_ESTORE; }
int replace(uint64_t*, const char*, const char*, void*) { return CALBRIDGE_ESTORE; }
int remove_account(const char*, void*) { return CALBRIDGE_ESTORE; }

int claim(calbridge_lease_claim* claim, const char* account, uint64_t expected_version, const char* owner,
          uint64_t ttl_ms, void* userdata) {
    auto& s = script(userdata);
    s.account = account;
    s.owner = owner;
    s.expected_version = expected_version;
    s.ms_seen = ttl_ms;
    s.claim_version = claim->version;
    if (claim->stored == nullptr) return CALBRIDGE_ESTORE;
    const int filled = fill(claim->stored, s);
    if (filled != CALBRIDGE_OK) return filled;
    claim->status = s.status;
    claim->epoch = s.epoch;
    claim->remaining_ms = s.remaining_ms;
    return s.rc;
}
int renew(const char* account, uint64_t epoch, uint64_t ttl_ms, void* userdata) {
    auto& s = script(userdata);
    s.account = account;
    s.epoch_seen = epoch;
    s.ms_seen = ttl_ms;
    return s.rc;
}
int release(const char* account, uint64_t epoch, void* userdata) {
    auto& s = script(userdata);
    s.account = account;
    s.epoch_seen = epoch;
    return s.rc;
}
int mark(const char* account, uint64_t expected_version, void* userdata) {
    auto& s = script(userdata);
    s.account = account;
    s.expected_version = expected_version;
    return s.rc;
}
int wait_for_change(const char* account, uint64_t version, uint64_t timeout_ms, void* userdata) {
    auto& s = script(userdata);
    s.account = account;
    s.expected_version = version;
    s.ms_seen = timeout_ms;
    return s.rc;
}

calbridge_token_store callbacks(Script& s, bool lease = true) {
    calbridge_token_store store = CALBRIDGE_TOKEN_STORE_INIT;
    store.load = load;
    store.insert = insert;
    store.save = save;
    store.replace = replace;
    store.remove = remove_account;
    store.userdata = &s;
    if (lease) {
        store.claim = claim;
        store.renew = renew;
        store.release = release;
        store.mark_reauthorization_required = mark;
        store.wait_for_change = wait_for_change;
    }
    return store;
}

std::shared_ptr<calbridge::TokenStore> adapt(const calbridge_token_store& store) {
    return calbridge::capi::make_c_token_store(store, std::make_shared<calbridge::capi::Userdata>(store.userdata, nullptr));
}

LeaseClaim claim_once(Script& s) {
    auto store = adapt(callbacks(s));
    return store->refresh_leases()->claim("acc", 3, "host:1:abc", std::chrono::milliseconds(30'000));
}

std::string store_error(Script& s) {
    try {
        (void)claim_once(s);
    } catch (const StoreError& e) {
        return e.what();
    }
    FAIL("no StoreError");
    return {};
}

std::string invalid_argument(const calbridge_token_store& store) {
    try {
        (void)adapt(store);
    } catch (const calbridge::InvalidArgumentError& e) {
        return e.what();
    }
    FAIL("no InvalidArgumentError");
    return {};
}

}  // namespace

TEST_CASE("store adapter: the four lease callbacks make a leasing store, none (or version 1) a store of one process") {
    Script s;
    CHECK(adapt(callbacks(s))->refresh_leases() != nullptr);
    CHECK(adapt(callbacks(s, false))->refresh_leases() == nullptr);
    auto v1 = callbacks(s);
    v1.version = 1;  // the lease fields are past a version 1 struct's end: never read
    CHECK(adapt(v1)->refresh_leases() == nullptr);
}

TEST_CASE("store adapter: some lease callbacks but not all four is an invalid argument, naming them") {
    Script s;
    auto store = callbacks(s);
    store.renew = nullptr;
    CHECK_THAT(invalid_argument(store), Catch::Contains("not all four") && Catch::Contains("renew"));
    store = callbacks(s, false);
    store.mark_reauthorization_required = mark;
    CHECK_THAT(invalid_argument(store), Catch::Contains("not all four"));
    store = callbacks(s, false);
    store.wait_for_change = wait_for_change;
    CHECK_THAT(invalid_argument(store), Catch::Contains("wait_for_change without the lease callbacks"));
    store = callbacks(s);
    store.wait_for_change = nullptr;  // optional with the four: the store is polled
    CHECK(adapt(store)->refresh_leases() != nullptr);
}

TEST_CASE("store adapter: a version 1 struct is read only up to its end") {
    Script s;
    const auto full = callbacks(s, false);
    const std::size_t v1_size = offsetof(calbridge_token_store, claim);
    // Exactly as long as an application built against version 1 of the header allocates it.
    auto bytes = std::make_unique<unsigned char[]>(v1_size);
    std::memcpy(bytes.get(), &full, v1_size);
    auto* v1 = reinterpret_cast<calbridge_token_store*>(bytes.get());
    v1->version = 1;
    auto store = adapt(*v1);
    CHECK(store->refresh_leases() == nullptr);
    s.rc = CALBRIDGE_STORE_FOUND;
    CHECK(store->load("acc")->version == 3u);

    // calbridge_token_store_init() for version 1 writes only version 1's fields.
    auto init_bytes = std::make_unique<unsigned char[]>(v1_size);
    auto* initialised = reinterpret_cast<calbridge_token_store*>(init_bytes.get());
    REQUIRE(calbridge_token_store_init(initialised, 1) == CALBRIDGE_OK);
    CHECK(initialised->version == 1u);
    CHECK(initialised->load == nullptr);
    CHECK(initialised->userdata_free == nullptr);
}

TEST_CASE("store adapter: load reports the reauthorization mark of a version 2 store, not of version 1") {
    Script s;
    s.rc = CALBRIDGE_STORE_FOUND;
    s.mark = 1;
    auto loaded = adapt(callbacks(s))->load("acc");
    REQUIRE(loaded.has_value());
    CHECK(loaded->reauthorization_required);
    CHECK(loaded->credentials.refresh_token.reveal() == "rt");

    auto v1 = callbacks(s, false);
    v1.version = 1;
    loaded = adapt(v1)->load("acc");
    REQUIRE(loaded.has_value());
    CHECK_FALSE(loaded->reauthorization_required);

    s.mark = 0;
    loaded = adapt(callbacks(s))->load("acc");
    REQUIRE(loaded.has_value());
    CHECK_FALSE(loaded->reauthorization_required);
}

TEST_CASE("store adapter: a granted claim carries its epoch and the credentials read in the same step") {
    Script s;
    const LeaseClaim granted = claim_once(s);
    CHECK(granted.status == LeaseClaim::Status::granted);
    CHECK(granted.epoch == 7u);
    REQUIRE(granted.stored.has_value());
    CHECK(granted.stored->version == 3u);
    CHECK(granted.stored->credentials.refresh_token.reveal() == "rt");
    CHECK_FALSE(granted.stored->reauthorization_required);
    // What the callback was asked.
    CHECK(s.account == "acc");
    CHECK(s.owner == "host:1:abc");
    CHECK(s.expected_version == 3u);
    CHECK(s.ms_seen == 30'000u);
    CHECK(s.claim_version == CALBRIDGE_LEASE_CLAIM_VERSION);
}

TEST_CASE("store adapter: every other claim status, with what it carries") {
    Script s;
    s.status = CALBRIDGE_LEASE_VERSION_MOVED;
    s.version = 4;
    LeaseClaim c = claim_once(s);
    CHECK(c.status == LeaseClaim::Status::version_moved);
    REQUIRE(c.stored.has_value());
    CHECK(c.stored->version == 4u);
    CHECK(c.epoch == 0u);  // only a granted claim has one

    s = Script{};
    s.status = CALBRIDGE_LEASE_HELD;
    s.remaining_ms = 1500;
    c = claim_once(s);
    CHECK(c.status == LeaseClaim::Status::held);
    CHECK(c.remaining == std::chrono::milliseconds(1500));
    REQUIRE(c.stored.has_value());

    s = Script{};
    s.status = CALBRIDGE_LEASE_REAUTHORIZATION_REQUIRED;
    c = claim_once(s);
    CHECK(c.status == LeaseClaim::Status::reauthorization_required);
    REQUIRE(c.stored.has_value());
    CHECK(c.stored->reauthorization_required);  // the status says so, whether the entry did or not

    s = Script{};
    s.status = CALBRIDGE_LEASE_MISSING;
    s.json = nullptr;
    c = claim_once(s);
    CHECK(c.status == LeaseClaim::Status::missing);
    CHECK_FALSE(c.stored.has_value());
}

TEST_CASE("store adapter: a claim callback that breaks the contract is a StoreError naming what it did") {
    Script s;
    s.rc = CALBRIDGE_ESTORE;
    CHECK_THAT(store_error(s), Catch::Contains("claim callback failed") && Catch::Contains("-23"));

    s = Script{};
    s.status = 0;  // not set
    CHECK_THAT(store_error(s), Catch::Contains("claim->status to 0, which is no CALBRIDGE_LEASE_* value"));
    s.status = 9;
    CHECK_THAT(store_error(s), Catch::Contains("claim->status to 9"));

    s = Script{};
    s.json = nullptr;
    CHECK_THAT(store_error(s), Catch::Contains("set claim->status to 1 without an entry"));

    s = Script{};
    s.json = "not credentials";
    CHECK_THAT(store_error(s), Catch::Contains("claim callback failed"));  // entry_set refused: the callback said so

    s = Script{};
    s.epoch = 0;
    CHECK_THAT(store_error(s), Catch::Contains("without an epoch"));

    s = Script{};
    s.version = 2;
    CHECK_THAT(store_error(s), Catch::Contains("on version 2, not the expected 3"));
}

TEST_CASE("store adapter: renew, release and mark map their results, anything else is a StoreError") {
    Script s;
    auto store = adapt(callbacks(s));
    auto* leases = store->refresh_leases();
    REQUIRE(leases != nullptr);

    s.rc = CALBRIDGE_STORE_RENEWED;
    CHECK(leases->renew("acc", 7, std::chrono::milliseconds(9000)));
    CHECK((s.epoch_seen == 7u && s.ms_seen == 9000u));
    s.rc = CALBRIDGE_STORE_CONFLICT;
    CHECK_FALSE(leases->renew("acc", 7, std::chrono::milliseconds(9000)));
    s.rc = CALBRIDGE_STORE_NOT_FOUND;
    CHECK_THROWS_WITH(leases->renew("acc", 7, std::chrono::milliseconds(9000)),
                      Catch::Contains("the token store's renew callback failed (returned 1"));

    s.rc = CALBRIDGE_STORE_RELEASED;
    leases->release("acc", 8);
    CHECK(s.epoch_seen == 8u);
    s.rc = CALBRIDGE_ESTORE;
    CHECK_THROWS_AS(leases->release("acc", 8), StoreError);

    s.rc = CALBRIDGE_STORE_MARKED;
    CHECK(leases->mark_reauthorization_required("acc", 5));
    CHECK(s.expected_version == 5u);
    s.rc = CALBRIDGE_STORE_CONFLICT;
    CHECK_FALSE(leases->mark_reauthorization_required("acc", 5));
    s.rc = CALBRIDGE_EINTERNAL;
    CHECK_THROWS_WITH(leases->mark_reauthorization_required("acc", 5),
                      Catch::Contains("mark_reauthorization_required callback failed"));
}

TEST_CASE("store adapter: wait_for_change waits through the callback, or returns at once without one") {
    Script s;
    s.rc = CALBRIDGE_STORE_WAITED;
    auto store = adapt(callbacks(s));
    CHECK(store->refresh_leases()->wait_for_change("acc", 4, std::chrono::milliseconds(250)));
    CHECK((s.calls == 1 && s.expected_version == 4u && s.ms_seen == 250u));
    s.rc = CALBRIDGE_ESTORE;
    CHECK_THROWS_AS(store->refresh_leases()->wait_for_change("acc", 4, std::chrono::milliseconds(250)), StoreError);

    auto polled = callbacks(s);
    polled.wait_for_change = nullptr;
    s.calls = 0;
    CHECK_FALSE(adapt(polled)->refresh_leases()->wait_for_change("acc", 4, std::chrono::milliseconds(250)));
    CHECK(s.calls == 0);
}

TEST_CASE("store adapter: calbridge_store_entry_set_reauthorization_required needs an entry") {
    CHECK(calbridge_store_entry_set_reauthorization_required(nullptr, 1) == CALBRIDGE_EINVALID_ARGUMENT);
    CHECK_THAT(std::string(calbridge_error_last()->message),
               Catch::Contains("calbridge_store_entry_set_reauthorization_required: entry is NULL"));
}
