# Helper functions shared by every CMakeLists.txt in the tree.
#
#   evermirror_library(NAME SRCS ... [DEPS ...])   static library, includes rooted at the source tree
#   evermirror_binary(NAME SRCS ... [DEPS ...])    an executable
#   evermirror_test(NAME SRCS ... [DEPS ...] [LABELS ...] [TIMEOUT s])  GoogleTest binary + CTest entry
#   evermirror_proto(NAME PROTOS ... [GRPC] [DEPS ...])  protoc (+ grpc plugin) into a library
#   evermirror_fuzzer(NAME SRCS ... [DEPS ...])    libFuzzer target, only with EVERMIRROR_FUZZ

set(EVERMIRROR_GEN_DIR ${PROJECT_BINARY_DIR}/gen)

# Development aid: folders (relative to the source root, e.g. "shared/wire;services/gateway")
# to leave out of the build while they are under construction.
set(EVERMIRROR_SKIP "" CACHE STRING "Source folders to leave out of the build")

# Adds `dir` (absolute) as a subdirectory if it has a CMakeLists.txt and is not skipped.
function(evermirror_add_subdirectory dir)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${dir})
  if(EXISTS ${dir}/CMakeLists.txt AND NOT rel IN_LIST EVERMIRROR_SKIP)
    add_subdirectory(${dir})
  endif()
endfunction()
file(MAKE_DIRECTORY ${EVERMIRROR_GEN_DIR})

function(evermirror_library name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${EVERMIRROR_GEN_DIR})
  target_link_libraries(${name} PUBLIC ${A_DEPS})
endfunction()

function(evermirror_binary name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${A_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${EVERMIRROR_GEN_DIR})
  target_link_libraries(${name} PRIVATE ${A_DEPS})
endfunction()

# NETNS: the test runs inside tests/tools/netns_run.sh (a fresh network namespace holding only
# lo), for tests that open real sockets beyond a throwaway loopback port; skipped (77) without root.
# CASES: one CTest entry per listed test name (<name>.<case>, run with --gtest_filter=*.<case>)
# instead of one for the whole binary, so long cases run in parallel under ctest -j; TIMEOUT
# is then per case.
function(evermirror_test name)
  cmake_parse_arguments(A "NETNS" "TIMEOUT" "SRCS;DEPS;LABELS;CASES" ${ARGN})
  add_executable(${name} ${A_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${EVERMIRROR_GEN_DIR})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gmock GTest::gtest_main)
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  set(entries ${name})
  set(filters "")
  if(A_CASES)
    set(entries)
    foreach(c ${A_CASES})
      list(APPEND entries ${name}.${c})
    endforeach()
    set(filters ${A_CASES})
  endif()
  foreach(entry ${entries})
    set(args)
    if(A_CASES)
      list(POP_FRONT filters c)
      set(args --gtest_filter=*.${c})
    endif()
    if(A_NETNS)
      add_test(NAME ${entry} COMMAND ${PROJECT_SOURCE_DIR}/tests/tools/netns_run.sh $<TARGET_FILE:${name}> ${args})
      set_tests_properties(${entry} PROPERTIES SKIP_RETURN_CODE 77)
    else()
      add_test(NAME ${entry} COMMAND ${name} ${args})
    endif()
    set_tests_properties(${entry} PROPERTIES TIMEOUT ${A_TIMEOUT} LABELS "${A_LABELS}")
  endforeach()
endfunction()

# Generated files land in ${EVERMIRROR_GEN_DIR}/<path relative to proto/>, so a file
# proto/evermirror/wire/v1/wire.proto is included as "evermirror/wire/v1/wire.pb.h".
function(evermirror_proto name)
  cmake_parse_arguments(A "GRPC" "IMPORT_DIR" "PROTOS;DEPS" ${ARGN})
  if(NOT A_IMPORT_DIR)
    set(A_IMPORT_DIR ${PROJECT_SOURCE_DIR}/proto)
  endif()
  set(srcs)
  foreach(proto ${A_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${A_IMPORT_DIR} ${abs})
    string(REGEX REPLACE "\\.proto$" "" base ${rel})
    set(out_pb ${EVERMIRROR_GEN_DIR}/${base}.pb.cc ${EVERMIRROR_GEN_DIR}/${base}.pb.h)
    set(outs ${out_pb})
    set(args --cpp_out=${EVERMIRROR_GEN_DIR})
    if(A_GRPC)
      list(APPEND outs ${EVERMIRROR_GEN_DIR}/${base}.grpc.pb.cc ${EVERMIRROR_GEN_DIR}/${base}.grpc.pb.h)
      list(APPEND args --grpc_out=${EVERMIRROR_GEN_DIR}
           --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc -I ${A_IMPORT_DIR} -I ${PROJECT_SOURCE_DIR}/proto ${args} ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${rel}"
      VERBATIM)
    list(APPEND srcs ${outs})
  endforeach()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${EVERMIRROR_GEN_DIR})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf ${A_DEPS})
  if(A_GRPC)
    target_link_libraries(${name} PUBLIC gRPC::grpc++)
  endif()
  # Generated code is not ours to lint.
  target_compile_options(${name} PRIVATE -w)
endfunction()

function(evermirror_fuzzer name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS" ${ARGN})
  if(NOT EVERMIRROR_FUZZ)
    return()
  endif()
  add_executable(${name} ${A_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${EVERMIRROR_GEN_DIR})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE ${A_DEPS})
endfunction()
