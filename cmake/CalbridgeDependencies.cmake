# Third-party dependencies, all from the system's packages (scripts/setup installs them).
#
# Boost: headers only. Boost.JSON and Boost.URL are compiled into the core from their
# header-only sources (core/src/util/boost_sources.cpp), so the same code is instrumented in
# sanitizer builds and no libboost_*.so becomes a runtime dependency of libcalbridge.
find_package(Boost 1.81 CONFIG REQUIRED)
find_package(OpenSSL 1.1.1 REQUIRED)
find_package(Threads REQUIRED)
# SQLite: the embedded shared token store (core/src/store/sqlite_store.cpp and core/src/store/sqlite/), through its C API.
# 3.35 for RETURNING. CMake 4.3 renamed the target SQLite3::SQLite3 and deprecated the old
# SQLite::SQLite3; older CMake (Debian 12 has 3.25) only has the old one.
find_package(SQLite3 3.35 REQUIRED)
if(NOT TARGET SQLite3::SQLite3)
  add_library(SQLite3::SQLite3 ALIAS SQLite::SQLite3)
endif()
# libpq, for the PostgreSQL token store. pkg-config rather than FindPostgreSQL: the latter also
# looks for the server's headers, which libpq-dev does not install on every distribution.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CALBRIDGE_LIBPQ REQUIRED IMPORTED_TARGET libpq)

if(CALBRIDGE_BUILD_TESTS)
  # Catch2 v3 (Debian 13) or v2 (Debian 12); tests/support/catch.hpp hides the difference.
  find_package(Catch2 3 CONFIG QUIET)
  if(NOT Catch2_FOUND)
    find_package(Catch2 2 CONFIG REQUIRED)
  endif()
  include(Catch)
endif()
