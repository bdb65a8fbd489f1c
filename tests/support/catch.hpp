// Catch2 v2 (Debian 12) and v3 (Debian 13) behind one include.
#pragma once

#if defined(CALBRIDGE_CATCH2_V3)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
