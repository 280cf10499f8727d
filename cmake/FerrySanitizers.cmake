# FERRY_SANITIZE=address,undefined | thread: instruments every ferry target
# (and tests/benchmarks) in this build tree. Applied globally so template code
# instantiated in tests is instrumented too.
if(FERRY_SANITIZE)
  string(REPLACE "," ";" _ferry_sans "${FERRY_SANITIZE}")
  if("thread" IN_LIST _ferry_sans AND "address" IN_LIST _ferry_sans)
    message(FATAL_ERROR "FERRY_SANITIZE: thread cannot be combined with address")
  endif()
  string(REPLACE ";" "," _ferry_san_flag "${_ferry_sans}")
  add_compile_options(-fsanitize=${_ferry_san_flag} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_ferry_san_flag})
  # The recycling frame allocator and chunk pools hide use-after-free from
  # ASan; under sanitizers they hand every allocation straight to malloc.
  add_compile_definitions(FERRY_SANITIZER_BUILD=1)
  message(STATUS "ferry: sanitizers ${_ferry_san_flag}")
endif()

# Fuzzing instruments the whole tree (coverage reaches the code under test);
# only the fuzz targets themselves link libFuzzer's main. UBSan's `function`
# check is off: clang 14 fails on coroutine code with it ("Cannot represent
# a difference across sections"), and it only checks indirect calls through
# mismatched function pointer types, which ferry does not make.
if(FERRY_ENABLE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FERRY_ENABLE_FUZZ needs clang (libFuzzer)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize=function -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(FERRY_SANITIZER_BUILD FERRY_FUZZING_BUILD)
endif()
