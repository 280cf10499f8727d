#include "examples/raw_echo/echo_client.h"

#include <fmt/core.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "examples/raw_echo/frame.h"
#include "runtime/combinators.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "runtime/time.h"

namespace ferry::raw_echo {
namespace {

// splitmix64: cheap, and every (connection, message) pair gets different
// bytes, so an echo delivered to the wrong connection or out of order fails
// verification instead of passing by coincidence.
uint64_t mix(uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// Writes frame `message` of connection `connection` into `frame` (already
// sized kHeaderSize + payload).
void fill_frame(std::string& frame, std::size_t connection,
                std::size_t message) {
  encode_header(static_cast<uint32_t>(frame.size() - kHeaderSize),
                frame.data());
  uint64_t state = mix((uint64_t{connection} << 32) ^ message);
  for (std::size_t i = kHeaderSize; i < frame.size(); i += 8) {
    state = mix(state);
    const std::size_t n = std::min<std::size_t>(8, frame.size() - i);
    for (std::size_t b = 0; b < n; ++b) {
      frame[i + b] = static_cast<char>(state >> (8 * b));
    }
  }
}

Status with_context(const Status& s, std::size_t connection,
                    std::size_t message) {
  return Status(s.code(), fmt::format("connection {}, message {}: {}",
                                      connection, message, message_of(s)));
}

Task<Status> run_connection(const ClientOptions& options, SocketAddress addr,
                            std::size_t index) {
  Result<TcpStream> conn = co_await TcpStream::connect(addr);
  if (!conn.ok()) co_return with_context(conn.status(), index, 0);
  std::string frame(kHeaderSize + options.payload, '\0');
  for (std::size_t m = 0; m < options.messages; ++m) {
    fill_frame(frame, index, m);
    Status sent = co_await conn->write(IoBuf::copy_from(frame));
    if (!sent.ok()) co_return with_context(sent, index, m);
    Result<IoBuf> echo = co_await with_timeout(conn->read_exact(frame.size()),
                                               options.echo_timeout);
    if (!echo.ok()) {
      co_return with_context(
          Status(echo.status().code(), fmt::format("waiting for the echo: {}",
                                                   message_of(echo.status()))),
          index, m);
    }
    if (!(*echo == frame)) {
      const std::string got = echo->to_string();
      const auto diff = std::mismatch(got.begin(), got.end(), frame.begin());
      co_return with_context(
          absl::DataLossError(
              fmt::format("echo differs from what was sent at byte {} of {}",
                          diff.first - got.begin(), frame.size())),
          index, m);
    }
  }
  co_await conn->close();
  co_return Status();
}

Task<Status> run_all(const ClientOptions& options, SocketAddress addr) {
  std::vector<Task<Status>> connections;
  connections.reserve(options.connections);
  for (std::size_t i = 0; i < options.connections; ++i) {
    connections.push_back(run_connection(options, addr, i));
  }
  std::vector<Status> results = co_await when_all(std::move(connections));
  for (Status& s : results) {
    if (!s.ok()) co_return std::move(s);
  }
  co_return Status();
}

}  // namespace

Result<ClientReport> run_client(const ClientOptions& options) {
  if (options.payload > kMaxFrameSize) {
    return absl::InvalidArgumentError(
        fmt::format("--payload {} exceeds the {} byte frame limit",
                    options.payload, kMaxFrameSize));
  }
  std::string host = options.host;
  if (host.find(':') != std::string::npos && host.front() != '[') {
    host = fmt::format("[{}]", host);  // a bare IPv6 address
  }
  FERRY_ASSIGN_OR_RETURN(SocketAddress addr, SocketAddress::parse(fmt::format(
                                                 "{}:{}", host, options.port)));
  // block_on aborts when no backend can start; check first so a bad
  // FERRY_IO_BACKEND is an error message, not a crash.
  FERRY_RETURN_IF_ERROR(resolve_backend(RuntimeOptions{}).status());

  const auto start = std::chrono::steady_clock::now();
  FERRY_RETURN_IF_ERROR(block_on(run_all(options, addr)));
  ClientReport report;
  report.elapsed = std::chrono::steady_clock::now() - start;
  return report;
}

std::string client_line(const ClientOptions& options,
                        const ClientReport& report) {
  return fmt::format(
      "raw_echo: {} connections x {} messages of {} bytes echoed and verified "
      "in {:.1f} ms",
      options.connections, options.messages, options.payload,
      std::chrono::duration<double, std::milli>(report.elapsed).count());
}

}  // namespace ferry::raw_echo
