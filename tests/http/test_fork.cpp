// fork(): a child must not use the parent's pooled connections (their TLS state is the
// parent's), and must not disturb them either.
#include "support/catch.hpp"
#include "tls_test_server.hpp"

#include <calbridge/transport.hpp>

#include <sys/wait.h>
#include <unistd.h>

using namespace calbridge;
using namespace calbridge::test;

TEST_CASE("after fork the child opens its own connection and the parent's still works") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    const auto first = get(*transport, server.url("good", "/echo"));
    REQUIRE(first.status == 200);
    const auto parent_connection = json_int(first.body, "connection");

    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // The child: no Catch2 here; the exit status is the verdict.
        int status = 0;
        try {
            const auto before = transport->stats().connections_opened;
            const auto res = get(*transport, server.url("good", "/echo"));
            if (res.status != 200) status = 2;
            else if (json_int(res.body, "connection") == parent_connection) status = 3;
            else if (transport->stats().connections_opened != before + 1) status = 4;
        } catch (...) {
            status = 5;
        }
        ::_exit(status);
    }
    int status = -1;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    // The parent's pooled connection is untouched by the child's clean-up.
    const auto again = get(*transport, server.url("good", "/echo"));
    CHECK(again.status == 200);
    CHECK(json_int(again.body, "connection") == parent_connection);
    CHECK(transport->stats().connections_opened == 1);
}
