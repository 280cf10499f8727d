#include "runtime/net.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "runtime/combinators.h"
#include "runtime/internal/worker.h"
#include "runtime/task_group.h"
#include "runtime/time.h"
#include "tests/support/co_test.h"
#include "tests/support/tcp_pair.h"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::StatusIs;

std::string pattern(std::size_t n, int seed = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  }
  return s;
}

// Echoes everything it reads until EOF or error.
Task<void> echo_connection(TcpStream s) {
  for (;;) {
    Result<IoBuf> data = co_await s.read();
    if (!data.ok() || data->empty()) break;
    if (!(co_await s.write(std::move(*data))).ok()) break;
  }
  co_await s.close();
}

// Accepts until cancelled, one echo task per connection.
Task<void> echo_server(TcpListener* listener, TaskGroup* conns) {
  for (;;) {
    Result<TcpStream> s = co_await listener->accept();
    if (!s.ok()) break;
    conns->spawn(echo_connection(std::move(*s)));
  }
}

// An echo server on an ephemeral loopback port, stopped by `stop()`.
struct EchoServer {
  TcpListener listener;
  TaskGroup conns;
  TaskGroup acceptor;

  static Result<std::unique_ptr<EchoServer>> start(
      SocketAddress addr = SocketAddress::loopback_v4(0)) {
    auto server = std::make_unique<EchoServer>();
    FERRY_ASSIGN_OR_RETURN(server->listener, TcpListener::bind(addr));
    server->acceptor.spawn(echo_server(&server->listener, &server->conns));
    return server;
  }
  SocketAddress address() const { return listener.local_address(); }
  Task<void> stop() {
    acceptor.cancel();
    co_await acceptor.join();
    conns.cancel();
    co_await conns.join();
    co_await listener.close();
  }
};

Task<Status> round_trip(const SocketAddress& addr, std::string payload) {
  FERRY_CO_ASSIGN_OR_RETURN(TcpStream c, co_await TcpStream::connect(addr));
  // Write and read at once: a payload larger than the socket buffers would
  // otherwise deadlock against the echo.
  auto [sent, back] = co_await when_all(c.write(IoBuf::copy_from(payload)),
                                        c.read_exact(payload.size()));
  FERRY_CO_RETURN_IF_ERROR(sent);
  FERRY_CO_RETURN_IF_ERROR(back);
  if (!(*back == payload)) co_return absl::DataLossError("echo mismatch");
  co_await c.close();
  co_return Status();
}

FERRY_CO_TEST(TcpTest, RoundTripsOverIpv4) {
  auto server = EchoServer::start();
  FERRY_CO_ASSERT_OK(server);
  EXPECT_NE((*server)->address().port(), 0);
  EXPECT_THAT(co_await round_trip((*server)->address(), "hello ferry"), IsOk());
  co_await (*server)->stop();
}

FERRY_CO_TEST(TcpTest, RoundTripsOverIpv6) {
  auto server = EchoServer::start(SocketAddress::loopback_v6(0));
  if (!server.ok()) {
    FERRY_CO_SKIP("no IPv6 loopback: " + server.status().ToString());
  }
  EXPECT_EQ((*server)->address().family(), AF_INET6);
  EXPECT_THAT(co_await round_trip((*server)->address(), "v6"), IsOk());
  co_await (*server)->stop();
}

FERRY_CO_TEST(TcpTest, LargeWritesArriveIntactThroughPartialReads) {
  auto server = EchoServer::start();
  FERRY_CO_ASSERT_OK(server);
  // 8 MiB: far more than a socket buffer, so sends are partial and the
  // peer's reads see many chunks.
  EXPECT_THAT(co_await round_trip((*server)->address(), pattern(8 << 20)),
              IsOk());
  co_await (*server)->stop();
}

FERRY_CO_TEST(TcpTest, ReadExactKeepsTheSurplusForTheNextRead) {
  auto server = EchoServer::start();
  FERRY_CO_ASSERT_OK(server);
  auto c = co_await TcpStream::connect((*server)->address());
  FERRY_CO_ASSERT_OK(c);
  FERRY_CO_ASSERT_OK(co_await c->write(IoBuf::copy_from("abcdefghij")));
  auto a = co_await c->read_exact(3);
  auto b = co_await c->read_exact(4);
  auto rest = co_await c->read_exact(3);
  FERRY_CO_ASSERT_OK(rest);
  EXPECT_EQ(a->to_string(), "abc");
  EXPECT_EQ(b->to_string(), "defg");
  EXPECT_EQ(rest->to_string(), "hij");
  co_await c->close();
  co_await (*server)->stop();
}

FERRY_CO_TEST(TcpTest, ReadReturnsEmptyAtEndOfStream) {
  auto pair = co_await testing::connected_pair();
  FERRY_CO_ASSERT_OK(pair);
  TcpStream client = std::move(pair->client);
  TcpStream server_side = std::move(pair->server);
  FERRY_CO_ASSERT_OK(co_await client.write(IoBuf::copy_from("bye")));
  FERRY_CO_ASSERT_OK(client.shutdown_write());
  auto all = co_await server_side.read_exact(3);
  EXPECT_EQ(all->to_string(), "bye");
  auto eof = co_await server_side.read();
  FERRY_CO_ASSERT_OK(eof);
  EXPECT_TRUE(eof->empty());
  auto short_read = co_await server_side.read_exact(1);
  EXPECT_THAT(short_read, StatusIs(absl::StatusCode::kUnavailable,
                                   HasSubstr("peer closed after 0 of 1")));
}

FERRY_CO_TEST(TcpTest, ConnectToAClosedPortFailsClearly) {
  uint16_t port;
  {
    auto l = TcpListener::bind(SocketAddress::loopback_v4(0));
    FERRY_CO_ASSERT_OK(l);
    port = l->local_address().port();
    co_await l->close();
  }
  auto c = co_await TcpStream::connect(SocketAddress::loopback_v4(port));
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kUnavailable,
                          AllOf(HasSubstr("connect to 127.0.0.1:"),
                                HasSubstr("Connection refused"))));
}

FERRY_CO_TEST(TcpTest, ConnectGivesUpAtItsTimeout) {
  // A listener that never accepts, with the smallest backlog: once its
  // queue is full the kernel drops further SYNs and connects hang.
  auto l = TcpListener::bind(SocketAddress::loopback_v4(0), {.backlog = 0});
  FERRY_CO_ASSERT_OK(l);
  std::vector<TcpStream> queued;
  Status last;
  for (int i = 0; i < 8; ++i) {
    auto c = co_await TcpStream::connect(l->local_address(), {.timeout = 50ms});
    if (!c.ok()) {
      last = c.status();
      break;
    }
    queued.push_back(std::move(*c));
  }
  EXPECT_THAT(last, StatusIs(absl::StatusCode::kDeadlineExceeded,
                             AllOf(HasSubstr("connect to 127.0.0.1:"),
                                   HasSubstr("deadline exceeded"))));
}

FERRY_CO_TEST(TcpTest, BindingABusyPortWithoutReusePortFails) {
  auto a =
      TcpListener::bind(SocketAddress::loopback_v4(0), {.reuse_port = false});
  FERRY_CO_ASSERT_OK(a);
  auto b = TcpListener::bind(a->local_address(), {.reuse_port = false});
  EXPECT_THAT(b, StatusIs(absl::StatusCode::kAlreadyExists,
                          HasSubstr("bind 127.0.0.1:")));
  co_return;
}

FERRY_CO_TEST(TcpTest, CancellingAPendingReadLosesNoData) {
  auto pair = co_await testing::connected_pair();
  FERRY_CO_ASSERT_OK(pair);
  TcpStream client = std::move(pair->client);
  TcpStream peer = std::move(pair->server);
  // Nothing to read: the read is cancelled by the deadline.
  Result<IoBuf> r = co_await with_timeout(client.read(), 20ms);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
  // The stream still works and nothing sent afterwards is lost.
  FERRY_CO_ASSERT_OK(co_await peer.write(IoBuf::copy_from("after")));
  auto got = co_await client.read_exact(5);
  FERRY_CO_ASSERT_OK(got);
  EXPECT_EQ(got->to_string(), "after");
}

FERRY_CO_TEST(TcpTest, CancellingAPendingAcceptLeavesTheListenerUsable) {
  auto listener = TcpListener::bind(SocketAddress::loopback_v4(0));
  FERRY_CO_ASSERT_OK(listener);
  auto r = co_await with_timeout(listener->accept(), 10ms);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
  auto [client, accepted] = co_await when_all(
      TcpStream::connect(listener->local_address()), listener->accept());
  EXPECT_THAT(client, IsOk());
  EXPECT_THAT(accepted, IsOk());
}

Task<void> read_forever(TcpStream* s, bool* finished) {
  (void)co_await s->read();
  *finished = true;
}

FERRY_CO_TEST(TcpTest, DestroyingATaskMidReadReleasesEverything) {
  internal::Worker* w = internal::Worker::current();
  auto pair = co_await testing::connected_pair();
  FERRY_CO_ASSERT_OK(pair);
  TcpStream client = std::move(pair->client);
  TcpStream peer = std::move(pair->server);
  bool finished = false;
  {
    TaskGroup g;
    g.spawn(read_forever(&client, &finished));
    co_await yield_now();
    co_await yield_now();
  }  // the reading frame is destroyed while its read is pending
  EXPECT_FALSE(finished);
  // The stream itself survives and keeps its data.
  FERRY_CO_ASSERT_OK(co_await peer.write(IoBuf::copy_from("still here")));
  auto got = co_await client.read_exact(10);
  FERRY_CO_ASSERT_OK(got);
  EXPECT_EQ(got->to_string(), "still here");
  const std::size_t ops_before = w->live_ops();
  {
    TaskGroup g;
    auto owner = [](TcpStream s) -> Task<void> {
      (void)co_await s.read();  // frame and stream die together
    };
    g.spawn(owner(std::move(client)));
    co_await yield_now();
    co_await yield_now();
  }
  // The orphaned recv is reaped once the kernel hands it back.
  for (int i = 0; i < 100 && w->live_ops() > ops_before; ++i) {
    co_await sleep_for(1ms);
  }
  EXPECT_LE(w->live_ops(), ops_before);
}

FERRY_CO_TEST(TcpTest, DestroyingATaskMidWriteReleasesTheBuffer) {
  internal::Worker* w = internal::Worker::current();
  auto pair = co_await testing::connected_pair();
  FERRY_CO_ASSERT_OK(pair);
  TcpStream client = std::move(pair->client);
  TcpStream peer = std::move(pair->server);  // never reads
  const std::size_t ops_before = w->live_ops();
  bool finished = false;
  {
    TaskGroup g;
    auto writer = [](TcpStream* s, bool* done) -> Task<void> {
      (void)co_await s->write(IoBuf::copy_from(pattern(64 << 20)));
      *done = true;
    };
    g.spawn(writer(&client, &finished));
    for (int i = 0; i < 5; ++i) co_await sleep_for(1ms);
  }  // the 64 MiB send is still in flight: its op keeps the buffer
  EXPECT_FALSE(finished);
  for (int i = 0; i < 100 && w->live_ops() > ops_before; ++i) {
    co_await sleep_for(1ms);
  }
  EXPECT_LE(w->live_ops(), ops_before);
}

FERRY_CO_TEST(TcpTest, ClosingAStreamCancelsOtherTasksReadsAndWrites) {
  auto pair = co_await testing::connected_pair();
  FERRY_CO_ASSERT_OK(pair);
  TcpStream client = std::move(pair->client);
  TcpStream peer = std::move(pair->server);  // never reads: writes block
  Status write_status, read_status;
  TaskGroup g;
  g.spawn([](TcpStream* s, Status* out) -> Task<void> {
    *out = co_await s->write(IoBuf::copy_from(pattern(64 << 20)));
  }(&client, &write_status));
  g.spawn([](TcpStream* s, Status* out) -> Task<void> {
    Result<IoBuf> r = co_await s->read();
    *out = r.status();
  }(&client, &read_status));
  for (int i = 0; i < 5; ++i) co_await sleep_for(1ms);
  co_await client.close();  // both tasks are mid-operation
  co_await g.join();
  EXPECT_THAT(write_status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(read_status, StatusIs(absl::StatusCode::kCancelled));
  // The fd number is free again; a new connection must not see the old
  // stream's bytes or ops.
  auto next = co_await testing::connected_pair();
  FERRY_CO_ASSERT_OK(next);
  FERRY_CO_ASSERT_OK(co_await next->client.write(IoBuf::copy_from("new")));
  auto got = co_await next->server.read_exact(3);
  FERRY_CO_ASSERT_OK(got);
  EXPECT_EQ(got->to_string(), "new");
}

FERRY_CO_TEST(TcpTest, DestroyingAStreamWhileAnotherTaskReadsIsSafe) {
  auto pair = co_await testing::connected_pair();
  FERRY_CO_ASSERT_OK(pair);
  auto owner = std::make_unique<TcpStream>(std::move(pair->client));
  Status read_status;
  TaskGroup g;
  g.spawn([](TcpStream* s, Status* out) -> Task<void> {
    Result<IoBuf> r = co_await s->read();
    *out = r.status();
  }(owner.get(), &read_status));
  co_await yield_now();
  co_await yield_now();
  owner.reset();  // the reader still holds the stream's core
  co_await g.join();
  EXPECT_THAT(read_status, StatusIs(absl::StatusCode::kCancelled));
}

FERRY_CO_TEST(TcpTest, ClosingAListenerCancelsAPendingAccept) {
  auto listener = TcpListener::bind(SocketAddress::loopback_v4(0));
  FERRY_CO_ASSERT_OK(listener);
  Status accept_status;
  TaskGroup g;
  g.spawn([](TcpListener* l, Status* out) -> Task<void> {
    Result<TcpStream> r = co_await l->accept();
    *out = r.status();
  }(&*listener, &accept_status));
  co_await yield_now();
  co_await yield_now();
  co_await listener->close();
  co_await g.join();
  EXPECT_THAT(accept_status, StatusIs(absl::StatusCode::kCancelled));
}

FERRY_CO_TEST(TcpTest, PeerResetMidWriteFailsOnlyThatConnection) {
  auto server = EchoServer::start();
  FERRY_CO_ASSERT_OK(server);
  auto pair = co_await testing::connected_pair();
  FERRY_CO_ASSERT_OK(pair);
  TcpStream victim = std::move(pair->client);
  TcpStream rude_peer = std::move(pair->server);
  // A healthy connection to the echo server, in use across the reset.
  auto healthy = co_await TcpStream::connect((*server)->address());
  FERRY_CO_ASSERT_OK(healthy);

  auto write_until_error = [](TcpStream* s) -> Task<Status> {
    for (int i = 0; i < 1000; ++i) {
      FERRY_CO_RETURN_IF_ERROR(
          co_await s->write(IoBuf::copy_from(pattern(1 << 20))));
    }
    co_return absl::InternalError("peer never reset");
  };
  auto reset_soon = [](TcpStream* s) -> Task<void> {
    co_await sleep_for(5ms);
    // SO_LINGER 0 turns close into a RST.
    linger lg{1, 0};
    ::setsockopt(s->fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    co_await s->close();
  };
  auto [write_status, unused] =
      co_await when_all(write_until_error(&victim), reset_soon(&rude_peer));
  (void)unused;
  EXPECT_THAT(write_status,
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("send to 127.0.0.1:"),
                             AnyOf(HasSubstr("reset"), HasSubstr("pipe")))));
  // Everything else is untouched.
  FERRY_CO_ASSERT_OK(co_await healthy->write(IoBuf::copy_from("fine")));
  auto echoed = co_await healthy->read_exact(4);
  FERRY_CO_ASSERT_OK(echoed);
  EXPECT_EQ(echoed->to_string(), "fine");
  co_await healthy->close();
  co_await (*server)->stop();
}

void raise_fd_limit() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
}

FERRY_CO_TEST(TcpTest, EchoesThroughAThousandConcurrentConnections) {
  raise_fd_limit();
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 2100) {
    FERRY_CO_SKIP("RLIMIT_NOFILE " + std::to_string(rl.rlim_cur) + " < 2100");
  }
  auto server = EchoServer::start();
  FERRY_CO_ASSERT_OK(server);
  const SocketAddress addr = (*server)->address();
  auto client = [](SocketAddress a, int id) -> Task<Status> {
    FERRY_CO_ASSIGN_OR_RETURN(TcpStream c, co_await TcpStream::connect(a));
    for (int round = 0; round < 3; ++round) {
      const std::string msg = pattern(100 + id % 50, id + round);
      FERRY_CO_RETURN_IF_ERROR(co_await c.write(IoBuf::copy_from(msg)));
      FERRY_CO_ASSIGN_OR_RETURN(IoBuf back, co_await c.read_exact(msg.size()));
      if (!(back == msg)) co_return absl::DataLossError("mismatch");
      // Keep every connection open until all have echoed once.
      co_await sleep_for(1ms);
    }
    co_await c.close();
    co_return Status();
  };
  std::vector<Task<Status>> clients;
  for (int i = 0; i < 1000; ++i) clients.push_back(client(addr, i));
  std::vector<Status> results = co_await when_all(std::move(clients));
  int ok = 0;
  for (const Status& s : results) {
    if (s.ok()) {
      ++ok;
    } else {
      ADD_FAILURE() << s;
    }
  }
  EXPECT_EQ(ok, 1000);
  co_await (*server)->stop();
}

TEST(SocketAddressTest, ParsesAndFormats) {
  auto v4 = SocketAddress::parse("127.0.0.1:8080");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->port(), 8080);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:8080");
  auto v6 = SocketAddress::parse("[::1]:9");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->to_string(), "[::1]:9");
  EXPECT_EQ(v6->with_port(10).port(), 10);
}

TEST(SocketAddressTest, RejectsMalformedInput) {
  EXPECT_THAT(
      SocketAddress::parse("localhost:80"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a numeric")));
  EXPECT_THAT(SocketAddress::parse("1.2.3.4"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      SocketAddress::parse("1.2.3.4:70000"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port '70000'")));
  EXPECT_THAT(SocketAddress::parse("[::1:80"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ferry
