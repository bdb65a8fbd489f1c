# The installed package, shared by its two components (core/ and capi/ add their own files):
#
#   capi  libcalbridge.so.0, calbridge.h, pkg-config calbridge, CMake calbridge::calbridge
#   core  libcalbridge_core.a (+ libcalbridge_beast.a), include/calbridge/*.hpp,
#         pkg-config calbridge-cpp, CMake calbridge::core
#
# One CMake package, find_package(calbridge [COMPONENTS capi core]): calbridgeConfig.cmake and
# its version file are installed with either component, and load the targets of whichever
# components are installed. calbridge_install_pkgconfig() writes a relocatable .pc file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CALBRIDGE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/calbridge)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/calbridgeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/calbridgeConfig.cmake
  INSTALL_DESTINATION ${CALBRIDGE_INSTALL_CMAKEDIR})
# 0.x: SameMajorVersion accepts any 0.y for a request of 0.x; the C ABI's SONAME carries the
# same major, so both targets change major together.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/calbridgeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
foreach(_component capi core)
  install(FILES ${PROJECT_BINARY_DIR}/package/calbridgeConfig.cmake
                ${PROJECT_BINARY_DIR}/package/calbridgeConfigVersion.cmake
    DESTINATION ${CALBRIDGE_INSTALL_CMAKEDIR} COMPONENT ${_component})
endforeach()

# pkg-config, relocatable: the prefix is found from the .pc file's own place (${pcfiledir}),
# so `cmake --install --prefix <anywhere>` gives a working file.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(CALBRIDGE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _calbridge_pc_up "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  set(CALBRIDGE_PC_PREFIX "\${pcfiledir}/${_calbridge_pc_up}")
endif()
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(CALBRIDGE_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(CALBRIDGE_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()

# calbridge_install_pkgconfig(<template.pc.in> <name> <component>): configures the template
# (@CALBRIDGE_PC_PREFIX@, @CALBRIDGE_PC_LIBDIR@, @CALBRIDGE_PC_INCLUDEDIR@, @PROJECT_VERSION@)
# and installs <name>.pc into <libdir>/pkgconfig with the component.
function(calbridge_install_pkgconfig template name component)
  configure_file(${template} ${PROJECT_BINARY_DIR}/package/${name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/package/${name}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT ${component})
endfunction()
