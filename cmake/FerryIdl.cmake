# ferry_idl_library: Thrift IDL → a linkable C++ library, generated at build
# time (nothing generated is checked in; IDEs see the headers through
# compile_commands.json because the generated sources are ordinary target
# sources).
#
#   ferry_idl_library(NAME echo_idl
#     THRIFT echo.thrift shared.thrift   # files generated into this library
#     [INCLUDE_DIRS dir...]              # idlgen -I: where `include` looks
#     [DEPS other_idl ...]               # libraries holding included files
#     [NAMESPACE_PREFIX ns]              # prepended to every C++ namespace
#     [IDLGEN_ARGS arg...])              # extra idlgen flags
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
                        "THRIFT;INCLUDE_DIRS;DEPS;IDLGEN_ARGS" ${ARGN})
  if(NOT FI_NAME)
    message(FATAL_ERROR "ferry_idl_library: NAME is required")
  endif()
  if(NOT FI_THRIFT)
    message(FATAL_ERROR "ferry_idl_library(${FI_NAME}): THRIFT lists no files")
  endif()
  if(FI_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "ferry_idl_library(${FI_NAME}): unknown arguments ${FI_UNPARSED_ARGUMENTS}")
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

  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${FI_NAME})
  set(common_args --out ${out_dir} --source-root ${CMAKE_SOURCE_DIR}
                  ${FI_IDLGEN_ARGS})
  foreach(dir IN LISTS FI_INCLUDE_DIRS)
    get_filename_component(abs_dir ${dir} ABSOLUTE)
    list(APPEND common_args -I ${abs_dir})
  endforeach()
  if(FI_NAMESPACE_PREFIX)
    list(APPEND common_args --namespace-prefix ${FI_NAMESPACE_PREFIX})
  endif()

  set(sources)
  set(headers)
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

  add_library(${FI_NAME} STATIC ${sources} ${headers})
  target_include_directories(${FI_NAME} PUBLIC $<BUILD_INTERFACE:${out_dir}>)
  target_link_libraries(${FI_NAME} PUBLIC ferry::transport ${FI_DEPS})
  target_compile_features(${FI_NAME} PUBLIC cxx_std_20)
  if(COMMAND ferry_target_warnings)
    # In ferry's own tree generated code meets the project's warning bar.
    ferry_target_warnings(${FI_NAME})
  endif()
endfunction()
