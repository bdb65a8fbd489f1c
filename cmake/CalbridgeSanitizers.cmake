# Sanitizer builds apply to every target of the build (core, tests, wrappers), so that no
# uninstrumented code sits between two instrumented calls.
if(CALBRIDGE_SANITIZE)
  string(REPLACE ";" "," _calbridge_san "${CALBRIDGE_SANITIZE}")
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(WARNING "Sanitizer builds are tested with clang; ${CMAKE_CXX_COMPILER_ID} may reject "
                    "Asio under ThreadSanitizer with -Werror")
  endif()
  add_compile_options(-fsanitize=${_calbridge_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_calbridge_san})
  if("thread" IN_LIST CALBRIDGE_SANITIZE)
    # TSan needs the whole program instrumented; Boost.JSON/URL are compiled in from source.
    add_compile_definitions(CALBRIDGE_TSAN=1)
  endif()
endif()
