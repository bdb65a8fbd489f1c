// The one translation unit that compiles Boost.JSON and Boost.URL from their header-only
// sources (see cmake/CalbridgeDependencies.cmake for why they are not linked as libraries).
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
