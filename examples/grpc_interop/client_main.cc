// grpc_interop_client: gRPC's interop test cases (doc/interop-test-
// descriptions.md) run by ferry's client against any TestService server,
// with gRPC's interop client flags:
//
//   grpc_interop_client --server_host H --server_port N
//                       [--test_case NAME|all] [--use_tls false]
//
// Prints "PASS name" or "FAIL name: why" per case; exits 0 only if every
// case passed.

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "examples/common/flags.h"
#include "runtime/runtime.h"
#include "runtime/time.h"
#include "src/proto/grpc/testing/test.ferry.h"
#include "transport/grpc/channel.h"

namespace {

using namespace ferry;
using namespace std::chrono_literals;
namespace gt = ::grpc::testing;
using Client = gt::TestService::Client<>;

[[gnu::cold]] Status fail(std::string why) {
  return absl::InternalError(std::move(why));
}

std::string zeros(std::size_t n) { return std::string(n, '\0'); }

Status expect_code(const Status& s, absl::StatusCode want,
                   std::string_view what) {
  if (s.code() == want) return Status();
  return fail(fmt::format("{}: want {}, got {}", what,
                          absl::StatusCodeToString(want), s.ToString()));
}

Status check_payload(const gt::Payload& p, std::size_t size) {
  if (p.body().size() != size) {
    return fail(
        fmt::format("payload of {} bytes, want {}", p.body().size(), size));
  }
  if (p.body() != zeros(size)) return fail("payload is not all zeros");
  return Status();
}

bool last_compressed(const Context& cx) {
  const auto* o = cx.find_extension<ferry::grpc::CallOptions>();
  return o != nullptr && o->last_message_compressed;
}

gt::SimpleRequest large_request() {
  gt::SimpleRequest req;
  req.set_response_size(314159);
  req.mutable_payload()->set_body(zeros(271828));
  return req;
}

Task<Status> empty_unary(Client& c) {
  Context cx;
  auto r = co_await c.EmptyCall(cx, gt::Empty());
  co_return r.status();
}

Task<Status> large_unary(Client& c) {
  Context cx;
  auto r = co_await c.UnaryCall(cx, large_request());
  if (!r.ok()) co_return r.status();
  co_return check_payload(r->payload(), 314159);
}

Task<Status> client_compressed_unary(Client& c) {
  {
    // Probe: expects compression but is sent plain.
    Context cx;
    gt::SimpleRequest req = large_request();
    req.mutable_expect_compressed()->set_value(true);
    auto r = co_await c.UnaryCall(cx, req);
    FERRY_CO_RETURN_IF_ERROR(
        expect_code(r.status(), absl::StatusCode::kInvalidArgument, "probe"));
  }
  for (bool compressed : {true, false}) {
    Context cx;
    cx.extension<ferry::grpc::CallOptions>().compress = compressed;
    gt::SimpleRequest req = large_request();
    req.mutable_expect_compressed()->set_value(compressed);
    auto r = co_await c.UnaryCall(cx, req);
    if (!r.ok()) co_return r.status();
    FERRY_CO_RETURN_IF_ERROR(check_payload(r->payload(), 314159));
  }
  co_return Status();
}

Task<Status> server_compressed_unary(Client& c) {
  for (bool compressed : {true, false}) {
    Context cx;
    gt::SimpleRequest req = large_request();
    req.mutable_response_compressed()->set_value(compressed);
    auto r = co_await c.UnaryCall(cx, req);
    if (!r.ok()) co_return r.status();
    FERRY_CO_RETURN_IF_ERROR(check_payload(r->payload(), 314159));
    if (last_compressed(cx) != compressed) {
      co_return fail(fmt::format("response compressed: {}, want {}",
                                 last_compressed(cx), compressed));
    }
  }
  co_return Status();
}

Task<Status> client_streaming(Client& c) {
  Context cx;
  auto w = co_await c.StreamingInputCall(cx);
  if (!w.ok()) co_return w.status();
  for (int size : {27182, 8, 1828, 45904}) {
    gt::StreamingInputCallRequest req;
    req.mutable_payload()->set_body(zeros(size));
    FERRY_CO_RETURN_IF_ERROR(co_await w->write(req));
  }
  auto r = co_await w->finish();
  if (!r.ok()) co_return r.status();
  if (r->aggregated_payload_size() != 74922) {
    co_return fail(fmt::format("aggregated size {}, want 74922",
                               r->aggregated_payload_size()));
  }
  co_return Status();
}

Task<Status> client_compressed_streaming(Client& c) {
  {
    Context cx;
    auto w = co_await c.StreamingInputCall(cx);
    if (!w.ok()) co_return w.status();
    gt::StreamingInputCallRequest req;
    req.mutable_expect_compressed()->set_value(true);
    req.mutable_payload()->set_body(zeros(27182));
    auto written = co_await w->write(req);
    (void)written;  // the server may already have failed the call
    auto r = co_await w->finish();
    FERRY_CO_RETURN_IF_ERROR(
        expect_code(r.status(), absl::StatusCode::kInvalidArgument, "probe"));
  }
  Context cx;
  cx.extension<ferry::grpc::CallOptions>().compress = true;
  auto w = co_await c.StreamingInputCall(cx);
  if (!w.ok()) co_return w.status();
  gt::StreamingInputCallRequest first;
  first.mutable_expect_compressed()->set_value(true);
  first.mutable_payload()->set_body(zeros(27182));
  FERRY_CO_RETURN_IF_ERROR(
      co_await w->write(first, ferry::grpc::WriteOptions{.compress = true}));
  gt::StreamingInputCallRequest second;
  second.mutable_expect_compressed()->set_value(false);
  second.mutable_payload()->set_body(zeros(45904));
  FERRY_CO_RETURN_IF_ERROR(
      co_await w->write(second, ferry::grpc::WriteOptions{.compress = false}));
  auto r = co_await w->finish();
  if (!r.ok()) co_return r.status();
  if (r->aggregated_payload_size() != 73086) {
    co_return fail(fmt::format("aggregated size {}, want 73086",
                               r->aggregated_payload_size()));
  }
  co_return Status();
}

Task<Status> server_streaming(Client& c) {
  Context cx;
  const std::vector<int> sizes = {31415, 9, 2653, 58979};
  gt::StreamingOutputCallRequest req;
  for (int size : sizes) req.add_response_parameters()->set_size(size);
  auto r = co_await c.StreamingOutputCall(cx, req);
  if (!r.ok()) co_return r.status();
  gt::StreamingOutputCallResponse resp;
  for (int size : sizes) {
    auto more = co_await r->read(resp);
    if (!more.ok()) co_return more.status();
    if (!*more) co_return fail("fewer responses than requested");
    FERRY_CO_RETURN_IF_ERROR(check_payload(resp.payload(), size));
  }
  auto more = co_await r->read(resp);
  if (!more.ok()) co_return more.status();
  if (*more) co_return fail("more responses than requested");
  co_return co_await r->finish();
}

Task<Status> server_compressed_streaming(Client& c) {
  Context cx;
  gt::StreamingOutputCallRequest req;
  auto* p1 = req.add_response_parameters();
  p1->set_size(31415);
  p1->mutable_compressed()->set_value(true);
  auto* p2 = req.add_response_parameters();
  p2->set_size(92653);
  p2->mutable_compressed()->set_value(false);
  auto r = co_await c.StreamingOutputCall(cx, req);
  if (!r.ok()) co_return r.status();
  gt::StreamingOutputCallResponse resp;
  const std::pair<int, bool> want[] = {{31415, true}, {92653, false}};
  for (auto [size, compressed] : want) {
    auto more = co_await r->read(resp);
    if (!more.ok()) co_return more.status();
    if (!*more) co_return fail("fewer responses than requested");
    FERRY_CO_RETURN_IF_ERROR(check_payload(resp.payload(), size));
    if (last_compressed(cx) != compressed) {
      co_return fail(fmt::format("response of {} bytes compressed: {}", size,
                                 last_compressed(cx)));
    }
  }
  co_return co_await r->finish();
}

Task<Status> ping_pong(Client& c) {
  Context cx;
  auto s = co_await c.FullDuplexCall(cx);
  if (!s.ok()) co_return s.status();
  const std::pair<int, int> rounds[] = {
      {31415, 27182}, {9, 8}, {2653, 1828}, {58979, 45904}};
  gt::StreamingOutputCallResponse resp;
  for (auto [response_size, payload_size] : rounds) {
    gt::StreamingOutputCallRequest req;
    req.add_response_parameters()->set_size(response_size);
    req.mutable_payload()->set_body(zeros(payload_size));
    FERRY_CO_RETURN_IF_ERROR(co_await s->write(req));
    auto more = co_await s->read(resp);
    if (!more.ok()) co_return more.status();
    if (!*more) co_return fail("the stream ended early");
    FERRY_CO_RETURN_IF_ERROR(check_payload(resp.payload(), response_size));
  }
  FERRY_CO_RETURN_IF_ERROR(co_await s->writes_done());
  auto more = co_await s->read(resp);
  if (!more.ok()) co_return more.status();
  if (*more) co_return fail("a response after the last request");
  co_return co_await s->finish();
}

Task<Status> empty_stream(Client& c) {
  Context cx;
  auto s = co_await c.FullDuplexCall(cx);
  if (!s.ok()) co_return s.status();
  FERRY_CO_RETURN_IF_ERROR(co_await s->writes_done());
  gt::StreamingOutputCallResponse resp;
  auto more = co_await s->read(resp);
  if (!more.ok()) co_return more.status();
  if (*more) co_return fail("a response on an empty stream");
  co_return co_await s->finish();
}

Task<Status> timeout_on_sleeping_server(Client& c) {
  Context cx;
  cx.deadline = clock_now() + 1ms;
  auto s = co_await c.FullDuplexCall(cx);
  if (!s.ok()) {
    co_return expect_code(s.status(), absl::StatusCode::kDeadlineExceeded,
                          "start");
  }
  gt::StreamingOutputCallRequest req;
  req.mutable_payload()->set_body(zeros(27182));
  auto written = co_await s->write(req);
  (void)written;  // may already have failed with the deadline
  co_return expect_code(co_await s->finish(),
                        absl::StatusCode::kDeadlineExceeded, "status");
}

Task<Status> cancel_after_begin(Client& c) {
  Context cx;
  auto w = co_await c.StreamingInputCall(cx);
  if (!w.ok()) co_return w.status();
  w->cancel();
  auto r = co_await w->finish();
  co_return expect_code(r.status(), absl::StatusCode::kCancelled, "status");
}

Task<Status> cancel_after_first_response(Client& c) {
  Context cx;
  auto s = co_await c.FullDuplexCall(cx);
  if (!s.ok()) co_return s.status();
  gt::StreamingOutputCallRequest req;
  req.add_response_parameters()->set_size(31415);
  req.mutable_payload()->set_body(zeros(27182));
  FERRY_CO_RETURN_IF_ERROR(co_await s->write(req));
  gt::StreamingOutputCallResponse resp;
  auto more = co_await s->read(resp);
  if (!more.ok()) co_return more.status();
  if (!*more) co_return fail("no response");
  s->cancel();
  co_return expect_code(co_await s->finish(), absl::StatusCode::kCancelled,
                        "status");
}

constexpr std::string_view kInitialKey = "x-grpc-test-echo-initial";
constexpr std::string_view kInitialValue = "test_initial_metadata_value";
constexpr std::string_view kTrailingKey = "x-grpc-test-echo-trailing-bin";
constexpr std::string_view kTrailingValue = "\xab\xab\xab";

Status check_echoed(const Context& cx) {
  auto initial = cx.response_metadata.get(kInitialKey);
  if (!initial || *initial != kInitialValue) {
    return fail("initial metadata not echoed");
  }
  auto trailing = cx.response_trailers.get(kTrailingKey);
  if (!trailing || *trailing != kTrailingValue) {
    return fail("trailing metadata not echoed");
  }
  return Status();
}

Task<Status> custom_metadata(Client& c) {
  {
    Context cx;
    cx.request_metadata.set(kInitialKey, kInitialValue);
    cx.request_metadata.set(kTrailingKey, kTrailingValue);
    auto r = co_await c.UnaryCall(cx, large_request());
    if (!r.ok()) co_return r.status();
    FERRY_CO_RETURN_IF_ERROR(check_echoed(cx));
  }
  Context cx;
  cx.request_metadata.set(kInitialKey, kInitialValue);
  cx.request_metadata.set(kTrailingKey, kTrailingValue);
  auto s = co_await c.FullDuplexCall(cx);
  if (!s.ok()) co_return s.status();
  gt::StreamingOutputCallRequest req;
  req.add_response_parameters()->set_size(314159);
  req.mutable_payload()->set_body(zeros(271828));
  FERRY_CO_RETURN_IF_ERROR(co_await s->write(req));
  FERRY_CO_RETURN_IF_ERROR(co_await s->writes_done());
  gt::StreamingOutputCallResponse resp;
  auto more = co_await s->read(resp);
  if (!more.ok()) co_return more.status();
  FERRY_CO_RETURN_IF_ERROR(co_await s->finish());
  co_return check_echoed(cx);
}

Status expect_status(const Status& s, std::string_view message) {
  if (s.code() != absl::StatusCode::kUnknown || message_of(s) != message) {
    return fail(
        fmt::format("want UNKNOWN '{}', got {}", message, s.ToString()));
  }
  return Status();
}

Task<Status> status_with_message(Client& c, std::string_view message,
                                 bool also_streaming) {
  {
    Context cx;
    gt::SimpleRequest req;
    req.mutable_response_status()->set_code(2);
    req.mutable_response_status()->set_message(std::string(message));
    auto r = co_await c.UnaryCall(cx, req);
    FERRY_CO_RETURN_IF_ERROR(expect_status(r.status(), message));
  }
  if (!also_streaming) co_return Status();
  Context cx;
  auto s = co_await c.FullDuplexCall(cx);
  if (!s.ok()) co_return s.status();
  gt::StreamingOutputCallRequest req;
  req.mutable_response_status()->set_code(2);
  req.mutable_response_status()->set_message(std::string(message));
  FERRY_CO_RETURN_IF_ERROR(co_await s->write(req));
  FERRY_CO_RETURN_IF_ERROR(co_await s->writes_done());
  co_return expect_status(co_await s->finish(), message);
}

Task<Status> status_code_and_message(Client& c) {
  return status_with_message(c, "test status message", true);
}

Task<Status> special_status_message(Client& c) {
  return status_with_message(
      c,
      "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP "
      "\U0001F608\t\n",
      false);
}

Task<Status> unimplemented_method(Client& c) {
  Context cx;
  auto r = co_await c.UnimplementedCall(cx, gt::Empty());
  co_return expect_code(r.status(), absl::StatusCode::kUnimplemented, "status");
}

Task<Status> unimplemented_service(Client& c) {
  gt::UnimplementedService::Client<> other(c.channel());
  Context cx;
  auto r = co_await other.UnimplementedCall(cx, gt::Empty());
  co_return expect_code(r.status(), absl::StatusCode::kUnimplemented, "status");
}

using Case = Task<Status> (*)(Client&);
const std::vector<std::pair<std::string, Case>>& all_cases() {
  static const std::vector<std::pair<std::string, Case>> cases = {
      {"empty_unary", &empty_unary},
      {"large_unary", &large_unary},
      {"client_streaming", &client_streaming},
      {"server_streaming", &server_streaming},
      {"ping_pong", &ping_pong},
      {"empty_stream", &empty_stream},
      {"timeout_on_sleeping_server", &timeout_on_sleeping_server},
      {"cancel_after_begin", &cancel_after_begin},
      {"cancel_after_first_response", &cancel_after_first_response},
      {"custom_metadata", &custom_metadata},
      {"status_code_and_message", &status_code_and_message},
      {"special_status_message", &special_status_message},
      {"unimplemented_method", &unimplemented_method},
      {"unimplemented_service", &unimplemented_service},
      {"client_compressed_unary", &client_compressed_unary},
      {"server_compressed_unary", &server_compressed_unary},
      {"client_compressed_streaming", &client_compressed_streaming},
      {"server_compressed_streaming", &server_compressed_streaming},
  };
  return cases;
}

Task<int> run_cases(SocketAddress addr, std::string wanted) {
  Client client(ferry::grpc::Channel::create(addr));
  int failed = 0;
  int ran = 0;
  for (const auto& [name, fn] : all_cases()) {
    if (wanted != "all" && wanted != name) continue;
    ++ran;
    Status s = co_await with_timeout(fn(client), 20s);
    if (s.ok()) {
      fmt::print("PASS {}\n", name);
    } else {
      ++failed;
      fmt::print("FAIL {}: {}\n", name, s.ToString());
    }
    std::fflush(stdout);
  }
  if (ran == 0) {
    fmt::print(stderr, "grpc_interop_client: unknown test case '{}'\n", wanted);
    co_return 2;
  }
  co_return failed == 0 ? 0 : 1;
}

int run(int argc, char** argv) {
  auto flags = examples::Flags::parse(
      argc, argv, {"server_host", "server_port", "test_case", "use_tls"});
  if (!flags.ok()) {
    fmt::print(stderr, "grpc_interop_client: {}\n", message_of(flags.status()));
    return 2;
  }
  if (flags->get_or("use_tls", "false") != "false") {
    fmt::print(stderr, "grpc_interop_client: TLS is not supported yet\n");
    return 2;
  }
  std::string host = flags->get_or("server_host", "127.0.0.1");
  if (host == "localhost") host = "127.0.0.1";
  auto addr = SocketAddress::parse(
      fmt::format("{}:{}", host, flags->get_or("server_port", "50051")));
  if (!addr.ok()) {
    fmt::print(stderr, "grpc_interop_client: {}\n", message_of(addr.status()));
    return 2;
  }
  return block_on(run_cases(*addr, flags->get_or("test_case", "all")));
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
