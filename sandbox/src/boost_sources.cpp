// The one unit of calbridge-sandbox that compiles Boost.JSON and Boost.URL from their
// header-only sources (the sandbox does not link the core, which compiles its own copy).
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
