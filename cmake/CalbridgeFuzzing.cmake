# libFuzzer builds (fuzz/): clang only. Every target of the build gets coverage instrumentation
# (-fsanitize=fuzzer-no-link) so the fuzzers see the core's branches; only the fuzz targets link
# libFuzzer's main. Use together with CALBRIDGE_SANITIZE='address;undefined' (scripts/fuzz does).
option(CALBRIDGE_BUILD_FUZZERS "Build the libFuzzer targets in fuzz/ (clang only)" OFF)
if(CALBRIDGE_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CALBRIDGE_BUILD_FUZZERS needs clang (libFuzzer); got ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
