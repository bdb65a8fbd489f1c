// The one translation unit that compiles Asio, Asio's SSL layer and Beast (separate
// compilation: every other unit that includes them only sees declarations, which keeps builds
// of the transport and the sandbox fast). Linked by the core and by calbridge-sandbox.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
