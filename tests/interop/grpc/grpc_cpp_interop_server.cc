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

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/peer_main.h"
#include "bench/rpc/grpc_cpp_peer.h"
#include "interop_peer.h"
#include "src/proto/grpc/testing/test.grpc.pb.h"

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

using interop_peer::kEchoInitial;
using interop_peer::kEchoTrailingBin;

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
  const bool compressed = interop_peer::last_message_compressed(call);
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

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  ferry::bench_common::PeerFlags flags(argc, argv, {"port", "use_tls"});
  flags.number("port", 0, 65535, &port);
  if (flags.get("use_tls", "false") != "false") {
    flags.fail("only plaintext is supported");
  }
  if (!flags.ok()) {
    return flags.usage_error("grpc_cpp_interop_server",
                             "usage: grpc_cpp_interop_server [--port 0] "
                             "[--use_tls false]\n");
  }
  // Before gRPC starts any thread, so all of them inherit the mask.
  const ferry::bench_common::StopSignals stop;

  TestServiceImpl service;
  return ferry::bench_common::serve_grpc_cpp("grpc_cpp_interop_server",
                                             &service, port, /*threads=*/0,
                                             /*max_seconds=*/0, stop);
}
