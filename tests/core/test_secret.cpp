#include "support/catch.hpp"

#include <calbridge/secret.hpp>

#include <sstream>

using namespace calbridge;

TEST_CASE("a secret of 20 characters or more prints only its last 4", "[secret]") {
    const Secret s("abcdefghijklmnopqrst");  // 20 characters
    CHECK(s.redacted() == "\u2026qrst");
    std::ostringstream os;
    os << s;
    CHECK(os.str() == "\u2026qrst");
    CHECK(os.str().find("abcdefghijklmnop") == std::string::npos);
}

TEST_CASE("a secret shorter than 20 characters is masked whole", "[secret]") {
    const Secret s("abcdefghijklmnopqrs");  // 19 characters
    CHECK(s.redacted() == "****");
    std::ostringstream os;
    os << s;
    CHECK(os.str() == "****");
    CHECK(Secret("x").redacted() == "****");
    CHECK(Secret().redacted().empty());
}

TEST_CASE("secrets compare by value and survive copies and moves", "[secret]") {
    Secret a("value-one");
    const Secret b("value-one");
    const Secret c("value-two");
    CHECK(a == b);
    CHECK_FALSE(a == c);
    CHECK_FALSE(a == Secret("value-on"));

    Secret copy = a;
    CHECK(copy.reveal() == "value-one");
    Secret moved = std::move(a);
    CHECK(moved.reveal() == "value-one");
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the move wipes the source on purpose
    copy = c;
    CHECK(copy.reveal() == "value-two");
    copy = std::move(moved);
    CHECK(copy.reveal() == "value-one");
}

TEST_CASE("constant_time_equal compares content and length", "[secret]") {
    CHECK(constant_time_equal("", ""));
    CHECK(constant_time_equal("abc", "abc"));
    CHECK_FALSE(constant_time_equal("abc", "abd"));
    CHECK_FALSE(constant_time_equal("abc", "abcd"));
}
