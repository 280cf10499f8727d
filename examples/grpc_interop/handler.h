#pragma once

// grpc.testing.TestService as gRPC's interop server implements it (see
// gRPC's doc/interop-test-descriptions.md, "Server"): payloads of the
// requested sizes, echoed metadata, requested statuses, compression checks.

#include <chrono>
#include <cstdint>
#include <string>

#include "middleware/context.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "runtime/time.h"
#include "src/proto/grpc/testing/test.ferry.h"
#include "transport/grpc/service.h"

namespace ferry::examples {

namespace gt = ::grpc::testing;

class InteropHandler {
 public:
  Task<Result<gt::Empty>> EmptyCall(Context& cx, const gt::Empty&) {
    echo_metadata(cx);
    co_return gt::Empty();
  }

  Task<Result<gt::SimpleResponse>> UnaryCall(Context& cx,
                                             const gt::SimpleRequest& req) {
    echo_metadata(cx);
    if (req.has_expect_compressed()) {
      FERRY_CO_RETURN_IF_ERROR(
          check_compression(cx, req.expect_compressed().value()));
    }
    if (req.response_compressed().value()) {
      cx.extension<grpc::CallOptions>().compress = true;
    }
    if (req.has_response_status() && req.response_status().code() != 0) {
      co_return Status(
          static_cast<absl::StatusCode>(req.response_status().code()),
          req.response_status().message());
    }
    gt::SimpleResponse resp;
    FERRY_CO_RETURN_IF_ERROR(fill(req.response_size(), resp.mutable_payload()));
    co_return resp;
  }

  Task<Result<gt::SimpleResponse>> CacheableUnaryCall(
      Context& cx, const gt::SimpleRequest& req) {
    return UnaryCall(cx, req);
  }

  Task<Status> StreamingOutputCall(
      Context& cx, const gt::StreamingOutputCallRequest& req,
      grpc::ServerWriter<gt::StreamingOutputCallResponse>& writer) {
    echo_metadata(cx);
    for (const gt::ResponseParameters& p : req.response_parameters()) {
      auto s = co_await respond(cx, p, writer);
      if (!s.ok()) co_return s;
    }
    co_return requested_status(req);
  }

  Task<Result<gt::StreamingInputCallResponse>> StreamingInputCall(
      Context& cx, grpc::ServerReader<gt::StreamingInputCallRequest>& reader) {
    echo_metadata(cx);
    int32_t total = 0;
    gt::StreamingInputCallRequest req;
    for (;;) {
      auto more = co_await reader.read(req);
      if (!more.ok()) co_return more.status();
      if (!*more) break;
      if (req.has_expect_compressed()) {
        FERRY_CO_RETURN_IF_ERROR(
            check_compression(cx, req.expect_compressed().value()));
      }
      total += static_cast<int32_t>(req.payload().body().size());
    }
    gt::StreamingInputCallResponse resp;
    resp.set_aggregated_payload_size(total);
    co_return resp;
  }

  Task<Status> FullDuplexCall(
      Context& cx,
      grpc::ServerStream<gt::StreamingOutputCallRequest,
                         gt::StreamingOutputCallResponse>& stream) {
    echo_metadata(cx);
    gt::StreamingOutputCallRequest req;
    for (;;) {
      auto more = co_await stream.read(req);
      if (!more.ok()) co_return more.status();
      if (!*more) co_return Status();
      if (req.has_response_status() && req.response_status().code() != 0) {
        co_return requested_status(req);
      }
      for (const gt::ResponseParameters& p : req.response_parameters()) {
        auto s = co_await respond(cx, p, stream);
        if (!s.ok()) co_return s;
      }
    }
  }

  // Reads every request first, then answers them in order.
  Task<Status> HalfDuplexCall(
      Context& cx,
      grpc::ServerStream<gt::StreamingOutputCallRequest,
                         gt::StreamingOutputCallResponse>& stream) {
    echo_metadata(cx);
    std::vector<gt::StreamingOutputCallRequest> requests;
    for (;;) {
      gt::StreamingOutputCallRequest req;
      auto more = co_await stream.read(req);
      if (!more.ok()) co_return more.status();
      if (!*more) break;
      requests.push_back(std::move(req));
    }
    for (const auto& req : requests) {
      for (const gt::ResponseParameters& p : req.response_parameters()) {
        auto s = co_await respond(cx, p, stream);
        if (!s.ok()) co_return s;
      }
    }
    co_return Status();
  }

 private:
  static void echo_metadata(Context& cx) {
    if (auto v = cx.request_metadata.get("x-grpc-test-echo-initial")) {
      cx.response_metadata.set("x-grpc-test-echo-initial", *v);
    }
    if (auto v = cx.request_metadata.get("x-grpc-test-echo-trailing-bin")) {
      cx.response_trailers.set("x-grpc-test-echo-trailing-bin", *v);
    }
  }

  static Status check_compression(Context& cx, bool expect_compressed) {
    const auto* o = cx.find_extension<grpc::CallOptions>();
    const bool compressed = o != nullptr && o->last_message_compressed;
    if (expect_compressed && !compressed) {
      return absl::InvalidArgumentError(
          "expected a compressed request message, got an uncompressed one");
    }
    if (!expect_compressed && compressed) {
      return absl::InvalidArgumentError(
          "expected an uncompressed request message, got a compressed one");
    }
    return Status();
  }

  static Status fill(int32_t size, gt::Payload* payload) {
    if (size < 0) {
      return absl::InvalidArgumentError("negative response_size");
    }
    payload->set_type(gt::COMPRESSABLE);
    payload->mutable_body()->assign(static_cast<std::size_t>(size), '\0');
    return Status();
  }

  static Status requested_status(const gt::StreamingOutputCallRequest& req) {
    if (!req.has_response_status() || req.response_status().code() == 0) {
      return Status();
    }
    return Status(static_cast<absl::StatusCode>(req.response_status().code()),
                  req.response_status().message());
  }

  template <class Writer>
  static Task<Status> respond(Context& cx, const gt::ResponseParameters& p,
                              Writer& writer) {
    if (p.interval_us() > 0) {
      auto slept =
          co_await sleep_for(std::chrono::microseconds(p.interval_us()));
      if (!slept.ok()) co_return slept;
    }
    gt::StreamingOutputCallResponse resp;
    FERRY_CO_RETURN_IF_ERROR(fill(p.size(), resp.mutable_payload()));
    const bool compress = p.compressed().value();
    if (compress) cx.extension<grpc::CallOptions>().compress = true;
    co_return co_await writer.write(resp,
                                    grpc::WriteOptions{.compress = compress});
  }
};

}  // namespace ferry::examples
