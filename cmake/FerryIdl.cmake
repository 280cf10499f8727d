# ferry_idl_library: Thrift IDL and/or .proto files → a linkable C++
# library, generated at build time (nothing generated is checked in; IDEs see
# the headers through compile_commands.json because the generated sources are
# ordinary target sources).
#
#   ferry_idl_library(NAME echo_idl
#     [THRIFT echo.thrift shared.thrift] # files generated into this library
#     [INCLUDE_DIRS dir...]              # idlgen -I: where `include` looks
#     [DEPS other_idl ...]               # libraries holding included files
#     [NAMESPACE_PREFIX ns]              # prepended to every C++ namespace
#     [IDLGEN_ARGS arg...]               # extra idlgen flags
#     [PROTO foo/bar.proto ...]          # .proto files (gRPC services)
#     [PROTO_IMPORT_DIRS root...])       # protoc -I roots
#
# THRIFT, PROTO or both; at least one.
#
# PROTO: each file runs protoc with --cpp_out (messages: `bar.pb.h/.pb.cc`)
# and protoc-gen-ferry (services: `bar.ferry.h`, see docs/ARCHITECTURE.md,
# "protoc-gen-ferry"). A file's name inside protoc, and so its generated
# path under ${CMAKE_CURRENT_BINARY_DIR}/<NAME>/, is its path relative to the
# first PROTO_IMPORT_DIRS root holding it (`src/proto/grpc/testing/test.proto`
# → `#include "src/proto/grpc/testing/test.ferry.h"`); without
# PROTO_IMPORT_DIRS each file's own directory is its root (and the other
# files' directories are searched for imports). Every root is passed to
# protoc as -I; protobuf's own well-known types are found by protoc itself.
# Regeneration follows protoc's --dependency_out. The library links
# ferry::grpc and protobuf::libprotobuf; protoc's .pb.cc files are compiled
# with -w (they are not ours), the .ferry.h headers meet ferry's warnings.
#
# Each .thrift file yields the fixed set of files idlgen writes (see
# docs/ARCHITECTURE.md, "idlgen"), under ${CMAKE_CURRENT_BINARY_DIR}/<NAME>/,
# which becomes a PUBLIC include directory: `#include "echo_types.h"`.
# Regeneration happens when the file, anything it includes (through idlgen's
# depfile), or idlgen itself changes. Like Apache's compiler, idlgen
# generates only the files named here; an included file must be generated
# in this library too or in one of DEPS.
#
# Works in ferry's own tree and from an installed ferry (find_package(ferry)),
# where idlgen is the imported target ferry::idlgen.

set(FERRY_IDL_GENERATED_SUFFIXES
    _types.h _types.tcc _types.cc _types_binary.cc _types_compact.cc
    _services.h _services.tcc _services.cc)

function(ferry_idl_library)
  cmake_parse_arguments(FI "" "NAME;NAMESPACE_PREFIX"
    "THRIFT;INCLUDE_DIRS;DEPS;IDLGEN_ARGS;PROTO;PROTO_IMPORT_DIRS" ${ARGN})
  if(NOT FI_NAME)
    message(FATAL_ERROR "ferry_idl_library: NAME is required")
  endif()
  if(NOT FI_THRIFT AND NOT FI_PROTO)
    message(FATAL_ERROR
      "ferry_idl_library(${FI_NAME}): THRIFT and PROTO list no files")
  endif()
  if(FI_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "ferry_idl_library(${FI_NAME}): unknown arguments ${FI_UNPARSED_ARGUMENTS}")
  endif()

  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${FI_NAME})
  set(sources)
  set(headers)
  if(FI_PROTO)
    _ferry_idl_proto()
  endif()
  if(NOT FI_THRIFT)
    _ferry_idl_add_library()
    return()
  endif()

  if(NOT TARGET ferry::idlgen)
    message(FATAL_ERROR "ferry_idl_library: the ferry::idlgen target is missing")
  endif()

  # An in-tree idlgen is a target the custom command can depend on directly
  # (target- and file-level); an imported one is depended on by its path.
  get_target_property(idlgen_imported ferry::idlgen IMPORTED)
  if(idlgen_imported)
    set(idlgen_dep $<TARGET_FILE:ferry::idlgen>)
  else()
    get_target_property(idlgen_dep ferry::idlgen ALIASED_TARGET)
  endif()

  set(common_args --out ${out_dir} --source-root ${CMAKE_SOURCE_DIR}
                  ${FI_IDLGEN_ARGS})
  foreach(dir IN LISTS FI_INCLUDE_DIRS)
    get_filename_component(abs_dir ${dir} ABSOLUTE)
    list(APPEND common_args -I ${abs_dir})
  endforeach()
  if(FI_NAMESPACE_PREFIX)
    list(APPEND common_args --namespace-prefix ${FI_NAMESPACE_PREFIX})
  endif()

  foreach(file IN LISTS FI_THRIFT)
    get_filename_component(abs ${file} ABSOLUTE)
    get_filename_component(stem ${file} NAME_WE)
    set(outputs)
    foreach(suffix IN LISTS FERRY_IDL_GENERATED_SUFFIXES)
      list(APPEND outputs ${out_dir}/${stem}${suffix})
    endforeach()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND $<TARGET_FILE:ferry::idlgen> ${common_args} --depfile ${out_dir}/${stem}.d ${abs}
      DEPENDS ${abs} ${idlgen_dep}
      DEPFILE ${out_dir}/${stem}.d
      COMMENT "idlgen ${file}"
      VERBATIM)
    foreach(out IN LISTS outputs)
      if(out MATCHES "\\.cc$")
        list(APPEND sources ${out})
      else()
        list(APPEND headers ${out})
      endif()
    endforeach()
  endforeach()

  _ferry_idl_add_library()
endfunction()

# The library itself, from ferry_idl_library's `sources` and `headers`.
macro(_ferry_idl_add_library)
  add_library(${FI_NAME} STATIC ${sources} ${headers})
  target_include_directories(${FI_NAME} PUBLIC $<BUILD_INTERFACE:${out_dir}>)
  if(FI_THRIFT)
    target_link_libraries(${FI_NAME} PUBLIC ferry::transport ${FI_DEPS})
  endif()
  if(FI_PROTO)
    target_link_libraries(${FI_NAME} PUBLIC
      ferry::grpc protobuf::libprotobuf ${FI_DEPS})
  endif()
  target_compile_features(${FI_NAME} PUBLIC cxx_std_20)
  if(COMMAND ferry_target_warnings)
    # In ferry's own tree generated code meets the project's warning bar.
    ferry_target_warnings(${FI_NAME})
  endif()
endmacro()

# ferry_idl_library's PROTO half: one protoc run per file (messages and
# services), appending to `sources` and `headers`. A macro, so it sees and
# sets the caller's variables.
macro(_ferry_idl_proto)
  if(NOT TARGET ferry::protoc_gen_ferry)
    message(FATAL_ERROR
      "ferry_idl_library: the ferry::protoc_gen_ferry target is missing")
  endif()
  # As with idlgen: an in-tree plugin is depended on as a target, an
  # imported one (installed ferry) by its path.
  get_target_property(_fi_plugin_imported ferry::protoc_gen_ferry IMPORTED)
  if(_fi_plugin_imported)
    set(_fi_plugin_dep $<TARGET_FILE:ferry::protoc_gen_ferry>)
  else()
    get_target_property(_fi_plugin_dep ferry::protoc_gen_ferry ALIASED_TARGET)
  endif()
  if(TARGET protobuf::protoc)
    set(_fi_protoc $<TARGET_FILE:protobuf::protoc>)
  elseif(Protobuf_PROTOC_EXECUTABLE)
    set(_fi_protoc ${Protobuf_PROTOC_EXECUTABLE})
  else()
    message(FATAL_ERROR "ferry_idl_library(${FI_NAME}): protoc not found "
      "(find_package(Protobuf) first)")
  endif()

  set(_fi_roots)
  foreach(_fi_dir IN LISTS FI_PROTO_IMPORT_DIRS)
    get_filename_component(_fi_abs_dir ${_fi_dir} ABSOLUTE)
    list(APPEND _fi_roots ${_fi_abs_dir})
  endforeach()
  set(_fi_own_dir_roots FALSE)
  if(NOT _fi_roots)
    set(_fi_own_dir_roots TRUE)
    foreach(_fi_file IN LISTS FI_PROTO)
      get_filename_component(_fi_abs ${_fi_file} ABSOLUTE)
      get_filename_component(_fi_dir ${_fi_abs} DIRECTORY)
      list(APPEND _fi_roots ${_fi_dir})
    endforeach()
    list(REMOVE_DUPLICATES _fi_roots)
  endif()

  foreach(_fi_file IN LISTS FI_PROTO)
    get_filename_component(_fi_abs ${_fi_file} ABSOLUTE)
    set(_fi_root)
    if(_fi_own_dir_roots)
      get_filename_component(_fi_root ${_fi_abs} DIRECTORY)
    else()
      foreach(_fi_candidate IN LISTS _fi_roots)
        string(FIND "${_fi_abs}" "${_fi_candidate}/" _fi_pos)
        if(_fi_pos EQUAL 0)
          set(_fi_root ${_fi_candidate})
          break()
        endif()
      endforeach()
      if(NOT _fi_root)
        message(FATAL_ERROR "ferry_idl_library(${FI_NAME}): ${_fi_file} is "
          "not under any PROTO_IMPORT_DIRS root (${_fi_roots})")
      endif()
    endif()
    # The file's own root first: protoc names the file by the first root
    # holding it.
    set(_fi_args -I ${_fi_root})
    foreach(_fi_dir IN LISTS _fi_roots)
      if(NOT _fi_dir STREQUAL _fi_root)
        list(APPEND _fi_args -I ${_fi_dir})
      endif()
    endforeach()
    file(RELATIVE_PATH _fi_rel ${_fi_root} ${_fi_abs})
    string(REGEX REPLACE "\\.(proto|protodevel)$" "" _fi_stem ${_fi_rel})
    get_filename_component(_fi_rel_dir ${out_dir}/${_fi_stem} DIRECTORY)
    # protoc wants its output directory (and the depfile's) to exist.
    file(MAKE_DIRECTORY ${_fi_rel_dir})
    set(_fi_pb_cc ${out_dir}/${_fi_stem}.pb.cc)
    # In protoc's (sorted) order: Ninja wants the depfile's first target to
    # be the command's first output.
    set(_fi_outputs ${out_dir}/${_fi_stem}.ferry.h ${_fi_pb_cc}
                    ${out_dir}/${_fi_stem}.pb.h)
    add_custom_command(
      OUTPUT ${_fi_outputs}
      COMMAND ${_fi_protoc} --cpp_out=${out_dir} --ferry_out=${out_dir}
              --plugin=protoc-gen-ferry=$<TARGET_FILE:ferry::protoc_gen_ferry>
              --dependency_out=${out_dir}/${_fi_stem}.proto.d
              ${_fi_args} ${_fi_abs}
      DEPENDS ${_fi_abs} ${_fi_plugin_dep}
      DEPFILE ${out_dir}/${_fi_stem}.proto.d
      COMMENT "protoc ${_fi_file}"
      VERBATIM)
    # protoc's code is not held to ferry's warnings.
    set_source_files_properties(${_fi_pb_cc} PROPERTIES COMPILE_OPTIONS -w)
    list(APPEND sources ${_fi_pb_cc})
    list(APPEND headers ${out_dir}/${_fi_stem}.pb.h
                        ${out_dir}/${_fi_stem}.ferry.h)
  endforeach()
endmacro()
