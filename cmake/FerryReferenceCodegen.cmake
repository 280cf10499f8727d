# Build-time code generation for the *reference* implementations ferry is
# compared with and tested against (tests and benchmarks only; never part of
# an installed ferry):
#
#   ferry_apache_thrift_library(NAME apache_bench THRIFT bench.thrift
#     NAMESPACE apache_bench [STRIP_UUID])   # #include "apache_bench/bench_types.h"
#     Apache Thrift C++ (Debian's thrift compiler + libthrift), generated with
#     `templates` so one build serves both Apache paths: the virtual
#     TProtocol path (read(TProtocol*)) and the templated one
#     (read(TBinaryProtocolT<TMemoryBuffer>*)). The IDL's `namespace cpp` is
#     rewritten to NAMESPACE in a build-tree copy, so Apache's and ferry's
#     code from one IDL link into one binary. STRIP_UUID drops `uuid` members
#     and functions: Debian's thrift 0.17 predates the type.
#
#   ferry_protobuf_library(NAME bench_pb PROTO bench.proto)
#     protoc --cpp_out, linked to libprotobuf.

find_program(FERRY_APACHE_THRIFT thrift REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(APACHE_THRIFT REQUIRED IMPORTED_TARGET thrift)
find_package(Protobuf REQUIRED)

function(ferry_apache_thrift_library)
  cmake_parse_arguments(AT "STRIP_UUID" "NAME;THRIFT;NAMESPACE" "" ${ARGN})
  get_filename_component(src ${AT_THRIFT} ABSOLUTE)
  get_filename_component(stem ${AT_THRIFT} NAME_WE)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${AT_NAME})
  set(copy ${dir}/idl/${stem}.thrift)
  set(strip OFF)
  if(AT_STRIP_UUID)
    set(strip ON)
  endif()
  # What thrift writes for one file: types, plus one client/processor pair
  # per service (named after the service, so listed by scanning the IDL).
  file(STRINGS ${src} service_lines REGEX "^service[ \t]+[A-Za-z_][A-Za-z0-9_]*")
  set(outputs ${dir}/${stem}_types.h ${dir}/${stem}_types.tcc
              ${dir}/${stem}_types.cpp)
  foreach(line IN LISTS service_lines)
    string(REGEX REPLACE "^service[ \t]+([A-Za-z_][A-Za-z0-9_]*).*" "\\1"
           service ${line})
    list(APPEND outputs ${dir}/${service}.h ${dir}/${service}.tcc
                        ${dir}/${service}.cpp)
  endforeach()
  file(STRINGS ${src} const_lines REGEX "^const[ \t]")
  if(const_lines)
    list(APPEND outputs ${dir}/${stem}_constants.h ${dir}/${stem}_constants.cpp)
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${CMAKE_COMMAND} -DIN=${src} -DOUT=${copy}
            -DNAMESPACE=${AT_NAMESPACE} -DSTRIP_UUID=${strip}
            -P ${PROJECT_SOURCE_DIR}/cmake/rewrite_thrift_idl.cmake
    COMMAND ${FERRY_APACHE_THRIFT}
            --gen cpp:templates,moveable_types,no_skeleton -out ${dir} ${copy}
    DEPENDS ${src} ${PROJECT_SOURCE_DIR}/cmake/rewrite_thrift_idl.cmake
    COMMENT "Apache thrift --gen cpp ${AT_THRIFT}"
    VERBATIM)
  set(sources ${outputs})
  list(FILTER sources INCLUDE REGEX "\\.cpp$")
  add_library(${AT_NAME} STATIC ${sources})
  # Included as "<NAME>/foo_types.h", so Apache's headers never shadow
  # ferry's generated ones of the same name; Apache's own files find their
  # siblings through the quote-include directory rule.
  target_include_directories(${AT_NAME} SYSTEM PUBLIC ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${AT_NAME} PUBLIC PkgConfig::APACHE_THRIFT)
  # Apache's generated code is not ours to warn about.
  target_compile_options(${AT_NAME} PRIVATE -w)
endfunction()

function(ferry_protobuf_library)
  cmake_parse_arguments(PB "" "NAME;PROTO" "" ${ARGN})
  get_filename_component(src ${PB_PROTO} ABSOLUTE)
  get_filename_component(src_dir ${src} DIRECTORY)
  get_filename_component(stem ${PB_PROTO} NAME_WE)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${PB_NAME})
  add_custom_command(
    OUTPUT ${dir}/${stem}.pb.h ${dir}/${stem}.pb.cc
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND protobuf::protoc --cpp_out=${dir} -I ${src_dir} ${src}
    DEPENDS ${src} protobuf::protoc
    COMMENT "protoc --cpp_out ${PB_PROTO}"
    VERBATIM)
  add_library(${PB_NAME} STATIC ${dir}/${stem}.pb.cc)
  target_include_directories(${PB_NAME} SYSTEM PUBLIC ${dir})
  target_link_libraries(${PB_NAME} PUBLIC protobuf::libprotobuf)
  target_compile_options(${PB_NAME} PRIVATE -w)
endfunction()
