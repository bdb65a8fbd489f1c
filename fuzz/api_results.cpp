// The calendar API's replies, read through a Session as an application reads them: calendars,
// event and free/busy pages (following next_page), account, userinfo, profiles, channels,
// availability rules, link tokens; error statuses with field errors and Retry-After; a 401
// that sends the session to the token endpoint, whose reply comes from the input too.
//
// Input: byte 0 picks the call; then the replies the server gives in turn, separated by a line
// "=====": each is "<status>\n<header: value\n>...\n<body>" (status three digits; headers
// until an empty line). When the replies run out the server answers 404.
// Invariants: only calbridge errors; no request leaves https://api.test (a next_page on another
// origin must not be followed: it would carry the bearer token there); neither token nor the
// client secret appears in an error message, its details or the log, unless the server's
// replies hold it themselves (the token_reply target checks the redaction of echoed secrets;
// a next_page carrying the token in use is scrubbed, tests/core/test_log_redaction.cpp, but
// one carrying a token the session has since replaced is the server's text, quoted as is).
#include "fuzz_support.hpp"

#include "support/test_clock.hpp"

#include <calbridge/client.hpp>
#include <calbridge/session.hpp>
#include <calbridge/store.hpp>

#include <boost/url/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace calbridge;

constexpr std::string_view access_token = "MARKERaccessToken0123456789";
constexpr std::string_view refresh_token = "MARKERrefreshToken0123456789";
constexpr std::string_view client_secret = "MARKERclientSecret0123456789";

std::vector<HttpResponse> read_replies(std::string_view text) {
    std::vector<HttpResponse> out;
    constexpr std::string_view separator = "\n=====\n";
    while (!text.empty() && out.size() < 16) {
        const auto end = text.find(separator);
        std::string_view part = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + separator.size());
        HttpResponse r;
        r.status = 200;
        if (part.size() >= 4 && part[3] == '\n') {
            int s = 0;
            for (char c : part.substr(0, 3)) s = s * 10 + ((c >= '0' && c <= '9') ? c - '0' : 0);
            r.status = s;
            part.remove_prefix(4);
            while (!part.empty() && part.front() != '\n') {
                const auto nl = part.find('\n');
                const std::string_view line = part.substr(0, nl);
                const auto colon = line.find(':');
                if (colon != std::string_view::npos) {
                    std::string_view value = line.substr(colon + 1);
                    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
                    r.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
                }
                part = nl == std::string_view::npos ? std::string_view() : part.substr(nl + 1);
            }
            if (!part.empty()) part.remove_prefix(1);
        }
        r.body = std::string(part);
        out.push_back(std::move(r));
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return out;
}

// The origin https://api.test (scheme and host in any case, port 443 said or not).
bool on_api_origin(const std::string& url) {
    const auto u = boost::urls::parse_uri(url);  // a fragment is allowed (and never sent)
    if (!u) return false;
    return lower(u->scheme()) == "https" && lower(u->encoded_host()) == "api.test" &&
           (u->port().empty() || u->port() == "443");
}

class ReplayTransport final : public Transport {
public:
    explicit ReplayTransport(std::vector<HttpResponse> replies) : replies_(std::move(replies)) {}

    HttpResponse send(const HttpRequest& request, const CallContext&) override {
        if (!on_api_origin(request.url)) fuzz::fail("a request left the API origin", request.url);
        if (next_ < replies_.size()) return replies_[next_++];
        HttpResponse r;
        r.status = 404;
        r.body = R"({"error":"no more replies"})";
        return r;
    }

private:
    std::vector<HttpResponse> replies_;
    std::size_t next_ = 0;
};

void check_secret_free(std::string_view text, std::string_view input, std::string_view where) {
    for (std::string_view s : {access_token, refresh_token, client_secret}) {
        if (fuzz::contains(text, s) && !fuzz::contains(input, s)) fuzz::fail(where, text);
    }
}

void call(const Session& session, const Client& client, unsigned which) {
    EventsQuery q;
    q.from = std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::November, std::chrono::day{1}};
    q.to = std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::November, std::chrono::day{30}};
    switch (which % 10) {
        case 0: (void)session.calendars(); break;
        case 1: (void)session.events(q).all(); break;
        case 2: (void)session.free_busy(q).all(); break;
        case 3: (void)session.account(); break;
        case 4: (void)session.userinfo(); break;
        case 5: (void)session.profiles(); break;
        case 6: (void)session.list_channels(); break;
        case 7: (void)session.availability_rules(); break;
        case 8: (void)session.create_link_token(); break;
        default: (void)client.session(session.account_key()).credentials(); break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    testing::TestClock clock;
    std::string log;
    ClientOptions o;
    o.client_id = "client-id";
    o.client_secret = Secret(std::string(client_secret));
    o.api_url = "https://api.test";
    o.app_url = "https://app.test";
    ClientDependencies d;
    d.transport = std::make_shared<ReplayTransport>(read_replies(text));
    d.store = std::make_shared<MemoryTokenStore>();
    d.log = [&log](LogLevel, std::string_view line) { log.append(line).push_back('\n'); };
    d.log_level = LogLevel::trace;
    d.wall_clock = clock.wall_clock();
    d.steady_clock = clock.steady_clock();
    d.waiter = clock.waiter();
    const Client client(Config(std::move(o)), std::move(d));

    Credentials c;
    c.access_token = Secret(std::string(access_token));
    c.refresh_token = Secret(std::string(refresh_token));
    c.scope = {"read_events"};
    c.expires_at = clock.wall() + std::chrono::hours(1);
    c.account_id = "acc_1";
    c.sub = "acc_1";
    const Session session = client.session(c);

    try {
        call(session, client, data[0]);
    } catch (const Error& e) {
        check_secret_free(e.what(), text, "a secret in an error message");
        check_secret_free(e.details().oauth_error_description, text, "a secret in an error's details");
        for (const FieldError& f : e.details().field_errors) {
            check_secret_free(f.description, text, "a secret in a field error");
        }
    } catch (const std::exception& e) {
        fuzz::fail("a non-calbridge exception escaped", e.what());
    }
    check_secret_free(log, text, "a secret in the log");
    return 0;
}
