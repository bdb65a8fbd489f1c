// The refresh lease contract (lease_contract.hpp) run against every shared store built here.
// The PostgreSQL store joins with one more StoreUnderTest and one more test case.
#include "support/catch.hpp"

#include <calbridge/sqlite_store.hpp>
#include <calbridge/store.hpp>

#include "lease_contract.hpp"
#include "store_fixtures.hpp"

#include <memory>

using namespace calbridge;
using namespace calbridge::testing;

namespace {

class FileStoreUnderTest final : public lease_contract::StoreUnderTest {
public:
    TokenStore& store() override { return store_; }

private:
    TempDir dir_;
    FileTokenStore store_{dir_.path() / "tokens"};
};

class SqliteStoreUnderTest final : public lease_contract::StoreUnderTest {
public:
    TokenStore& store() override { return store_; }

private:
    TempDir dir_;
    SqliteTokenStore store_{dir_.path() / "tokens.db"};
};

}  // namespace

TEST_CASE("the file store keeps the refresh lease contract", "[store][lease]") {
    lease_contract::run([] { return std::make_unique<FileStoreUnderTest>(); });
}

TEST_CASE("the SQLite store keeps the refresh lease contract", "[store][lease]") {
    lease_contract::run([] { return std::make_unique<SqliteStoreUnderTest>(); });
}
