// C callbacks → the core's callback types: the token store, the log sink and the hooks, each
// with its userdata owned by calbridge and destroyed exactly once.
#pragma once

#include <calbridge.h>
#include <calbridge/client.hpp>
#include <calbridge/store.hpp>

#include <memory>

namespace calbridge::capi {

// Owns one userdata: calls its destructor (if any) when the last user lets go.
class Userdata {
public:
    Userdata(void* userdata, calbridge_userdata_free_cb free_userdata) noexcept
        : userdata_(userdata), free_(free_userdata) {}
    ~Userdata();
    Userdata(const Userdata&) = delete;
    Userdata& operator=(const Userdata&) = delete;

    void* get() const noexcept { return userdata_; }

private:
    void* userdata_;
    calbridge_userdata_free_cb free_;
};

// Every userdata of a calbridge_client_options, adopted at once (see calbridge_client_new()).
struct AdoptedUserdata {
    std::shared_ptr<Userdata> store;
    std::shared_ptr<Userdata> log;
    std::shared_ptr<Userdata> on_refresh;
    std::shared_ptr<Userdata> on_reauthorization_required;
};

// Takes ownership of every userdata in `options` (NULL: none). If it cannot (out of memory),
// it destroys them all before throwing, so each is destroyed exactly once either way. Reads
// nothing, and so destroys nothing, when the options' version is unsupported.
AdoptedUserdata adopt_userdata(const calbridge_client_options* options);

// A TokenStore over C callbacks (all five required: InvalidArgumentError otherwise).
std::shared_ptr<TokenStore> make_c_token_store(const calbridge_token_store& store, std::shared_ptr<Userdata> userdata);

// The log sink, its threshold, and the hooks from `options` into `dependencies`.
void install_log_and_hooks(const calbridge_client_options& options, AdoptedUserdata& adopted,
                           ClientDependencies& dependencies);

}  // namespace calbridge::capi
