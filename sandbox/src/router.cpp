#include "router.hpp"

#include "crypto.hpp"
#include "html.hpp"
#include "json_util.hpp"

#include <cstdio>
#include <exception>

namespace calbridge::sandbox {

std::vector<std::string_view> path_segments(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        const std::size_t j = std::min(path.find('/', i), path.size());
        out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

Response method_not_allowed(std::string_view allow) {
    Response r = api_error(405, "method_not_allowed", "use " + std::string(allow));
    r.headers.push_back({"Allow", std::string(allow)});
    return r;
}

Response not_found() { return api_error(404, "not_found", "no such resource"); }

std::optional<Response> check_rate_limit(Context& ctx, const Application& app) {
    const auto wait = ctx.state.rate_limiter.admit(app.client_id, ctx.state.policy_for(app).rate_limit);
    if (!wait) return std::nullopt;
    ctx.counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
    Response r = api_error(429, "too_many_requests", "rate limit exceeded; retry after " + std::to_string(*wait) + " s");
    r.headers.push_back({"Retry-After", std::to_string(*wait)});
    return r;
}

std::string Context::origin(const Request& request) const {
    if (const std::string* host = request.header("Host"); host != nullptr && !host->empty() && host->size() < 256) {
        bool ok = true;
        for (char c : *host) {
            const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                 c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
            ok = ok && allowed;
        }
        if (ok) return info.scheme + "://" + *host;
    }
    return info.scheme + "://" + info.authority;
}

Response index(Context& ctx, const Request& request) {
    const auto apps = ctx.state.directory.applications();
    return html_response(200, index_page(ctx.origin(request), apps.empty() ? "" : apps.front().client_id));
}

Router::Router(State& state, Counters& counters, ServiceInfo info)
    : state_(state), counters_(counters), info_(std::move(info)) {}

Response Router::handle(Request& request) {
    Context ctx{state_, counters_, info_};
    Response r;
    try {
        if (!parse_target(request)) {
            r = api_error(400, "invalid_request", "the request target is not a valid origin-form URI");
        } else if (request.path == "/admin" || request.path.rfind("/admin/", 0) == 0) {
            const std::string* auth = request.header("Authorization");
            const std::string expected = "Bearer " + info_.admin_token;
            if (auth == nullptr || !constant_time_equal(*auth, expected)) {
                r = api_error(401, "unauthorized", "the admin API needs Authorization: Bearer <admin token>");
                r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"calbridge-sandbox admin\""});
            } else {
                r = admin(ctx, request);
            }
        } else if (auto fault = state_.faults.take(request.method, request.path)) {
            counters_.faults_applied.fetch_add(1, std::memory_order_relaxed);
            state_.faults.applied();
            if (fault->process) {
                r = dispatch(ctx, request);
                apply_fault(*fault, r);
            } else {
                r = fault_response(*fault);
            }
        } else {
            r = dispatch(ctx, request);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "calbridge-sandbox: internal error on %s %s: %s\n", request.method.c_str(),
                     request.path.c_str(), e.what());
        r = api_error(500, "internal_error", "the sandbox failed to handle this request");
    }
    counters_.count_status(r.status);
    return r;
}

Response Router::dispatch(Context& ctx, const Request& request) {
    const std::string& p = request.path;
    const std::string& m = request.method;
    if (p.rfind("/v1/", 0) == 0) return api(ctx, request);
    if (p == "/oauth/authorize") return m == "GET" || m == "HEAD" ? authorize(ctx, request) : method_not_allowed("GET");
    if (p == "/oauth/authorize/consent") return m == "POST" ? authorize_consent(ctx, request) : method_not_allowed("POST");
    if (p == "/oauth/token") return m == "POST" ? token(ctx, request) : method_not_allowed("POST");
    if (p == "/oauth/token/revoke") return m == "POST" ? revoke(ctx, request) : method_not_allowed("POST");
    if (p.rfind("/relink/", 0) == 0) return m == "GET" || m == "POST" ? relink(ctx, request) : method_not_allowed("GET, POST");
    if (p == "/") return m == "GET" || m == "HEAD" ? index(ctx, request) : method_not_allowed("GET");
    return not_found();
}

}  // namespace calbridge::sandbox
