# calbridge_warnings(target): the project's warning set, as errors with CALBRIDGE_WERROR.
add_library(calbridge_warnings INTERFACE)
target_compile_options(calbridge_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Woverloaded-virtual -Wcast-qual -Wformat=2 -Wimplicit-fallthrough>
  $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic -Wshadow -Wformat=2>)
if(CALBRIDGE_WERROR)
  target_compile_options(calbridge_warnings INTERFACE -Werror)
endif()
