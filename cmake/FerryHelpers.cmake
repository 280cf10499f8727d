# Keyword-argument helpers for ferry's own targets (after abseil's
# absl_cc_library / absl_cc_test).
#
#   ferry_cc_library(NAME runtime
#     HDRS task.h ...            # public headers, installed under include/ferry/<folder>/
#     SRCS worker.cc ...
#     DEPS absl::status          # PUBLIC: part of the exported interface
#     PRIVATE_DEPS PkgConfig::URING)
#
# builds `ferry_<NAME>` with the alias `ferry::<NAME>`. Includes are spelled
# from the repository root ("runtime/task.h") both in the tree and once
# installed (the install adds include/ferry to the include path).
#
#   ferry_cc_test(NAME runtime_test SRCS task_test.cc DEPS ferry::runtime
#                 [BACKENDS])     # BACKENDS: register once per I/O backend
#
# builds a GoogleTest executable and registers its tests with CTest through
# gtest_discover_tests. With BACKENDS every test is registered twice, as
# `uring.<Suite>.<Test>` and `epoll.<Suite>.<Test>`, with FERRY_IO_BACKEND set.

# Designated initializers (`{.workers = 2}`) are the intended way to fill
# option structs; -Wextra would flag every field left at its default.
set(FERRY_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter
    -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports -Wmaybe-uninitialized false positives inside
  # absl::InlinedVector's moves at -O2 (IoBuf's slice list); clang's
  # -Wuninitialized and the sanitizer builds still cover our code.
  list(APPEND FERRY_WARNINGS -Wno-maybe-uninitialized)
  # GCC 12 with sanitizers reports impossible -Wrestrict overlaps inside
  # std::string::assign of a literal (GCC PR 105329); not our code.
  if(FERRY_SANITIZE)
    list(APPEND FERRY_WARNINGS -Wno-restrict)
  endif()
endif()

function(ferry_target_warnings target)
  target_compile_options(${target} PRIVATE ${FERRY_WARNINGS})
  if(FERRY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(ferry_cc_library)
  cmake_parse_arguments(FL "" "NAME" "HDRS;SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target ferry_${FL_NAME})
  if(FL_SRCS)
    add_library(${target} STATIC ${FL_SRCS} ${FL_HDRS})
    target_include_directories(${target} PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/ferry>)
    target_link_libraries(${target} PUBLIC ${FL_DEPS} PRIVATE ${FL_PRIVATE_DEPS})
    ferry_target_warnings(${target})
  else()
    add_library(${target} INTERFACE ${FL_HDRS})
    target_include_directories(${target} INTERFACE
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/ferry>)
    target_link_libraries(${target} INTERFACE ${FL_DEPS})
  endif()
  if(FL_SRCS)
    target_compile_features(${target} PUBLIC cxx_std_20)
  else()
    target_compile_features(${target} INTERFACE cxx_std_20)
  endif()
  add_library(ferry::${FL_NAME} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${FL_NAME})
  # Remember the headers so FerryInstall can install them with their folder.
  file(RELATIVE_PATH folder ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  set(abs_hdrs "")
  foreach(h IN LISTS FL_HDRS)
    list(APPEND abs_hdrs ${CMAKE_CURRENT_SOURCE_DIR}/${h})
  endforeach()
  set_property(GLOBAL APPEND PROPERTY FERRY_LIBRARY_TARGETS ${target})
  set_property(TARGET ${target} PROPERTY FERRY_HEADERS "${abs_hdrs}")
  set_property(TARGET ${target} PROPERTY FERRY_FOLDER "${folder}")
endfunction()

function(ferry_cc_test)
  cmake_parse_arguments(FT "BACKENDS" "NAME;TIMEOUT" "SRCS;DEPS" ${ARGN})
  if(NOT FT_TIMEOUT)
    set(FT_TIMEOUT 120)
  endif()
  add_executable(${FT_NAME} ${FT_SRCS})
  target_link_libraries(${FT_NAME} PRIVATE ${FT_DEPS} ferry::test_support
    GTest::gmock GTest::gtest GTest::gtest_main)
  ferry_target_warnings(${FT_NAME})
  if(FT_BACKENDS)
    foreach(backend IN ITEMS io_uring epoll)
      gtest_discover_tests(${FT_NAME}
        TEST_PREFIX "${backend}."
        DISCOVERY_TIMEOUT 60
        PROPERTIES ENVIRONMENT "FERRY_IO_BACKEND=${backend}"
                   TIMEOUT ${FT_TIMEOUT})
    endforeach()
  else()
    gtest_discover_tests(${FT_NAME} DISCOVERY_TIMEOUT 60
      PROPERTIES TIMEOUT ${FT_TIMEOUT})
  endif()
endfunction()
