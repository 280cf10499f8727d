// grpc_cpp_interop_server: the reference gRPC interop server, on gRPC C++
// (Debian's 1.51, sync API). Serves grpc.testing.TestService from
// ../shared/interop/grpc/test.proto with the server features of gRPC's
// interop test descriptions (doc/interop-test-descriptions.md):
//
//   EmptyCall, UnaryCall, CacheableUnaryCall, StreamingOutputCall,
//   StreamingInputCall, FullDuplexCall, HalfDuplexCall; UnimplementedCall
//   is left unimplemented (UNIMPLEMENTED), as is UnimplementedService.
//   CompressedResponse  response_compressed / ResponseParameters.compressed
//                       true: the response is gzip-compressed (compressed
//                       flag set); false or unset: sent uncompressed.
//   CompressedRequest   expect_compressed true and the request message was
//                       not compressed, or false and it was: INVALID_ARGUMENT
//                       (checked per message on streams).
//   Echo Status         a request's response_status with a non-zero code
//                       closes the call with that code and message.
//   Echo Metadata       x-grpc-test-echo-initial comes back in the initial
//                       metadata, x-grpc-test-echo-trailing-bin in the
//                       trailing metadata (every method).
//   interval_us         each response waits interval_us after the previous.
//
//   grpc_cpp_interop_server [--port 0] [--use_tls false]
//
// Listens on 127.0.0.1 only, plaintext; --port 0 (the default) picks a free
// port. Prints `LISTENING <port>` on stdout once connections can be made.
// Runs until SIGINT/SIGTERM, then shuts down (in-flight calls get 1 s) and
// exits 0. Flags are written --name value or --name=value.

#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "src/proto/grpc/testing/test.grpc.pb.h"

// gRPC core's test-only accessors (src/core/lib/surface/call_test_only.h,
// not installed; exported by libgrpc with C++ linkage): the incoming
// call's compression algorithm and the last received message's flags.
// gRPC's own interop server checks CompressedRequest with them.
grpc_compression_algorithm grpc_call_test_only_get_compression_algorithm(
    grpc_call* call);
uint32_t grpc_call_test_only_get_message_flags(grpc_call* call);

namespace {

using grpc::ServerContext;
using grpc::Status;
using grpc::StatusCode;
using grpc::testing::Empty;
using grpc::testing::ResponseParameters;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;
using grpc::testing::StreamingInputCallRequest;
using grpc::testing::StreamingInputCallResponse;
using grpc::testing::StreamingOutputCallRequest;
using grpc::testing::StreamingOutputCallResponse;

// Message flags set by core on a received message that was compressed on
// the wire (src/core/lib/transport/transport.h): still compressed, or
// decompressed by the decompression filter.
constexpr uint32_t kWriteInternalCompress = 0x80000000u;
constexpr uint32_t kWriteInternalTestOnlyWasCompressed = 0x40000000u;

constexpr char kEchoInitial[] = "x-grpc-test-echo-initial";
constexpr char kEchoTrailingBin[] = "x-grpc-test-echo-trailing-bin";

void echo_metadata(ServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  if (auto it = md.find(kEchoInitial); it != md.end()) {
    ctx->AddInitialMetadata(kEchoInitial,
                            std::string(it->second.data(), it->second.size()));
  }
  if (auto it = md.find(kEchoTrailingBin); it != md.end()) {
    ctx->AddTrailingMetadata(kEchoTrailingBin,
                             std::string(it->second.data(), it->second.size()));
  }
}

// CompressedRequest: whether the message last read on `ctx`'s call matches
// `expected` (compressed on the wire, in a call with a grpc-encoding).
bool compression_as_expected(ServerContext* ctx, bool expected) {
  grpc_call* call = ctx->c_call();
  const uint32_t flags = grpc_call_test_only_get_message_flags(call);
  const bool compressed = (flags & (kWriteInternalCompress |
                                    kWriteInternalTestOnlyWasCompressed)) != 0;
  if (expected) {
    return compressed && grpc_call_test_only_get_compression_algorithm(call) !=
                             GRPC_COMPRESS_NONE;
  }
  return !compressed;
}

Status compression_mismatch(bool expected) {
  return Status(StatusCode::INVALID_ARGUMENT,
                expected ? "expected a compressed request message"
                         : "expected an uncompressed request message");
}

bool wants_compression(const ResponseParameters& p) {
  return p.has_compressed() && p.compressed().value();
}

// Echo Status: a non-zero code in the request ends the call with it.
template <typename Request>
bool echo_status(const Request& req, Status* out) {
  if (!req.has_response_status() || req.response_status().code() == 0) {
    return false;
  }
  *out = Status(static_cast<StatusCode>(req.response_status().code()),
                req.response_status().message());
  return true;
}

Status bad_payload_type() {
  return Status(StatusCode::INVALID_ARGUMENT, "unsupported response_type");
}

// Writes one response per ResponseParameters, gzip-compressed where asked
// (the call's algorithm must already be gzip for that), each after its
// interval_us. Returns false once the client is gone.
template <typename Stream>
bool write_responses(const StreamingOutputCallRequest& req, Stream* stream) {
  StreamingOutputCallResponse resp;
  for (const ResponseParameters& p : req.response_parameters()) {
    if (p.interval_us() > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(p.interval_us()));
    }
    resp.mutable_payload()->set_type(grpc::testing::COMPRESSABLE);
    resp.mutable_payload()->set_body(
        std::string(static_cast<size_t>(std::max(p.size(), 0)), '\0'));
    grpc::WriteOptions options;
    if (!wants_compression(p)) options.set_no_compression();
    if (!stream->Write(resp, options)) return false;
  }
  return true;
}

bool any_compressed(const StreamingOutputCallRequest& req) {
  for (const ResponseParameters& p : req.response_parameters()) {
    if (wants_compression(p)) return true;
  }
  return false;
}

class TestServiceImpl final : public grpc::testing::TestService::Service {
 public:
  Status EmptyCall(ServerContext* ctx, const Empty*, Empty*) override {
    echo_metadata(ctx);
    return Status::OK;
  }

  Status UnaryCall(ServerContext* ctx, const SimpleRequest* req,
                   SimpleResponse* resp) override {
    echo_metadata(ctx);
    if (req->has_response_compressed()) {
      ctx->set_compression_algorithm(req->response_compressed().value()
                                         ? GRPC_COMPRESS_GZIP
                                         : GRPC_COMPRESS_NONE);
    }
    const bool expect = req->expect_compressed().value();
    if (!compression_as_expected(ctx, expect)) {
      return compression_mismatch(expect);
    }
    if (req->response_type() != grpc::testing::COMPRESSABLE) {
      return bad_payload_type();
    }
    if (req->response_size() < 0) {
      return Status(StatusCode::INVALID_ARGUMENT, "negative response_size");
    }
    if (Status s; echo_status(*req, &s)) return s;
    if (req->response_size() > 0) {
      resp->mutable_payload()->set_type(grpc::testing::COMPRESSABLE);
      resp->mutable_payload()->set_body(
          std::string(static_cast<size_t>(req->response_size()), '\0'));
    }
    return Status::OK;
  }

  // The payload is the current time in nanoseconds; the response may be
  // cached by proxies for 60 s.
  Status CacheableUnaryCall(ServerContext* ctx, const SimpleRequest*,
                            SimpleResponse* resp) override {
    echo_metadata(ctx);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    resp->mutable_payload()->set_body(std::to_string(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
    ctx->AddInitialMetadata("cache-control", "max-age=60, public");
    return Status::OK;
  }

  Status StreamingOutputCall(
      ServerContext* ctx, const StreamingOutputCallRequest* req,
      grpc::ServerWriter<StreamingOutputCallResponse>* writer) override {
    echo_metadata(ctx);
    if (req->response_type() != grpc::testing::COMPRESSABLE) {
      return bad_payload_type();
    }
    if (Status s; echo_status(*req, &s)) return s;
    // Compression is the call's (announced in the initial metadata, sent
    // with the first message); messages not asked compressed opt out.
    if (any_compressed(*req))
      ctx->set_compression_algorithm(GRPC_COMPRESS_GZIP);
    if (!write_responses(*req, writer)) {
      return Status(StatusCode::INTERNAL, "writing a response failed");
    }
    return Status::OK;
  }

  Status StreamingInputCall(
      ServerContext* ctx, grpc::ServerReader<StreamingInputCallRequest>* reader,
      StreamingInputCallResponse* resp) override {
    echo_metadata(ctx);
    StreamingInputCallRequest req;
    int64_t total = 0;
    while (reader->Read(&req)) {
      const bool expect = req.expect_compressed().value();
      if (!compression_as_expected(ctx, expect)) {
        return compression_mismatch(expect);
      }
      total += static_cast<int64_t>(req.payload().body().size());
    }
    resp->set_aggregated_payload_size(static_cast<int32_t>(total));
    return Status::OK;
  }

  Status FullDuplexCall(
      ServerContext* ctx,
      grpc::ServerReaderWriter<StreamingOutputCallResponse,
                               StreamingOutputCallRequest>* stream) override {
    echo_metadata(ctx);
    StreamingOutputCallRequest req;
    bool first = true;
    while (stream->Read(&req)) {
      if (Status s; echo_status(req, &s)) return s;
      if (req.response_type() != grpc::testing::COMPRESSABLE) {
        return bad_payload_type();
      }
      // The call's compression is fixed with the initial metadata, which
      // goes out with the first response: the first request decides.
      if (first && any_compressed(req)) {
        ctx->set_compression_algorithm(GRPC_COMPRESS_GZIP);
      }
      first = false;
      if (!write_responses(req, stream)) {
        return Status(StatusCode::INTERNAL, "writing a response failed");
      }
    }
    return Status::OK;
  }

  // Buffers every request until the client half-closes, then answers them
  // in order.
  Status HalfDuplexCall(
      ServerContext* ctx,
      grpc::ServerReaderWriter<StreamingOutputCallResponse,
                               StreamingOutputCallRequest>* stream) override {
    echo_metadata(ctx);
    std::vector<StreamingOutputCallRequest> requests;
    StreamingOutputCallRequest req;
    while (stream->Read(&req)) requests.push_back(req);
    if (!requests.empty() && any_compressed(requests.front())) {
      ctx->set_compression_algorithm(GRPC_COMPRESS_GZIP);
    }
    for (const auto& r : requests) {
      if (Status s; echo_status(r, &s)) return s;
      if (!write_responses(r, stream)) {
        return Status(StatusCode::INTERNAL, "writing a response failed");
      }
    }
    return Status::OK;
  }
};

bool parse_flags(int argc, char** argv, int* port) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return false;
    arg.erase(0, 2);
    std::string value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.erase(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return false;
    }
    if (arg == "port") {
      try {
        *port = std::stoi(value);
      } catch (const std::exception&) {
        return false;
      }
      if (*port < 0 || *port > 65535) return false;
    } else if (arg == "use_tls") {
      if (value != "false") {
        std::cerr << "grpc_cpp_interop_server: only plaintext is supported\n";
        return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  if (!parse_flags(argc, argv, &port)) {
    std::cerr << "usage: grpc_cpp_interop_server [--port 0] "
                 "[--use_tls false]\n";
    return 2;
  }
  // Blocked before gRPC starts any thread, so all of them inherit the mask
  // and only sigwait below sees the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  TestServiceImpl service;
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port),
                           grpc::InsecureServerCredentials(), &selected_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || selected_port == 0) {
    std::cerr << "grpc_cpp_interop_server: cannot listen on 127.0.0.1:" << port
              << "\n";
    return 1;
  }
  std::printf("LISTENING %d\n", selected_port);
  std::fflush(stdout);

  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server->Wait();
  return 0;
}
