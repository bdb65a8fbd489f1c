#include "support/scripted_transport.hpp"

#include <calbridge/errors.hpp>

#include <algorithm>
#include <cctype>

namespace calbridge::testing {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::string headers_text(const std::vector<HttpHeader>& headers) {
    std::string out;
    for (const auto& h : headers) out += "\n    " + h.name + ": " + h.value;
    return out;
}

// "" when `request` is what `step` expects, else what differs.
std::string mismatch(const Step& step, const HttpRequest& request) {
    std::string out;
    if (request.method != step.method || request.url != step.url) {
        out += "\n  expected " + step.method + " " + step.url + "\n  got      " + request.method + " " + request.url;
    }
    for (const auto& expected : step.headers) {
        const std::string* value = request.header(expected.name);
        if (value == nullptr) out += "\n  missing header " + expected.name;
        else if (*value != expected.value) {
            out += "\n  header " + expected.name + ": expected \"" + expected.value + "\", got \"" + *value + "\"";
        }
    }
    if (step.only_these_headers) {
        for (const auto& h : request.headers) {
            const bool expected = std::any_of(step.headers.begin(), step.headers.end(),
                                              [&](const HttpHeader& e) { return iequals(e.name, h.name); });
            if (!expected) out += "\n  unexpected header " + h.name + ": " + h.value;
        }
        if (request.headers.size() != step.headers.size()) {
            out += "\n  headers:" + headers_text(request.headers);
        }
    }
    if (step.body && *step.body != request.body) {
        out += "\n  expected body " + *step.body + "\n  got body      " + request.body;
    }
    return out;
}

}  // namespace

ScriptedTransport& ScriptedTransport::expect(Step step) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(step));
    return *this;
}

void ScriptedTransport::set_fallback(std::function<HttpResponse(const HttpRequest&)> server) {
    std::lock_guard lock(mutex_);
    fallback_ = std::move(server);
}

HttpResponse ScriptedTransport::send(const HttpRequest& request, const CallContext& ctx) {
    std::optional<Step> step;
    std::function<HttpResponse(const HttpRequest&)> fallback;
    std::size_t number = 0;
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
        contexts_.push_back(ctx);
        number = requests_.size();
        ++in_flight_;
        max_in_flight_ = std::max(max_in_flight_, in_flight_);
        if (!script_.empty()) {
            step = script_.front();
            if (--script_.front().times == 0) script_.pop_front();
        } else {
            fallback = fallback_;
        }
    }
    in_flight_changed_.notify_all();
    struct Leave {
        ScriptedTransport& self;
        ~Leave() {
            {
                std::lock_guard lock(self.mutex_);
                --self.in_flight_;
            }
            self.in_flight_changed_.notify_all();
        }
    } leave{*this};

    if (!step) {
        if (fallback) return fallback(request);
        fail("request #" + std::to_string(number) + " is past the end of the script: " + request.method + " " +
             request.url);
        throw InternalError("scripted transport: unexpected request");
    }
    if (const std::string diff = mismatch(*step, request); !diff.empty()) {
        fail("request #" + std::to_string(number) + " does not match the script:" + diff);
        throw InternalError("scripted transport: request does not match the script");
    }
    if (step->hold && !step->hold()) {
        fail("request #" + std::to_string(number) + " (" + request.method + " " + request.url +
             "): gave up holding the reply");
    }
    if (step->abandon_when_cancelled && ctx.cancel && ctx.cancel->is_cancelled()) {
        throw CancelledError("scripted transport: cancelled while the reply was held");
    }
    if (step->error) std::rethrow_exception(step->error);
    if (step->respond) return step->respond(request);
    return step->reply;
}

void ScriptedTransport::fail(std::string message) {
    std::lock_guard lock(mutex_);
    failures_.push_back(std::move(message));
}

std::vector<std::string> ScriptedTransport::failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
}

std::size_t ScriptedTransport::unused_steps() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& step : script_) n += step.times;
    return n;
}

std::vector<HttpRequest> ScriptedTransport::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::vector<CallContext> ScriptedTransport::contexts() const {
    std::lock_guard lock(mutex_);
    return contexts_;
}

std::size_t ScriptedTransport::max_in_flight() const {
    std::lock_guard lock(mutex_);
    return max_in_flight_;
}

bool ScriptedTransport::wait_for_in_flight(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return in_flight_changed_.wait_for(lock, timeout, [&] { return max_in_flight_ >= n; });
}

std::function<bool()> ScriptedTransport::hold_until_in_flight(std::size_t n) {
    return [this, n] { return wait_for_in_flight(n); };
}

HttpResponse reply(int status, std::string body, std::vector<HttpHeader> headers) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

HttpResponse json_reply(int status, std::string body, std::vector<HttpHeader> headers) {
    headers.insert(headers.begin(), HttpHeader{"Content-Type", "application/json; charset=utf-8"});
    return reply(status, std::move(body), std::move(headers));
}

}  // namespace calbridge::testing
