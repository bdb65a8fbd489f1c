// The transport every Client gets unless it is given another.
#include <calbridge/config.hpp>
#include <calbridge/transport.hpp>

namespace calbridge {

std::shared_ptr<Transport> make_default_transport(const Config& config) {
    HttpTransportOptions options;
    options.tls = config.tls();
    options.connect_timeout = config.timeouts().connect;
    options.user_agent = config.user_agent();
    return make_http_transport(options);
}

}  // namespace calbridge
