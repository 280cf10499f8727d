// grpc_cpp_stream_server: the gRPC C++ server ferry's gRPC server-streaming
// benchmark is quoted against. Serves grpc.testing.TestService from
// ../shared/interop/grpc/test.proto on gRPC C++'s callback API (Debian's
// 1.51: grpc::CallbackServerContext, grpc::ServerWriteReactor), plaintext
// HTTP/2, no compression:
//
//   StreamingOutputCall  one response per ResponseParameters: a payload of
//                        `size` zero bytes, type COMPRESSABLE, each sent
//                        interval_us after the previous one when that is
//                        non-zero (a grpc::Alarm, no thread blocked); then
//                        OK. As tests/interop/grpc/grpc_cpp_interop_server
//                        (sync API) answers it, without the interop
//                        extras (compression, echoed metadata and status).
//   UnaryCall            a payload of response_size zero bytes, type
//                        COMPRESSABLE (none when 0).
//
// A response_type other than COMPRESSABLE is INVALID_ARGUMENT; every other
// method is UNIMPLEMENTED.
//
//   grpc_cpp_stream_server [--port 0] [--threads N] [--max-seconds S]
//
// Listens on 127.0.0.1 only; --port 0 (the default) picks a free port.
// Prints `LISTENING <port>` on stdout once connections can be made. Runs
// until SIGINT/SIGTERM (or S seconds), then prints `grpc_cpp_stream_server:
// N messages streamed` (StreamingOutputCall responses) and exits 0. Flags
// are written --name value or --name=value. --threads N is as for
// grpc_cpp_echo_server: the server's ResourceQuota thread limit, the only
// thread knob gRPC C++ 1.51 has for the callback API; pin the process to
// bound its CPU use.

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "bench/rpc/grpc_cpp_peer.h"
#include "src/proto/grpc/testing/test.grpc.pb.h"

namespace {

using grpc::CallbackServerContext;
using grpc::Status;
using grpc::StatusCode;
using grpc::testing::ResponseParameters;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;
using grpc::testing::StreamingOutputCallRequest;
using grpc::testing::StreamingOutputCallResponse;

std::atomic<uint64_t> g_streamed{0};

Status bad_payload_type() {
  return Status(StatusCode::INVALID_ARGUMENT, "unsupported response_type");
}

// One StreamingOutputCall: writes the responses one at a time (the callback
// API allows one write in flight), each started from the previous one's
// OnWriteDone, or from an alarm when it has an interval. Deletes itself
// when gRPC is done with the call.
class ResponseWriter final
    : public grpc::ServerWriteReactor<StreamingOutputCallResponse> {
 public:
  // `request` stays valid until OnDone.
  explicit ResponseWriter(const StreamingOutputCallRequest* request)
      : params_(request->response_parameters()) {
    response_.mutable_payload()->set_type(grpc::testing::COMPRESSABLE);
    next();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {  // the client is gone (or cancelled)
      Finish(Status(StatusCode::INTERNAL, "writing a response failed"));
      return;
    }
    g_streamed.fetch_add(1, std::memory_order_relaxed);
    next();
  }

  void OnDone() override { delete this; }

 private:
  // Starts the next response, after its interval; finishes after the last.
  void next() {
    if (index_ == params_.size()) {
      Finish(Status::OK);
      return;
    }
    const ResponseParameters& p = params_.Get(index_);
    if (p.interval_us() > 0) {
      alarm_.Set(std::chrono::system_clock::now() +
                     std::chrono::microseconds(p.interval_us()),
                 [this](bool) { write(); });
      return;
    }
    write();
  }

  void write() {
    const ResponseParameters& p = params_.Get(index_++);
    response_.mutable_payload()->mutable_body()->assign(
        static_cast<std::size_t>(std::max(p.size(), 0)), '\0');
    StartWrite(&response_);
  }

  const google::protobuf::RepeatedPtrField<ResponseParameters>& params_;
  int index_ = 0;
  StreamingOutputCallResponse response_;
  grpc::Alarm alarm_;
};

class TestServiceImpl final
    : public grpc::testing::TestService::CallbackService {
 public:
  grpc::ServerUnaryReactor* UnaryCall(CallbackServerContext* ctx,
                                      const SimpleRequest* req,
                                      SimpleResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    if (req->response_type() != grpc::testing::COMPRESSABLE) {
      reactor->Finish(bad_payload_type());
    } else if (req->response_size() < 0) {
      reactor->Finish(
          Status(StatusCode::INVALID_ARGUMENT, "negative response_size"));
    } else {
      if (req->response_size() > 0) {
        resp->mutable_payload()->set_type(grpc::testing::COMPRESSABLE);
        resp->mutable_payload()->set_body(
            std::string(static_cast<std::size_t>(req->response_size()), '\0'));
      }
      reactor->Finish(Status::OK);
    }
    return reactor;
  }

  grpc::ServerWriteReactor<StreamingOutputCallResponse>* StreamingOutputCall(
      CallbackServerContext*, const StreamingOutputCallRequest* req) override {
    if (req->response_type() != grpc::testing::COMPRESSABLE) {
      // A reactor that only finishes.
      class Refusal final
          : public grpc::ServerWriteReactor<StreamingOutputCallResponse> {
       public:
        Refusal() { Finish(bad_payload_type()); }
        void OnDone() override { delete this; }
      };
      return new Refusal;
    }
    return new ResponseWriter(req);
  }
};

}  // namespace

int main(int argc, char** argv) {
  return ferry::bench_common::grpc_cpp_bench_main<TestServiceImpl>(
      "grpc_cpp_stream_server", argc, argv, g_streamed, "messages streamed");
}
