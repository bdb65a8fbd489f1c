#include "faults.hpp"

#include "json_util.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace calbridge::sandbox {

namespace {

constexpr std::array<std::pair<FaultKind, std::string_view>, 11> kind_names{{
    {FaultKind::status, "status"},
    {FaultKind::delay, "delay"},
    {FaultKind::close, "close"},
    {FaultKind::truncate, "truncate"},
    {FaultKind::malformed_json, "malformed_json"},
    {FaultKind::json_as_text_plain, "json_as_text_plain"},
    {FaultKind::html_error, "html_error"},
    {FaultKind::error_in_200, "error_in_200"},
    {FaultKind::expires_in_string, "expires_in_string"},
    {FaultKind::omit_expires_in, "omit_expires_in"},
    {FaultKind::omit_refresh_token, "omit_refresh_token"},
}};

std::string_view kind_name(FaultKind k) {
    for (const auto& [kind, name] : kind_names) {
        if (kind == k) return name;
    }
    return "status";
}

// Whether a kind runs the real endpoint unless told otherwise: the ones that change or delay
// a real response do; the ones that replace it do not.
bool processes_by_default(FaultKind k) {
    switch (k) {
    case FaultKind::status:
    case FaultKind::close:
    case FaultKind::html_error:
    case FaultKind::error_in_200:
        return false;
    default:
        return true;
    }
}

bool path_matches(std::string_view pattern, std::string_view path) {
    if (!pattern.empty() && pattern.back() == '*') {
        pattern.remove_suffix(1);
        return path.substr(0, pattern.size()) == pattern;
    }
    return pattern == path;
}

std::string html_error_page(int status) {
    const std::string code = std::to_string(status);
    return "<html>\r\n<head><title>" + code + " Bad Gateway</title></head>\r\n<body>\r\n<center><h1>" + code +
           " Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
}

// Rewrites a JSON object body; leaves anything else alone.
template <class F>
void edit_json_object(Response& r, F&& edit) {
    auto v = parse_json(r.body);
    if (!v || !v->is_object()) return;
    edit(v->as_object());
    r.body = json::serialize(*v);
}

}  // namespace

Fault read_fault(const json::object& o) {
    check_keys(o, "fault", {"method", "path", "count", "kind", "status", "body", "content_type", "headers",
                            "delay_ms", "process"});
    Fault f;
    const std::string kind = get_string(o, "kind", true).value();
    const auto it = std::find_if(kind_names.begin(), kind_names.end(), [&](const auto& p) { return p.second == kind; });
    if (it == kind_names.end()) throw InputError("kind", "errors.invalid", "unknown fault kind \"" + kind + "\"");
    f.kind = it->first;
    f.path = get_string(o, "path", true).value();
    if (f.path.empty() || f.path.front() != '/') throw InputError("path", "errors.invalid", "must start with /");
    if (f.path.rfind("/admin", 0) == 0) throw InputError("path", "errors.invalid", "the admin API cannot be faulted");
    f.method = get_string(o, "method").value_or("*");
    std::transform(f.method.begin(), f.method.end(), f.method.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    f.remaining = static_cast<int>(get_int(o, "count", 1, 1000000).value_or(1));
    f.status = static_cast<int>(get_int(o, "status", 100, 599).value_or(0));
    if (f.kind == FaultKind::status && f.status == 0) throw InputError("status", "errors.required", "is required for kind \"status\"");
    if (const auto* body = o.if_contains("body"); body != nullptr && !body->is_null()) {
        f.body = body->is_string() ? std::string(body->get_string()) : json::serialize(*body);
        if (!body->is_string()) f.content_type = std::string(json_content_type);
    }
    if (auto ct = get_string(o, "content_type")) f.content_type = *ct;
    if (const auto* headers = get_object(o, "headers")) {
        for (const auto& kv : *headers) {
            if (!kv.value().is_string()) throw InputError("headers", "errors.invalid", "values must be strings");
            f.headers.push_back({std::string(kv.key()), std::string(kv.value().get_string())});
        }
    }
    f.delay = std::chrono::milliseconds(get_int(o, "delay_ms", 0, 600000).value_or(0));
    if (f.kind == FaultKind::delay && f.delay.count() == 0) throw InputError("delay_ms", "errors.required", "is required for kind \"delay\"");
    f.process = get_bool(o, "process").value_or(processes_by_default(f.kind));
    return f;
}

json::object write_fault(const Fault& f) {
    json::object o;
    o["id"] = f.id;
    o["method"] = f.method;
    o["path"] = f.path;
    o["remaining"] = f.remaining;
    o["kind"] = kind_name(f.kind);
    if (f.status != 0) o["status"] = f.status;
    if (!f.body.empty()) o["body"] = f.body;
    if (!f.content_type.empty()) o["content_type"] = f.content_type;
    if (!f.headers.empty()) {
        json::object h;
        for (const auto& [name, value] : f.headers) h[name] = value;
        o["headers"] = std::move(h);
    }
    o["delay_ms"] = f.delay.count();
    o["process"] = f.process;
    return o;
}

std::uint64_t Faults::add(Fault fault) {
    std::lock_guard lock(mutex_);
    fault.id = next_id_++;
    faults_.push_back(std::move(fault));
    return faults_.back().id;
}

bool Faults::remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    const auto it = std::find_if(faults_.begin(), faults_.end(), [&](const Fault& f) { return f.id == id; });
    if (it == faults_.end()) return false;
    faults_.erase(it);
    return true;
}

void Faults::clear() {
    std::lock_guard lock(mutex_);
    faults_.clear();
}

std::vector<Fault> Faults::list() const {
    std::lock_guard lock(mutex_);
    return faults_;
}

std::optional<Fault> Faults::take(std::string_view method, std::string_view path) {
    std::lock_guard lock(mutex_);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if ((it->method == "*" || it->method == method) && path_matches(it->path, path)) {
            Fault f = *it;
            if (--it->remaining <= 0) faults_.erase(it);
            return f;
        }
    }
    return std::nullopt;
}

void Faults::applied() {
    { std::lock_guard lock(mutex_); }  // a waiter between its check and its wait sees this notify
    applied_.notify_all();
}

std::uint64_t Faults::wait_applied(const std::atomic<std::uint64_t>& counter, std::uint64_t count,
                                   std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    applied_.wait_for(lock, timeout, [&] { return counter.load(std::memory_order_relaxed) >= count; });
    return counter.load(std::memory_order_relaxed);
}

Response fault_response(const Fault& f) {
    Response r;
    switch (f.kind) {
    case FaultKind::html_error:
        r.status = f.status != 0 ? f.status : 502;
        r.body = f.body.empty() ? html_error_page(r.status) : f.body;
        r.headers.push_back({"Content-Type", f.content_type.empty() ? "text/html" : f.content_type});
        break;
    case FaultKind::error_in_200:
        r.status = f.status != 0 ? f.status : 200;
        r.body = f.body.empty() ? R"({"error":"server_error","error_description":"injected: 200 with an error field"})"
                                : f.body;
        r.headers.push_back({"Content-Type", f.content_type.empty() ? std::string(json_content_type) : f.content_type});
        break;
    case FaultKind::close:
        r.delivery = Delivery::close_before_response;
        break;
    default:  // status, and any kind told not to process
        r.status = f.status != 0 ? f.status : 500;
        r.body = f.body;
        if (!f.body.empty() || !f.content_type.empty()) {
            r.headers.push_back({"Content-Type", f.content_type.empty() ? std::string(json_content_type) : f.content_type});
        }
        break;
    }
    for (const auto& h : f.headers) r.set_header(h.name, h.value);
    apply_fault(f, r);  // the wire-level part (delay, truncate) still applies
    return r;
}

void apply_fault(const Fault& f, Response& r) {
    r.delay = f.delay;
    if (!f.process) {
        // fault_response built the reply; only the kinds that act on the wire are left.
        if (f.kind == FaultKind::truncate) r.delivery = Delivery::truncate_body;
        return;
    }
    switch (f.kind) {
    case FaultKind::status:
        r.status = f.status;
        if (!f.body.empty()) r.body = f.body;
        break;
    case FaultKind::delay:
        break;
    case FaultKind::close:
        r.delivery = Delivery::close_before_response;
        break;
    case FaultKind::truncate:
        r.delivery = Delivery::truncate_body;
        break;
    case FaultKind::malformed_json:
        r.body = r.body.size() >= 2 ? r.body.substr(0, r.body.size() / 2) : std::string(R"({"error": )");
        if (r.header("Content-Type") == nullptr) r.set_header("Content-Type", std::string(json_content_type));
        break;
    case FaultKind::json_as_text_plain:
        r.set_header("Content-Type", "text/plain; charset=utf-8");
        break;
    case FaultKind::html_error:
        r.status = f.status != 0 ? f.status : 502;
        r.body = f.body.empty() ? html_error_page(r.status) : f.body;
        r.set_header("Content-Type", "text/html");
        break;
    case FaultKind::error_in_200:
        r.status = 200;
        edit_json_object(r, [](json::object& o) {
            o["error"] = "server_error";
            o["error_description"] = "injected: 200 with an error field";
        });
        break;
    case FaultKind::expires_in_string:
        edit_json_object(r, [](json::object& o) {
            if (const auto* v = o.if_contains("expires_in"); v != nullptr && v->is_number()) {
                o["expires_in"] = json::serialize(*v);
            }
        });
        break;
    case FaultKind::omit_expires_in:
        edit_json_object(r, [](json::object& o) { o.erase("expires_in"); });
        break;
    case FaultKind::omit_refresh_token:
        edit_json_object(r, [](json::object& o) { o.erase("refresh_token"); });
        break;
    }
    if (!f.content_type.empty() && f.kind != FaultKind::json_as_text_plain) r.set_header("Content-Type", f.content_type);
    for (const auto& h : f.headers) r.set_header(h.name, h.value);
}

}  // namespace calbridge::sandbox
