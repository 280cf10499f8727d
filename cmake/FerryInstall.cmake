# Install and export: an installed ferry works with find_package(ferry CONFIG)
# and provides the same ferry::<folder> targets as add_subdirectory.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(_ferry_libs GLOBAL PROPERTY FERRY_LIBRARY_TARGETS)
foreach(target IN LISTS _ferry_libs)
  get_target_property(hdrs ${target} FERRY_HEADERS)
  get_target_property(folder ${target} FERRY_FOLDER)
  foreach(h IN LISTS hdrs)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR}/${folder} ${h})
    get_filename_component(sub ${rel} DIRECTORY)
    install(FILES ${h}
      DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ferry/${folder}/${sub})
  endforeach()
endforeach()

install(TARGETS ${_ferry_libs} ferry_ferry idlgen protoc-gen-ferry
  EXPORT ferryTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ferry)

set(_ferry_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/ferry)
install(EXPORT ferryTargets NAMESPACE ferry:: DESTINATION ${_ferry_cmake_dir})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/ferryConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ferryConfig.cmake
  INSTALL_DESTINATION ${_ferry_cmake_dir})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/ferryConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ferryConfig.cmake
              ${PROJECT_BINARY_DIR}/ferryConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FerryIdl.cmake
        DESTINATION ${_ferry_cmake_dir})
