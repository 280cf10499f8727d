#pragma once

// What grpc_cpp_interop_server and grpc_cpp_interop_client share beyond
// bench/common/peer_main.h: gRPC core's test-only accessors, with which both
// check compression as gRPC's own interop programs do, and the metadata
// keys of the Echo Metadata case. gRPC C++ only, none of ferry's code.

#include <grpc/grpc.h>

#include <cstdint>

// gRPC core's test-only accessors (src/core/lib/surface/call_test_only.h,
// not installed; exported by libgrpc with C++ linkage): the incoming
// call's compression algorithm and the last received message's flags.
grpc_compression_algorithm grpc_call_test_only_get_compression_algorithm(
    grpc_call* call);
uint32_t grpc_call_test_only_get_message_flags(grpc_call* call);

namespace interop_peer {

// Whether the message last received on `call` was compressed on the wire:
// core sets one of these flags (src/core/lib/transport/transport.h) on a
// message still compressed, or decompressed by the decompression filter.
inline bool last_message_compressed(grpc_call* call) {
  constexpr uint32_t kWriteInternalCompress = 0x80000000u;
  constexpr uint32_t kWriteInternalTestOnlyWasCompressed = 0x40000000u;
  return (grpc_call_test_only_get_message_flags(call) &
          (kWriteInternalCompress | kWriteInternalTestOnlyWasCompressed)) != 0;
}

// Echo Metadata: the server sends these back, initial and trailing.
inline constexpr char kEchoInitial[] = "x-grpc-test-echo-initial";
inline constexpr char kEchoTrailingBin[] = "x-grpc-test-echo-trailing-bin";

}  // namespace interop_peer
