// End-to-end tests of the gRPC server and client: generated stubs over real
// sockets on 127.0.0.1, all four call kinds, metadata and status, deadlines
// and cancellation, flow control with large messages and slow readers,
// limits, bad input, health checking and graceful shutdown.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "grpc_calc.ferry.h"
#include "middleware/builder.h"
#include "runtime/combinators.h"
#include "runtime/runtime.h"
#include "runtime/time.h"
#include "tests/support/status_matchers.h"
#include "transport/grpc/channel.h"
#include "transport/grpc/health.ferry.h"
#include "transport/grpc/server.h"

namespace ferry::grpc {
namespace {

using namespace std::chrono_literals;
using ::ferry::testing::IsOk;
using ::ferry::testing::StatusIs;
using ::ferry_test::grpc::Calc;
using ::ferry_test::grpc::Num;
namespace hv1 = ::grpc::health::v1;

Num num(int64_t value, std::string pad = {}) {
  Num n;
  n.set_value(value);
  n.set_pad(std::move(pad));
  return n;
}

struct CalcHandler {
  Task<Result<Num>> Add(Context& cx, const Num& req) {
    if (auto v = cx.request_metadata.get("echo-me")) {
      cx.response_metadata.set("echoed", *v);
      cx.response_trailers.set("trailer-bin", std::string("\0\xff", 2));
    }
    const auto* o = cx.find_extension<CallOptions>();
    if (o != nullptr && o->last_message_compressed) ++compressed_requests;
    if (req.value() < 0) {
      co_return Status(static_cast<absl::StatusCode>(-req.value()), req.pad());
    }
    if (req.value() == 1000) cx.extension<CallOptions>().compress = true;
    co_return num(req.value() + 1, req.pad());
  }

  Task<Result<Num>> Sleep(Context& cx, const Num& req) {
    if (cx.deadline) ++deadlines_seen;
    Status slept = co_await sleep_for(std::chrono::milliseconds(req.value()));
    if (!slept.ok()) {
      ++cancelled;
      co_return slept;
    }
    co_return req;
  }

  Task<Result<Num>> Sum(Context&, ServerReader<Num>& reader) {
    int64_t total = 0;
    Num n;
    for (;;) {
      auto more = co_await reader.read(n);
      if (!more.ok()) {
        ++cancelled;
        co_return more.status();
      }
      if (!*more) break;
      total += n.value();
    }
    co_return num(total);
  }

  Task<Status> Count(Context&, const Num& req, ServerWriter<Num>& writer) {
    for (int64_t i = 0; i < req.value(); ++i) {
      Status s = co_await writer.write(num(i, req.pad()));
      if (!s.ok()) {
        ++cancelled;
        co_return s;
      }
      ++written;
    }
    co_return Status();
  }

  Task<Status> Echo(Context&, ServerStream<Num, Num>& stream) {
    Num n;
    for (;;) {
      auto more = co_await stream.read(n);
      if (!more.ok()) {
        ++cancelled;
        co_return more.status();
      }
      if (!*more) co_return Status();
      FERRY_CO_RETURN_IF_ERROR(co_await stream.write(num(n.value() + 1)));
    }
  }

  Task<Result<Num>> Crash(Context&, const Num&) {
    throw std::runtime_error("kaput");
  }

  std::atomic<int> cancelled{0};
  std::atomic<int> written{0};
  std::atomic<int> compressed_requests{0};
  std::atomic<int> deadlines_seen{0};
};

// Counts the unary calls that pass through it (a server-side layer).
struct CountingLayer {
  std::atomic<int>* calls;
  template <class S>
  struct Svc {
    using Response = typename S::Response;
    S inner;
    std::atomic<int>* calls;
    template <class Req>
    Task<Result<Response>> call(Context& cx, Req req) {
      calls->fetch_add(1);
      return inner.call(cx, std::move(req));
    }
  };
  template <class S>
  Svc<S> layer(S inner) const {
    return Svc<S>{std::move(inner), calls};
  }
};

struct Fixture {
  explicit Fixture(ServerOptions options = {}) {
    services.add<Calc>(&handler);
    auto s =
        Server::start(std::move(options), services, [this](UnaryDispatcher d) {
          return ServiceBuilder()
              .layer(CountingLayer{&server_calls})
              .service(d);
        });
    EXPECT_THAT(s.status(), IsOk());
    server = std::move(*s);
  }
  Channel channel(ChannelOptions options = {}) const {
    return Channel::create(server->address(), options);
  }

  CalcHandler handler;
  ServiceRegistry services;
  std::atomic<int> server_calls{0};
  std::unique_ptr<Server> server;
};

TEST(GrpcRpc, EveryCallKind) {
  Fixture f;
  std::atomic<int> client_calls{0};
  block_on([](Fixture& f, std::atomic<int>& client_calls) -> Task<void> {
    Channel channel = f.channel();  // one connection, shared
    auto stack =
        ServiceBuilder<>().layer(CountingLayer{&client_calls}).service(channel);
    Calc::Client<decltype(stack)> client(std::move(stack), channel);
    Context cx;
    auto added = co_await client.Add(cx, num(41));
    EXPECT_TRUE(added.ok() && added->value() == 42);

    Context sum_cx;
    auto sum = co_await client.Sum(sum_cx);
    EXPECT_THAT(sum.status(), IsOk());
    for (int i = 1; i <= 100; ++i) {
      EXPECT_THAT(co_await sum->write(num(i)), IsOk());
    }
    auto total = co_await sum->finish();
    EXPECT_TRUE(total.ok() && total->value() == 5050);

    Context count_cx;
    auto count = co_await client.Count(count_cx, num(50, "x"));
    EXPECT_THAT(count.status(), IsOk());
    Num n;
    int64_t expect = 0;
    for (;;) {
      auto more = co_await count->read(n);
      EXPECT_THAT(more.status(), IsOk());
      if (!more.ok() || !*more) break;
      EXPECT_EQ(n.value(), expect++);
      EXPECT_EQ(n.pad(), "x");
    }
    EXPECT_EQ(expect, 50);
    EXPECT_THAT(co_await count->finish(), IsOk());

    Context echo_cx;
    auto echo = co_await client.Echo(echo_cx);
    EXPECT_THAT(echo.status(), IsOk());
    for (int i = 0; i < 20; ++i) {
      EXPECT_THAT(co_await echo->write(num(i)), IsOk());
      auto more = co_await echo->read(n);
      EXPECT_TRUE(more.ok() && *more && n.value() == i + 1);
    }
    EXPECT_THAT(co_await echo->writes_done(), IsOk());
    auto end = co_await echo->read(n);
    EXPECT_TRUE(end.ok() && !*end);
    EXPECT_THAT(co_await echo->finish(), IsOk());
  }(f, client_calls));
  EXPECT_EQ(client_calls.load(), 1);  // unary calls only
  EXPECT_EQ(f.server_calls.load(), 1);
  EXPECT_EQ(f.server->stats().connections_accepted, 1u);
}

TEST(GrpcRpc, StatusMetadataAndCompression) {
  Fixture f;
  block_on([](Fixture& f) -> Task<void> {
    Calc::Client client(f.channel());
    const std::string message = "bad \t\n☺ 100% wrong";
    Context cx;
    auto failed = co_await client.Add(cx, num(-3, message));
    EXPECT_THAT(failed.status(),
                StatusIs(absl::StatusCode::kInvalidArgument, message));

    Context md;
    md.request_metadata.set("echo-me", "hello");
    auto ok = co_await client.Add(md, num(1));
    EXPECT_THAT(ok.status(), IsOk());
    EXPECT_EQ(md.response_metadata.get("echoed"), "hello");
    EXPECT_EQ(md.response_trailers.get("trailer-bin"),
              std::string_view("\0\xff", 2));

    Context bad;
    bad.request_metadata.set("Not Valid", "x");
    EXPECT_THAT((co_await client.Add(bad, num(1))).status(),
                StatusIs(absl::StatusCode::kInvalidArgument));

    Context zipped;
    zipped.extension<CallOptions>().compress = true;
    auto z = co_await client.Add(zipped, num(1000, std::string(10000, 'z')));
    EXPECT_TRUE(z.ok() && z->value() == 1001 && z->pad().size() == 10000);
    EXPECT_TRUE(zipped.find_extension<CallOptions>()->last_message_compressed);

    Context crash;
    EXPECT_THAT((co_await client.Crash(crash, num(0))).status(),
                StatusIs(absl::StatusCode::kUnknown, "kaput"));
  }(f));
  EXPECT_EQ(f.handler.compressed_requests.load(), 1);
}

TEST(GrpcRpc, LargeMessagesAndLimits) {
  Fixture f({.max_receive_message_size = 6 << 20});
  block_on([](Fixture& f) -> Task<void> {
    Calc::Client client(f.channel({.max_receive_message_size = 5 << 20}));
    // Several windows' worth, both ways.
    Context cx;
    auto big = co_await client.Add(cx, num(1, std::string(4 << 20, 'b')));
    EXPECT_TRUE(big.ok() && big->pad().size() == (4u << 20));

    // Over the server's limit: RESOURCE_EXHAUSTED, connection fine.
    Context over;
    auto refused = co_await client.Add(over, num(1, std::string(7 << 20, 'o')));
    EXPECT_THAT(refused.status(),
                StatusIs(absl::StatusCode::kResourceExhausted));
    // A response over the client's limit.
    Context back;
    auto too_big =
        co_await client.Add(back, num(1, std::string(11 << 19, 'r')));
    EXPECT_THAT(too_big.status(),
                StatusIs(absl::StatusCode::kResourceExhausted));
    Context after;
    EXPECT_THAT((co_await client.Add(after, num(1))).status(), IsOk());
  }(f));
  EXPECT_EQ(f.server->stats().connections_accepted, 1u);
}

TEST(GrpcRpc, SlowReaderHoldsBackTheWriter) {
  Fixture f;
  block_on([](Fixture& f) -> Task<void> {
    Calc::Client client(f.channel());
    Context cx;
    constexpr int kMessages = 64;
    const std::string pad(256 << 10, 'p');
    auto stream = co_await client.Count(cx, num(kMessages, pad));
    EXPECT_THAT(stream.status(), IsOk());
    // Not reading: flow control must stop the server well short of all 64
    // (window + one outbox + the two messages the client buffers).
    co_await sleep_for(300ms);
    EXPECT_LT(f.handler.written.load(), 16);
    Num n;
    int got = 0;
    for (;;) {
      auto more = co_await stream->read(n);
      if (!more.ok() || !*more) break;
      EXPECT_EQ(n.pad().size(), pad.size());
      ++got;
    }
    EXPECT_EQ(got, kMessages);
    EXPECT_THAT(co_await stream->finish(), IsOk());
  }(f));
}

TEST(GrpcRpc, DeadlinesAndCancellation) {
  Fixture f;
  block_on([](Fixture& f) -> Task<void> {
    Calc::Client client(f.channel());
    Context cx;
    cx.deadline = clock_now() + 50ms;
    auto late = co_await client.Sleep(cx, num(2000));
    EXPECT_THAT(late.status(), StatusIs(absl::StatusCode::kDeadlineExceeded));

    // The client's request_timeout bounds calls without a deadline.
    Calc::Client bounded(f.channel({.request_timeout = 50ms}));
    Context plain;
    EXPECT_THAT((co_await bounded.Sleep(plain, num(2000))).status(),
                StatusIs(absl::StatusCode::kDeadlineExceeded));

    Context sum_cx;
    auto sum = co_await client.Sum(sum_cx);
    EXPECT_THAT(co_await sum->write(num(1)), IsOk());
    sum->cancel();
    EXPECT_THAT((co_await sum->finish()).status(),
                StatusIs(absl::StatusCode::kCancelled));

    // Cancelling the calling task (here: a select) resets the stream.
    Context raced;
    auto winner = co_await select(
        client.Sleep(raced, num(2000)),
        []() -> Task<Status> { co_return co_await sleep_for(50ms); }());
    EXPECT_EQ(winner.index(), 1u);

    // The server handler was cancelled each time.
    for (int i = 0; i < 100 && f.handler.cancelled.load() < 4; ++i) {
      co_await sleep_for(10ms);
    }
    Context ok;
    EXPECT_THAT((co_await client.Sleep(ok, num(1))).status(), IsOk());
  }(f));
  // grpc-timeout reached the server: from cx.deadline and request_timeout.
  EXPECT_EQ(f.handler.deadlines_seen.load(), 2);
  EXPECT_EQ(f.handler.cancelled.load(), 4);
}

TEST(GrpcRpc, UnknownMethodsAndServices) {
  Fixture f;
  block_on([](Fixture& f) -> Task<void> {
    Channel ch = f.channel();
    Context cx;
    Num n;
    auto r = co_await unary_call<Num>(ch, cx, "/ferry_test.grpc.Calc/Nope",
                                      "Nope", n);
    EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kUnimplemented));
    Context cx2;
    auto r2 = co_await unary_call<Num>(ch, cx2, "/no.Such/Thing", "Thing", n);
    EXPECT_THAT(r2.status(), StatusIs(absl::StatusCode::kUnimplemented));
  }(f));
}

TEST(GrpcRpc, HealthService) {
  Fixture f;
  block_on([](Fixture& f) -> Task<void> {
    hv1::Health::Client health(f.channel());
    hv1::HealthCheckRequest req;
    Context cx;
    auto all = co_await health.Check(cx, req);
    EXPECT_TRUE(all.ok() && all->status() == hv1::HealthCheckResponse::SERVING);
    req.set_service("ferry_test.grpc.Calc");
    Context cx2;
    auto calc = co_await health.Check(cx2, req);
    EXPECT_TRUE(calc.ok() &&
                calc->status() == hv1::HealthCheckResponse::SERVING);
    req.set_service("nope");
    Context cx3;
    EXPECT_THAT((co_await health.Check(cx3, req)).status(),
                StatusIs(absl::StatusCode::kNotFound));

    req.set_service("ferry_test.grpc.Calc");
    Context wcx;
    auto watch = co_await health.Watch(wcx, req);
    hv1::HealthCheckResponse r;
    auto first = co_await watch->read(r);
    EXPECT_TRUE(first.ok() && *first &&
                r.status() == hv1::HealthCheckResponse::SERVING);
    f.server->health().set_serving("ferry_test.grpc.Calc", false);
    auto second = co_await watch->read(r);
    EXPECT_TRUE(second.ok() && *second &&
                r.status() == hv1::HealthCheckResponse::NOT_SERVING);
    watch->cancel();
  }(f));
}

// Bytes that are not HTTP/2 close their own connection and nothing else.
TEST(GrpcRpc, GarbageClosesOnlyItsConnection) {
  Fixture f;
  block_on([](Fixture& f) -> Task<void> {
    Calc::Client client(f.channel());
    Context cx;
    const Num request = num(300);  // outlives the lazily started call
    Task<Result<Num>> slow = client.Sleep(cx, request);
    TaskGroup group;
    Result<Num> slow_result = absl::UnknownError("not run");
    group.start([](Task<Result<Num>> t, Result<Num>* out) -> Task<void> {
      *out = co_await std::move(t);
    }(std::move(slow), &slow_result));

    auto junk = co_await TcpStream::connect(f.server->address());
    EXPECT_THAT(junk.status(), IsOk());
    EXPECT_THAT(
        co_await junk->write(IoBuf::copy_from(
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n" + std::string(100, 'z'))),
        IsOk());
    for (;;) {  // the server closes it
      auto got = co_await junk->read();
      if (!got.ok() || got->empty()) break;
    }
    co_await group.join();
    EXPECT_TRUE(slow_result.ok() && slow_result->value() == 300);
  }(f));
  EXPECT_EQ(f.server->stats().connections_closed_malformed, 1u);
}

TEST(GrpcRpc, GracefulStopFinishesInFlightCalls) {
  Fixture f;
  std::atomic<bool> done{false};
  Result<Num> result = absl::UnknownError("not run");
  std::thread caller([&] {
    result = block_on([](Fixture& f) -> Task<Result<Num>> {
      Calc::Client client(f.channel());
      Context cx;
      co_return co_await client.Sleep(cx, num(300));
    }(f));
    done = true;
  });
  while (f.server->stats().requests == 0) std::this_thread::sleep_for(5ms);
  f.server->stop();
  caller.join();
  EXPECT_TRUE(result.ok() && result->value() == 300) << result.status();
}

// The server closes idle connections (GOAWAY, then close); the channel
// opens a new one for the next call without the caller noticing.
TEST(GrpcRpc, IdleConnectionsCloseAndTheChannelReconnects) {
  Fixture f({.idle_timeout = 100ms});
  block_on([](Fixture& f) -> Task<void> {
    Calc::Client client(f.channel());
    Context first;
    EXPECT_THAT((co_await client.Add(first, num(1))).status(), IsOk());
    for (int i = 0; i < 100 && f.server->stats().connections_open > 0; ++i) {
      co_await sleep_for(20ms);
    }
    Context second;
    auto r = co_await client.Add(second, num(2));
    EXPECT_TRUE(r.ok() && r->value() == 3) << r.status();
  }(f));
  const ServerStats stats = f.server->stats();
  EXPECT_GE(stats.connections_closed_idle, 1u);
  EXPECT_EQ(stats.connections_accepted, 2u);
}

TEST(GrpcRpc, TwoWorkers) {
  Fixture f({.threads = 2});
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      block_on([](Fixture& f, std::atomic<int>& ok) -> Task<void> {
        Calc::Client client(f.channel());
        for (int i = 0; i < 50; ++i) {
          Context cx;
          auto r = co_await client.Add(cx, num(i));
          if (r.ok() && r->value() == i + 1) ok.fetch_add(1);
        }
      }(f, ok));
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok.load(), 200);
}

}  // namespace
}  // namespace ferry::grpc
