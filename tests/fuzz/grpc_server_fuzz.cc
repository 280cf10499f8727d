// libFuzzer: ferry's whole gRPC server (transport/grpc/server.cc and
// h2_connection.cc, through nghttp2) fed arbitrary bytes over a real TCP
// connection.
//
// One grpc::Server (127.0.0.1, ephemeral port, one worker thread, 64 KiB
// max_receive_message_size so the oversize path is reachable) serves
// fuzz_service.proto's fuzz.Svc (one method of each kind) in this process,
// so ASan and UBSan see everything it does.
//
// Input: byte 0 is options, the rest goes on the wire:
//   bit 0  0: send the client preface "PRI * HTTP/2.0..." first;
//          1: send the bytes as they are (fuzzes the preface check);
//   bit 1  linger: read what the server answers until it has been quiet
//          for kQuietMs before half-closing, so handlers run and their
//          responses (headers, messages, trailers, gzip) go out while the
//          connection is still open. Without it the half-close follows the
//          bytes at once and races the handlers.
// Then shutdown(SHUT_WR), read until EOF (1 s socket timeouts), close.
//
// Properties:
// - the server never crashes, and never trips ASan/UBSan;
// - no connection leaks: after the garbage connection, the server's
//   open-connection count drops back (to the liveness channel's one)
//   within 2 s: a connection whose client half-closed is always torn down;
// - liveness: then a well-formed unary call over ferry's own grpc::Channel,
//   from a separate runtime, succeeds and echoes its request (protocol
//   errors close only their connection; the server keeps serving). The
//   channel's connection persists between inputs and is replaced every
//   kFreshChannelEvery inputs (so accepting is checked too).
//
// libFuzzer's per-input leak check (re-running inputs that malloc more than
// they free, then an LSan pass) fires on most inputs here, since the
// server's and the channel's threads free some memory after the input
// returns; libFuzzer turns it off by itself after 1000 attempts (LSan still
// runs at exit). Pass -detect_leaks=0 to skip that slow start.
//
// Environment: FERRY_FUZZ_LIVENESS_EVERY=N runs the liveness call every N
// inputs instead of every input; FERRY_FUZZ_DUMP=file appends what the
// server sent back (raw HTTP/2) to `file`, to see what a seed does.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "fuzz_service.ferry.h"
#include "middleware/context.h"
#include "runtime/runtime.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "runtime/time.h"
#include "transport/grpc/channel.h"
#include "transport/grpc/server.h"
#include "transport/grpc/service.h"

namespace {

using namespace std::chrono_literals;
using ferry::Context;
using ferry::Result;
using ferry::Status;
using ferry::Task;

constexpr std::size_t kMaxMessage = 64 * 1024;
constexpr int kMaxExpand = 8;
constexpr int kMaxSleepUs = 2000;
constexpr int kQuietMs = 5;
constexpr int kLingerMaxMs = 200;
constexpr unsigned kFreshChannelEvery = 256;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "grpc_server_fuzz: %s: %s\n", what, detail.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

// Echoes: the request's text (Collect: all texts joined), the request
// metadata back as response headers and trailers (so arbitrary header
// names and values reach the response path), a status on request.
class Handler {
 public:
  Task<Result<fuzz::Msg>> Unary(Context& cx, const fuzz::Msg& req) {
    auto s = co_await prepare(cx, req);
    if (!s.ok()) co_return s;
    co_return req;
  }

  Task<Result<fuzz::Msg>> Collect(Context& cx,
                                  ferry::grpc::ServerReader<fuzz::Msg>& r) {
    echo_metadata(cx);
    fuzz::Msg all;
    fuzz::Msg req;
    for (;;) {
      auto more = co_await r.read(req);
      if (!more.ok()) co_return more.status();
      if (!*more) break;
      auto s = co_await prepare(cx, req);
      if (!s.ok()) co_return s;
      // Bounded: each message is at most kMaxMessage and the connection's
      // bytes are the fuzzer's input.
      all.mutable_text()->append(req.text());
    }
    co_return all;
  }

  Task<Status> Expand(Context& cx, const fuzz::Msg& req,
                      ferry::grpc::ServerWriter<fuzz::Msg>& w) {
    auto s = co_await prepare(cx, req);
    if (!s.ok()) co_return s;
    const int n = std::clamp(req.count(), 0, kMaxExpand);
    for (int i = 0; i < n; ++i) {
      fuzz::Msg out = req;
      out.set_count(i);
      auto written = co_await w.write(out);
      if (!written.ok()) co_return written;
    }
    co_return Status();
  }

  Task<Status> Chat(Context& cx,
                    ferry::grpc::ServerStream<fuzz::Msg, fuzz::Msg>& stream) {
    echo_metadata(cx);
    fuzz::Msg req;
    for (;;) {
      auto more = co_await stream.read(req);
      if (!more.ok()) co_return more.status();
      if (!*more) co_return Status();
      auto s = co_await prepare(cx, req);
      if (!s.ok()) co_return s;
      auto written = co_await stream.write(req);
      if (!written.ok()) co_return written;
    }
  }

 private:
  static void echo_metadata(Context& cx) {
    if (!cx.response_metadata.empty()) return;
    for (const auto& [key, value] : cx.request_metadata.entries()) {
      cx.response_metadata.add(key, value);
      cx.response_trailers.add(key, value);
    }
  }

  // Metadata echo, compression, the requested sleep and status.
  static Task<Status> prepare(Context& cx, const fuzz::Msg& req) {
    echo_metadata(cx);
    if (req.compress()) {
      cx.extension<ferry::grpc::CallOptions>().compress = true;
    }
    if (req.sleep_us() > 0) {
      auto slept = co_await ferry::sleep_for(
          std::chrono::microseconds(std::min(req.sleep_us(), kMaxSleepUs)));
      if (!slept.ok()) co_return slept;
    }
    if (req.code() > 0 && req.code() <= 16) {
      co_return Status(static_cast<absl::StatusCode>(req.code()), req.text());
    }
    co_return Status();
  }
};

struct Harness {
  Handler handler;
  ferry::grpc::ServiceRegistry services;
  std::unique_ptr<ferry::grpc::Server> server;
  std::unique_ptr<ferry::Runtime> client_rt;    // runs the liveness calls
  std::optional<ferry::grpc::Channel> channel;  // used on client_rt only
  sockaddr_in addr{};
  unsigned liveness_every = 1;
  unsigned long inputs = 0;
  unsigned long read_timeouts = 0;

  Harness() {
    services.add<fuzz::Svc>(&handler);
    ferry::grpc::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    options.max_receive_message_size = kMaxMessage;
    options.shutdown_grace = 100ms;
    auto started = ferry::grpc::Server::start(options, services);
    if (!started.ok()) fail("server start", started.status().ToString());
    server = std::move(*started);
    auto rt = ferry::Runtime::create({.workers = 1});
    if (!rt.ok()) fail("client runtime", rt.status().ToString());
    client_rt = std::move(*rt);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server->address().port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (const char* e = std::getenv("FERRY_FUZZ_LIVENESS_EVERY")) {
      liveness_every = static_cast<unsigned>(std::max(1, std::atoi(e)));
    }
  }
};

// Never destroyed: the server's worker keeps running until exit.
Harness& harness() {
  static Harness* h = new Harness();
  return *h;
}

void set_timeouts(int fd, int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Sends everything (or until the server stops reading); false on error.
bool send_all(int fd, const uint8_t* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

FILE* dump_file() {
  static FILE* f = [] {
    const char* path = std::getenv("FERRY_FUZZ_DUMP");
    return path != nullptr ? std::fopen(path, "ab") : nullptr;
  }();
  return f;
}

void dump(const char* p, ssize_t n) {
  if (n > 0 && dump_file() != nullptr) {
    std::fwrite(p, 1, static_cast<std::size_t>(n), dump_file());
    std::fflush(dump_file());
  }
}

// Reads until the server has been quiet for kQuietMs (or kLingerMaxMs in
// all, or EOF). True if the server closed the connection.
bool linger(int fd) {
  char buf[16384];
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(kLingerMaxMs);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, kQuietMs);
    if (r <= 0) return false;  // quiet
    const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0) return true;
    dump(buf, got);
  }
  return false;
}

// False if the read timed out before EOF.
bool read_to_eof(int fd) {
  char buf[16384];
  for (;;) {
    const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    dump(buf, got);
    if (got == 0) return true;
    if (got < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

void garbage_connection(Harness& h, const uint8_t* data, std::size_t size) {
  const uint8_t options = size > 0 ? data[0] : 0;
  if (size > 0) {
    ++data;
    --size;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", std::strerror(errno));
  set_timeouts(fd, 1000);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&h.addr),
                sizeof h.addr) != 0) {
    fail("connect to the server", std::strerror(errno));
  }
  static constexpr std::string_view kPreface =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  bool ok = true;
  if ((options & 1) == 0) {
    ok = send_all(fd, reinterpret_cast<const uint8_t*>(kPreface.data()),
                  kPreface.size());
  }
  if (ok) ok = send_all(fd, data, size);
  bool closed = false;
  if (ok && (options & 2) != 0) closed = linger(fd);
  ::shutdown(fd, SHUT_WR);
  if (!closed && !read_to_eof(fd)) ++h.read_timeouts;
  ::close(fd);
}

// On the client runtime's worker: one unary call over `h.channel`, which
// persists between calls (opened on first use, and again after
// close_channel).
Task<Status> unary_call(Harness& h) {
  if (!h.channel) h.channel = ferry::grpc::Channel::create(h.server->address());
  fuzz::Svc::Client<> client(*h.channel);
  Context cx;
  cx.deadline = ferry::clock_now() + 5s;
  cx.request_metadata.add("x-liveness", "yes");
  fuzz::Msg req;
  req.set_text("liveness " + std::to_string(h.inputs));
  auto reply = co_await client.Unary(cx, req);
  if (!reply.ok()) co_return reply.status();
  if (reply->text() != req.text()) {
    co_return absl::DataLossError("echo mismatch: " + reply->text());
  }
  co_return Status();
}

Task<void> close_channel(Harness& h) {
  if (h.channel) co_await h.channel->close();
  h.channel.reset();
}

void check_liveness(Harness& h) {
  Status s = h.client_rt->block_on(unary_call(h));
  if (!s.ok()) fail("liveness: a well-formed unary call failed", s.ToString());
}

// The server tears down every connection whose client went away: its
// open-connection count drops to `expected` (the liveness channel's) within
// 2 s (also: its teardown happens inside the input that caused it).
void check_connections_closed(Harness& h, uint64_t expected) {
  const auto end = std::chrono::steady_clock::now() + 2s;
  uint64_t open = 0;
  while (std::chrono::steady_clock::now() < end) {
    open = h.server->stats().connections_open;
    if (open <= expected) return;
    std::this_thread::yield();
  }
  fail("connection leak",
       std::to_string(open - expected) +
           " connection(s) still open 2 s after their clients closed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  Harness& h = harness();
  ++h.inputs;
  garbage_connection(h, data, size);
  check_connections_closed(h, h.channel ? 1 : 0);
  if (h.inputs % h.liveness_every == 0) check_liveness(h);
  if (h.inputs % kFreshChannelEvery == 0) {
    // The next liveness call opens a new connection: accepting still works.
    h.client_rt->block_on(close_channel(h));
    check_connections_closed(h, 0);
    if (h.read_timeouts > 0) {
      std::fprintf(stderr,
                   "grpc_server_fuzz: %lu of %lu inputs: no EOF within 1 s\n",
                   h.read_timeouts, h.inputs);
    }
  }
  return 0;
}
