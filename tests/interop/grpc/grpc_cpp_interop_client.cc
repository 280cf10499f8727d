// grpc_cpp_interop_client: the reference gRPC interop client, on gRPC C++
// (Debian's 1.51, sync API). Runs the cases of gRPC's interop test
// descriptions (doc/interop-test-descriptions.md) against a server of
// grpc.testing.TestService (../shared/interop/grpc/test.proto):
//
//   empty_unary large_unary client_streaming server_streaming ping_pong
//   empty_stream timeout_on_sleeping_server cancel_after_begin
//   cancel_after_first_response custom_metadata status_code_and_message
//   special_status_message unimplemented_method unimplemented_service
//   client_compressed_unary server_compressed_unary
//   client_compressed_streaming server_compressed_streaming
//
//   grpc_cpp_interop_client --server_host HOST --server_port PORT
//                           [--test_case NAME|all] [--use_tls false]
//
// Flags as gRPC's interop clients spell them (--name=value or --name
// value); --test_case defaults to all and may list several, comma-
// separated. Plaintext only. Prints `PASS <case>` or `FAIL <case>: <why>`
// per case and exits 0 only if every case passed (2: bad flags). Every call
// has a 10 s deadline, and each case gets its own channel, so one broken
// case cannot hang or poison the next.
//
// Compression is checked as gRPC's own client does: through core's
// test-only accessors for the received message's flags (compressed on the
// wire or not).

#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "bench/common/peer_main.h"
#include "interop_peer.h"
#include "src/proto/grpc/testing/test.grpc.pb.h"

namespace {

using grpc::ClientContext;
using grpc::Status;
using grpc::StatusCode;
using grpc::testing::Empty;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;
using grpc::testing::StreamingInputCallRequest;
using grpc::testing::StreamingInputCallResponse;
using grpc::testing::StreamingOutputCallRequest;
using grpc::testing::StreamingOutputCallResponse;
using grpc::testing::TestService;

using interop_peer::kEchoInitial;
using interop_peer::kEchoTrailingBin;

constexpr auto kCallDeadline = std::chrono::seconds(10);

constexpr char kEchoInitialValue[] = "test_initial_metadata_value";
const std::string kEchoTrailingBinValue("\xab\xab\xab", 3);

// A failed assertion: the case stops and reports `what`.
struct CaseFailure {
  std::string what;
};

#define EXPECT(cond, msg)           \
  do {                              \
    if (!(cond)) {                  \
      std::ostringstream os_;       \
      os_ << msg;                   \
      throw CaseFailure{os_.str()}; \
    }                               \
  } while (0)

std::string describe(const Status& s) {
  std::ostringstream os;
  os << "status " << static_cast<int>(s.error_code()) << " '"
     << s.error_message() << "'";
  return os.str();
}

void expect_ok(const Status& s, const char* step) {
  EXPECT(s.ok(), step << ": " << describe(s));
}

void expect_code(const Status& s, StatusCode code, const char* step) {
  EXPECT(s.error_code() == code, step << ": expected status "
                                      << static_cast<int>(code) << ", got "
                                      << describe(s));
}

void with_deadline(ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
}

std::string zeros(size_t n) { return std::string(n, '\0'); }

void expect_zeros(const std::string& body, size_t n, const char* step) {
  EXPECT(body.size() == n,
         step << ": payload is " << body.size() << " bytes, expected " << n);
  EXPECT(body == zeros(n), step << ": payload is not all zeros");
}

// Whether the message last received on `ctx`'s call was compressed on the
// wire.
bool was_compressed(ClientContext* ctx) {
  return interop_peer::last_message_compressed(ctx->c_call());
}

std::string find_md(const std::multimap<grpc::string_ref, grpc::string_ref>& md,
                    const std::string& key, bool* found) {
  auto it = md.find(key);
  *found = it != md.end();
  return *found ? std::string(it->second.data(), it->second.size())
                : std::string();
}

void expect_echoed_metadata(ClientContext* ctx, const char* step) {
  bool found = false;
  const std::string initial =
      find_md(ctx->GetServerInitialMetadata(), kEchoInitial, &found);
  EXPECT(found, step << ": no " << kEchoInitial << " in initial metadata");
  EXPECT(initial == kEchoInitialValue,
         step << ": " << kEchoInitial << " is '" << initial << "'");
  const std::string trailing =
      find_md(ctx->GetServerTrailingMetadata(), kEchoTrailingBin, &found);
  EXPECT(found, step << ": no " << kEchoTrailingBin << " in trailing metadata");
  EXPECT(trailing == kEchoTrailingBinValue,
         step << ": " << kEchoTrailingBin << " has the wrong value ("
              << trailing.size() << " bytes)");
}

SimpleRequest large_request() {
  SimpleRequest req;
  req.set_response_type(grpc::testing::COMPRESSABLE);
  req.set_response_size(314159);
  req.mutable_payload()->set_body(zeros(271828));
  return req;
}

StreamingOutputCallRequest output_request(int response_size, int body_size) {
  StreamingOutputCallRequest req;
  req.set_response_type(grpc::testing::COMPRESSABLE);
  req.add_response_parameters()->set_size(response_size);
  if (body_size >= 0) req.mutable_payload()->set_body(zeros(body_size));
  return req;
}

class Client {
 public:
  explicit Client(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)), stub_(TestService::NewStub(channel_)) {}

  void empty_unary() {
    ClientContext ctx;
    with_deadline(&ctx);
    Empty req, resp;
    expect_ok(stub_->EmptyCall(&ctx, req, &resp), "EmptyCall");
    EXPECT(resp.ByteSizeLong() == 0, "response is not empty");
  }

  void large_unary() {
    ClientContext ctx;
    with_deadline(&ctx);
    SimpleResponse resp;
    expect_ok(stub_->UnaryCall(&ctx, large_request(), &resp), "UnaryCall");
    expect_zeros(resp.payload().body(), 314159, "UnaryCall");
  }

  void client_compressed_unary() {
    {  // The feature probe: expects compression, sent uncompressed.
      ClientContext ctx;
      with_deadline(&ctx);
      SimpleRequest req = large_request();
      req.mutable_expect_compressed()->set_value(true);
      SimpleResponse resp;
      expect_code(stub_->UnaryCall(&ctx, req, &resp),
                  StatusCode::INVALID_ARGUMENT, "probe (uncompressed)");
    }
    for (const bool compressed : {true, false}) {
      ClientContext ctx;
      with_deadline(&ctx);
      if (compressed) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
      SimpleRequest req = large_request();
      req.mutable_expect_compressed()->set_value(compressed);
      SimpleResponse resp;
      const char* step = compressed ? "compressed call" : "uncompressed call";
      expect_ok(stub_->UnaryCall(&ctx, req, &resp), step);
      expect_zeros(resp.payload().body(), 314159, step);
    }
  }

  void server_compressed_unary() {
    for (const bool compressed : {true, false}) {
      ClientContext ctx;
      with_deadline(&ctx);
      SimpleRequest req = large_request();
      req.mutable_response_compressed()->set_value(compressed);
      SimpleResponse resp;
      const char* step =
          compressed ? "response_compressed=true" : "response_compressed=false";
      expect_ok(stub_->UnaryCall(&ctx, req, &resp), step);
      EXPECT(was_compressed(&ctx) == compressed,
             step << ": response compressed flag is "
                  << (compressed ? "not set" : "set"));
      expect_zeros(resp.payload().body(), 314159, step);
    }
  }

  void client_streaming() {
    ClientContext ctx;
    with_deadline(&ctx);
    StreamingInputCallResponse resp;
    auto stream = stub_->StreamingInputCall(&ctx, &resp);
    for (const int size : {27182, 8, 1828, 45904}) {
      StreamingInputCallRequest req;
      req.mutable_payload()->set_body(zeros(static_cast<size_t>(size)));
      EXPECT(stream->Write(req), "Write of " << size << " bytes failed: "
                                             << describe(stream->Finish()));
    }
    EXPECT(stream->WritesDone(), "WritesDone failed");
    expect_ok(stream->Finish(), "StreamingInputCall");
    EXPECT(resp.aggregated_payload_size() == 74922,
           "aggregated_payload_size " << resp.aggregated_payload_size());
  }

  void client_compressed_streaming() {
    {  // The feature probe: expects compression, sent uncompressed.
      ClientContext ctx;
      with_deadline(&ctx);
      StreamingInputCallResponse resp;
      auto stream = stub_->StreamingInputCall(&ctx, &resp);
      StreamingInputCallRequest req;
      req.mutable_expect_compressed()->set_value(true);
      req.mutable_payload()->set_body(zeros(27182));
      // The server may fail the call before the write completes.
      if (stream->Write(req)) stream->WritesDone();
      expect_code(stream->Finish(), StatusCode::INVALID_ARGUMENT,
                  "probe (uncompressed)");
    }
    ClientContext ctx;
    with_deadline(&ctx);
    ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    StreamingInputCallResponse resp;
    auto stream = stub_->StreamingInputCall(&ctx, &resp);
    StreamingInputCallRequest req;
    req.mutable_expect_compressed()->set_value(true);
    req.mutable_payload()->set_body(zeros(27182));
    EXPECT(stream->Write(req),
           "compressed Write failed: " << describe(stream->Finish()));
    req.mutable_expect_compressed()->set_value(false);
    req.mutable_payload()->set_body(zeros(45904));
    EXPECT(stream->Write(req, grpc::WriteOptions().set_no_compression()),
           "uncompressed Write failed: " << describe(stream->Finish()));
    EXPECT(stream->WritesDone(), "WritesDone failed");
    expect_ok(stream->Finish(), "StreamingInputCall");
    EXPECT(resp.aggregated_payload_size() == 73086,
           "aggregated_payload_size " << resp.aggregated_payload_size());
  }

  void server_streaming() {
    ClientContext ctx;
    with_deadline(&ctx);
    StreamingOutputCallRequest req;
    const std::vector<int> sizes = {31415, 9, 2653, 58979};
    for (const int size : sizes) req.add_response_parameters()->set_size(size);
    auto stream = stub_->StreamingOutputCall(&ctx, req);
    StreamingOutputCallResponse resp;
    size_t n = 0;
    while (stream->Read(&resp)) {
      EXPECT(n < sizes.size(), "more than " << sizes.size() << " responses");
      expect_zeros(resp.payload().body(), static_cast<size_t>(sizes[n]),
                   "response");
      ++n;
    }
    expect_ok(stream->Finish(), "StreamingOutputCall");
    EXPECT(n == sizes.size(), n << " responses, expected " << sizes.size());
  }

  void server_compressed_streaming() {
    ClientContext ctx;
    with_deadline(&ctx);
    StreamingOutputCallRequest req;
    const std::vector<std::pair<bool, int>> params = {{true, 31415},
                                                      {false, 92653}};
    for (const auto& [compressed, size] : params) {
      auto* p = req.add_response_parameters();
      p->mutable_compressed()->set_value(compressed);
      p->set_size(size);
    }
    auto stream = stub_->StreamingOutputCall(&ctx, req);
    StreamingOutputCallResponse resp;
    size_t n = 0;
    while (stream->Read(&resp)) {
      EXPECT(n < params.size(), "more than " << params.size() << " responses");
      const auto& [compressed, size] = params[n];
      EXPECT(was_compressed(&ctx) == compressed,
             "response " << n << ": compressed flag is "
                         << (compressed ? "not set" : "set"));
      expect_zeros(resp.payload().body(), static_cast<size_t>(size),
                   "response");
      ++n;
    }
    expect_ok(stream->Finish(), "StreamingOutputCall");
    EXPECT(n == params.size(), n << " responses, expected " << params.size());
  }

  void ping_pong() {
    ClientContext ctx;
    with_deadline(&ctx);
    auto stream = stub_->FullDuplexCall(&ctx);
    const std::vector<std::pair<int, int>> steps = {
        {31415, 27182}, {9, 8}, {2653, 1828}, {58979, 45904}};
    StreamingOutputCallResponse resp;
    for (const auto& [response_size, body_size] : steps) {
      EXPECT(stream->Write(output_request(response_size, body_size)),
             "Write failed: " << describe(stream->Finish()));
      EXPECT(stream->Read(&resp),
             "no response to the request for "
                 << response_size << " bytes: " << describe(stream->Finish()));
      expect_zeros(resp.payload().body(), static_cast<size_t>(response_size),
                   "response");
    }
    EXPECT(stream->WritesDone(), "WritesDone failed");
    EXPECT(!stream->Read(&resp), "a fifth response");
    expect_ok(stream->Finish(), "FullDuplexCall");
  }

  void empty_stream() {
    ClientContext ctx;
    with_deadline(&ctx);
    auto stream = stub_->FullDuplexCall(&ctx);
    EXPECT(stream->WritesDone(), "WritesDone failed");
    StreamingOutputCallResponse resp;
    EXPECT(!stream->Read(&resp), "a response to no request");
    expect_ok(stream->Finish(), "FullDuplexCall");
  }

  void timeout_on_sleeping_server() {
    ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(1));
    auto stream = stub_->FullDuplexCall(&ctx);
    StreamingOutputCallRequest req;
    req.mutable_payload()->set_body(zeros(27182));
    stream->Write(req);  // May fail: the deadline may be past already.
    expect_code(stream->Finish(), StatusCode::DEADLINE_EXCEEDED,
                "FullDuplexCall");
  }

  void cancel_after_begin() {
    ClientContext ctx;
    with_deadline(&ctx);
    StreamingInputCallResponse resp;
    auto stream = stub_->StreamingInputCall(&ctx, &resp);
    ctx.TryCancel();
    expect_code(stream->Finish(), StatusCode::CANCELLED, "StreamingInputCall");
  }

  void cancel_after_first_response() {
    ClientContext ctx;
    with_deadline(&ctx);
    auto stream = stub_->FullDuplexCall(&ctx);
    EXPECT(stream->Write(output_request(31415, 27182)),
           "Write failed: " << describe(stream->Finish()));
    StreamingOutputCallResponse resp;
    EXPECT(stream->Read(&resp),
           "no first response: " << describe(stream->Finish()));
    expect_zeros(resp.payload().body(), 31415, "first response");
    ctx.TryCancel();
    expect_code(stream->Finish(), StatusCode::CANCELLED, "FullDuplexCall");
  }

  void custom_metadata() {
    {
      ClientContext ctx;
      with_deadline(&ctx);
      ctx.AddMetadata(kEchoInitial, kEchoInitialValue);
      ctx.AddMetadata(kEchoTrailingBin, kEchoTrailingBinValue);
      SimpleResponse resp;
      expect_ok(stub_->UnaryCall(&ctx, large_request(), &resp), "UnaryCall");
      expect_zeros(resp.payload().body(), 314159, "UnaryCall");
      expect_echoed_metadata(&ctx, "UnaryCall");
    }
    ClientContext ctx;
    with_deadline(&ctx);
    ctx.AddMetadata(kEchoInitial, kEchoInitialValue);
    ctx.AddMetadata(kEchoTrailingBin, kEchoTrailingBinValue);
    auto stream = stub_->FullDuplexCall(&ctx);
    EXPECT(stream->Write(output_request(314159, 271828)),
           "Write failed: " << describe(stream->Finish()));
    EXPECT(stream->WritesDone(), "WritesDone failed");
    StreamingOutputCallResponse resp;
    EXPECT(stream->Read(&resp), "no response: " << describe(stream->Finish()));
    expect_zeros(resp.payload().body(), 314159, "FullDuplexCall");
    EXPECT(!stream->Read(&resp), "a second response");
    expect_ok(stream->Finish(), "FullDuplexCall");
    expect_echoed_metadata(&ctx, "FullDuplexCall");
  }

  void status_code_and_message() {
    const std::string message = "test status message";
    expect_unary_status(message);
    ClientContext ctx;
    with_deadline(&ctx);
    auto stream = stub_->FullDuplexCall(&ctx);
    StreamingOutputCallRequest req;
    req.mutable_response_status()->set_code(2);
    req.mutable_response_status()->set_message(message);
    // The server may end the call before the half-close goes out.
    if (stream->Write(req)) stream->WritesDone();
    const Status s = stream->Finish();
    expect_code(s, StatusCode::UNKNOWN, "FullDuplexCall");
    EXPECT(s.error_message() == message,
           "FullDuplexCall: status message '" << s.error_message() << "'");
  }

  void special_status_message() {
    expect_unary_status(
        "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP "
        "\U0001F608\t\n");
  }

  void unimplemented_method() {
    ClientContext ctx;
    with_deadline(&ctx);
    Empty req, resp;
    expect_code(stub_->UnimplementedCall(&ctx, req, &resp),
                StatusCode::UNIMPLEMENTED, "TestService/UnimplementedCall");
  }

  void unimplemented_service() {
    auto stub = grpc::testing::UnimplementedService::NewStub(channel_);
    ClientContext ctx;
    with_deadline(&ctx);
    Empty req, resp;
    expect_code(stub->UnimplementedCall(&ctx, req, &resp),
                StatusCode::UNIMPLEMENTED,
                "UnimplementedService/UnimplementedCall");
  }

 private:
  void expect_unary_status(const std::string& message) {
    ClientContext ctx;
    with_deadline(&ctx);
    SimpleRequest req;
    req.mutable_response_status()->set_code(2);
    req.mutable_response_status()->set_message(message);
    SimpleResponse resp;
    const Status s = stub_->UnaryCall(&ctx, req, &resp);
    expect_code(s, StatusCode::UNKNOWN, "UnaryCall");
    EXPECT(s.error_message() == message,
           "UnaryCall: status message '" << s.error_message() << "'");
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TestService::Stub> stub_;
};

using Case = void (Client::*)();
const std::vector<std::pair<std::string, Case>>& all_cases() {
  static const std::vector<std::pair<std::string, Case>> cases = {
      {"empty_unary", &Client::empty_unary},
      {"large_unary", &Client::large_unary},
      {"client_streaming", &Client::client_streaming},
      {"server_streaming", &Client::server_streaming},
      {"ping_pong", &Client::ping_pong},
      {"empty_stream", &Client::empty_stream},
      {"timeout_on_sleeping_server", &Client::timeout_on_sleeping_server},
      {"cancel_after_begin", &Client::cancel_after_begin},
      {"cancel_after_first_response", &Client::cancel_after_first_response},
      {"custom_metadata", &Client::custom_metadata},
      {"status_code_and_message", &Client::status_code_and_message},
      {"special_status_message", &Client::special_status_message},
      {"unimplemented_method", &Client::unimplemented_method},
      {"unimplemented_service", &Client::unimplemented_service},
      {"client_compressed_unary", &Client::client_compressed_unary},
      {"server_compressed_unary", &Client::server_compressed_unary},
      {"client_compressed_streaming", &Client::client_compressed_streaming},
      {"server_compressed_streaming", &Client::server_compressed_streaming},
  };
  return cases;
}

}  // namespace

int main(int argc, char** argv) {
  ferry::bench_common::PeerFlags flags(
      argc, argv, {"server_host", "server_port", "test_case", "use_tls"});
  const std::string host = flags.get("server_host");
  int port = 0;
  flags.number("server_port", 1, 65535, &port);
  const std::string test_case = flags.get("test_case", "all");
  if (flags.get("use_tls", "false") != "false") {
    flags.fail("only plaintext is supported");
  }
  if (host.empty() || port == 0) {
    flags.fail("--server_host and --server_port are required");
  }
  if (!flags.ok()) {
    return flags.usage_error(
        "grpc_cpp_interop_client",
        "usage: grpc_cpp_interop_client --server_host HOST "
        "--server_port PORT [--test_case NAME[,NAME...]|all] "
        "[--use_tls false]\n");
  }
  std::vector<std::pair<std::string, Case>> selected;
  if (test_case == "all") {
    selected = all_cases();
  } else {
    std::stringstream names(test_case);
    for (std::string name; std::getline(names, name, ',');) {
      bool known = false;
      for (const auto& c : all_cases()) {
        if (c.first == name) {
          selected.push_back(c);
          known = true;
        }
      }
      if (!known) {
        std::cerr << "grpc_cpp_interop_client: unknown test case '" << name
                  << "'\n";
        return 2;
      }
    }
  }

  const std::string target =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
      std::to_string(port);
  size_t failed = 0;
  for (const auto& [name, run] : selected) {
    // A channel per case: a case that breaks the connection cannot fail
    // the next one.
    Client client(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    try {
      (client.*run)();
      std::printf("PASS %s\n", name.c_str());
    } catch (const CaseFailure& f) {
      std::printf("FAIL %s: %s\n", name.c_str(), f.what.c_str());
      ++failed;
    }
    std::fflush(stdout);
  }
  std::printf("%zu of %zu cases passed\n", selected.size() - failed,
              selected.size());
  return failed == 0 ? 0 : 1;
}
