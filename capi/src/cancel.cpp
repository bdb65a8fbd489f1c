// Cancellation handles and per-call options.
#include "errors.hpp"
#include "handles.hpp"

#include <chrono>

using namespace calbridge::capi;

namespace calbridge::capi {

CallOptions call_options(const calbridge_call_options* options) {
    CallOptions out;
    if (options == nullptr) return out;
    check_version(options->version, CALBRIDGE_CALL_OPTIONS_VERSION, "options");
    if (options->timeout_ms != 0) out.timeout = std::chrono::milliseconds(options->timeout_ms);
    if (options->cancel != nullptr) out.cancel = options->cancel->token;
    return out;
}

}  // namespace calbridge::capi

extern "C" {

int calbridge_cancel_new(calbridge_cancel** out) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        result = new calbridge_cancel{std::make_shared<calbridge::CancellationToken>()};
    });
}

int calbridge_cancel_trigger(calbridge_cancel* cancel) {
    return guard(__func__, [&] { required(cancel, "cancel").token->cancel(); });
}

int calbridge_cancel_is_triggered(int* out, const calbridge_cancel* cancel) {
    return guard(__func__, [&] {
        int& result = required(out, "out");
        result = 0;
        result = required(cancel, "cancel").token->is_cancelled() ? 1 : 0;
    });
}

void calbridge_cancel_free(calbridge_cancel* cancel) { delete cancel; }

int calbridge_call_options_init(calbridge_call_options* options, unsigned int version) {
    return guard(__func__, [&] {
        auto& o = required(options, "options");
        check_version(version, CALBRIDGE_CALL_OPTIONS_VERSION, "version");
        o = calbridge_call_options CALBRIDGE_CALL_OPTIONS_INIT;
    });
}

}  // extern "C"
