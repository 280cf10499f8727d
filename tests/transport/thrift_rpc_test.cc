// End-to-end tests of the Thrift server and client: generated stubs over
// real sockets on 127.0.0.1, every wire format, pipelining and ordering,
// deadlines, reconnects, bad input and graceful shutdown.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "calc_services.h"
#include "codec/binary_protocol.h"
#include "codec/buffer.h"
#include "middleware/builder.h"
#include "runtime/combinators.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "runtime/time.h"
#include "tests/support/status_matchers.h"
#include "transport/thrift/channel.h"
#include "transport/thrift/processor.h"
#include "transport/thrift/server.h"

namespace ferry::thrift {
namespace {

using namespace std::chrono_literals;
using ::ferry::testing::IsOk;
using ::ferry::testing::IsOkAndHolds;
using ::ferry::testing::StatusIs;
using ::ferry_test::calc::Boom;
using ::ferry_test::calc::Bust;
using ::ferry_test::calc::CalcClient;
using ::ferry_test::calc::CalcService;
using ::ferry_test::calc::OtherClient;

// Sync methods, Task methods, with and without Context, Outcome values and
// thrown exceptions: every shape Processor accepts.
struct CalcHandler {
  std::string name() { return "calc"; }
  void ping() {}
  int32_t add(int32_t a, int32_t b) { return a + b; }
  Task<std::string> echo(Context& cx, std::string text) {
    EXPECT_EQ(cx.method, "echo");
    co_return text;
  }
  // Waits first, so the view must outlive a suspension.
  Task<int32_t> length(std::string_view text) {
    co_await yield_now();
    co_return static_cast<int32_t>(std::count(text.begin(), text.end(), 'x'));
  }
  Task<int32_t> slow(int32_t value, int32_t millis) {
    co_await sleep_for(std::chrono::milliseconds(millis));
    co_return value;
  }
  Task<Outcome<void, Boom, Bust>> fail(std::string how) {
    if (how == "boom") co_return Boom{"boom!", 7};
    if (how == "bust") throw Bust{"bust!"};
    co_return Outcome<void, Boom, Bust>();
  }
  Outcome<int64_t, Boom> pick(std::string how) {
    if (how == "boom") return Boom{"no pick", 1};
    return int64_t{42};
  }
  void notify(std::string event) {
    std::lock_guard lock(mu);
    events.push_back(std::move(event));
  }
  void crash(std::string what) { throw std::runtime_error(what); }
  std::string repeat(const std::string& text, int32_t times) {
    std::string out;
    for (int32_t i = 0; i < times; ++i) out += text;
    return out;
  }
  int32_t count_x(std::string_view text) {
    return static_cast<int32_t>(std::count(text.begin(), text.end(), 'x'));
  }

  std::vector<std::string> seen_events() {
    std::lock_guard lock(mu);
    return events;
  }

  std::mutex mu;
  std::vector<std::string> events;
};

using CalcProcessor = Processor<CalcService, CalcHandler>;

std::unique_ptr<Server> start_server(CalcHandler& handler,
                                     ServerOptions options = {}) {
  auto server = Server::start(std::move(options),
                              [&handler] { return CalcProcessor(&handler); });
  EXPECT_THAT(server.status(), IsOk());
  return std::move(*server);
}

using Client = CalcClient<Channel>;

Client make_client(const Server& server, ChannelOptions options = {}) {
  return Client(Channel::create(server.address(), options));
}

Task<void> every_kind_of_call(Client& client) {
  EXPECT_THAT(co_await client.add(2, 3), IsOkAndHolds(5));
  EXPECT_THAT(co_await client.echo("héllo"), IsOkAndHolds("héllo"));
  EXPECT_THAT(co_await client.length(std::string(3000, 'x')),
              IsOkAndHolds(3000));
  // Longer than a receive buffer (8 KiB): the view straddles buffers and
  // points into the reader's copy, which must live as long as the call
  // (ASan's use-after-free check is the sharp edge of this one).
  EXPECT_THAT(co_await client.length(std::string(100000, 'x')),
              IsOkAndHolds(100000));
  // The same from a synchronous handler, served without a request task.
  EXPECT_THAT(co_await client.count_x("xax"), IsOkAndHolds(2));
  EXPECT_THAT(co_await client.count_x(std::string(100000, 'x')),
              IsOkAndHolds(100000));
  // A reply far larger than the connection's coalescing buffer.
  Result<std::string> repeated = co_await client.repeat("ab", 100000);
  EXPECT_TRUE(repeated.ok() && repeated->size() == 200000 &&
              repeated->substr(0, 4) == "abab");
  EXPECT_THAT(co_await client.name(), IsOkAndHolds("calc"));  // base service
  EXPECT_THAT(co_await client.ping(), IsOk());

  auto ok = co_await client.fail("fine");
  EXPECT_TRUE(ok.ok() && ok->has_value());
  auto boom = co_await client.fail("boom");
  EXPECT_TRUE(boom.ok() && boom->exception<Boom>() != nullptr &&
              *boom->exception<Boom>() == (Boom{"boom!", 7}));
  auto bust = co_await client.fail("bust");
  EXPECT_TRUE(bust.ok() && bust->exception<Bust>() != nullptr &&
              bust->exception<Bust>()->why == "bust!");
  auto picked = co_await client.pick("x");
  EXPECT_TRUE(picked.ok() && picked->has_value() && picked->value() == 42);
  auto no_pick = co_await client.pick("boom");
  EXPECT_TRUE(no_pick.ok() && no_pick->exception<Boom>() != nullptr);

  EXPECT_THAT(co_await client.crash("kaput"),
              StatusIs(absl::StatusCode::kInternal, "kaput"));
  EXPECT_THAT(co_await client.notify("event"), IsOk());
  // The connection survived all of the above.
  EXPECT_THAT(co_await client.add(40, 2), IsOkAndHolds(42));
}

struct FormatCase {
  WireFormat format;
  bool server_detects;
};

class ThriftRpcFormats : public ::testing::TestWithParam<FormatCase> {};

TEST_P(ThriftRpcFormats, EveryKindOfCall) {
  CalcHandler handler;
  ServerOptions options;
  if (!GetParam().server_detects) options.format = GetParam().format;
  auto server = start_server(handler, options);
  for (bool multiplex : {true, false}) {
    ChannelOptions channel;
    channel.format = GetParam().format;
    channel.multiplex = multiplex;
    Client client = make_client(*server, channel);
    block_on(every_kind_of_call(client));
  }
  server->stop();
  EXPECT_EQ(handler.seen_events(),
            (std::vector<std::string>{"event", "event"}));
}

std::string format_case_name(const ::testing::TestParamInfo<FormatCase>& info) {
  return std::string(framing_name(info.param.format.framing)) + "_" +
         std::string(protocol_name(info.param.format.protocol)) +
         (info.param.server_detects ? "_detected" : "_fixed");
}

INSTANTIATE_TEST_SUITE_P(
    AllFour, ThriftRpcFormats,
    ::testing::Values(
        FormatCase{{Framing::kFramed, codec::ProtocolId::kBinary}, false},
        FormatCase{{Framing::kFramed, codec::ProtocolId::kCompact}, false},
        FormatCase{{Framing::kBuffered, codec::ProtocolId::kBinary}, false},
        FormatCase{{Framing::kBuffered, codec::ProtocolId::kCompact}, false},
        FormatCase{{Framing::kFramed, codec::ProtocolId::kBinary}, true},
        FormatCase{{Framing::kFramed, codec::ProtocolId::kCompact}, true},
        FormatCase{{Framing::kBuffered, codec::ProtocolId::kBinary}, true},
        FormatCase{{Framing::kBuffered, codec::ProtocolId::kCompact}, true}),
    format_case_name);

Task<int32_t> slow_value(Client& client, int32_t value, int32_t millis) {
  Result<int32_t> r = co_await client.slow(value, millis);
  co_return r.ok() ? *r : -1;
}

Task<std::vector<int32_t>> concurrent_slow_calls(Client& client) {
  // Decreasing delays: the last call finishes first on the server.
  std::vector<Task<int32_t>> calls;
  for (int32_t i = 0; i < 8; ++i) {
    calls.push_back(slow_value(client, i, (8 - i) * 15));
  }
  co_return co_await when_all(std::move(calls));
}

TEST(ThriftRpc, ConcurrentCallsShareOneMultiplexedConnection) {
  CalcHandler handler;
  auto server = start_server(handler);
  Client client = make_client(*server);
  std::vector<int32_t> got = block_on(concurrent_slow_calls(client));
  EXPECT_EQ(got, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(server->stats().connections_accepted, 1u);
  server->stop();
}

TEST(ThriftRpc, ExclusiveModeOpensAPoolOfConnections) {
  CalcHandler handler;
  auto server = start_server(handler);
  ChannelOptions options;
  options.multiplex = false;
  options.connections = 3;
  Client client = make_client(*server, options);
  std::vector<int32_t> got = block_on(concurrent_slow_calls(client));
  EXPECT_EQ(got, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(server->stats().connections_accepted, 3u);
  server->stop();
}

// --- Raw sockets: what an Apache client (no multiplexing) sees. ---

std::string framed_call(std::string_view method, int32_t seqid,
                        const auto& args,
                        codec::MessageType type = codec::MessageType::kCall) {
  codec::WriteBuffer out;
  const std::size_t frame = begin_frame(out, Framing::kFramed);
  codec::BinaryWriter<codec::WriteBuffer> w(out);
  w.write_message_begin(method, type, seqid);
  args.write(w);
  w.write_message_end();
  finish_frame(out, Framing::kFramed, frame);
  return std::string(out.view());
}

// Reads framed replies until `count` arrived; returns their seqids (and
// their message types, if `types` is given).
Task<std::vector<int32_t>> read_reply_seqids(
    TcpStream& s, int count, std::vector<codec::MessageType>* types = nullptr) {
  std::vector<int32_t> seqids;
  while (static_cast<int>(seqids.size()) < count) {
    Result<IoBuf> header = co_await s.read_exact(4);
    if (!header.ok()) break;
    uint32_t len = 0;
    header->copy_to(&len, 4);
    Result<IoBuf> body = co_await s.read_exact(__builtin_bswap32(len));
    if (!body.ok()) break;
    codec::BinaryReader<codec::ChainInput> r{codec::ChainInput(*body)};
    std::string name;
    codec::MessageType type;
    int32_t seqid = 0;
    if (!r.read_message_begin(name, type, seqid).ok()) break;
    seqids.push_back(seqid);
    if (types != nullptr) types->push_back(type);
  }
  co_return seqids;
}

Task<std::vector<int32_t>> pipeline_without_announcement(SocketAddress addr) {
  Result<TcpStream> s = co_await TcpStream::connect(addr);
  if (!s.ok()) co_return std::vector<int32_t>{};
  std::string bytes;
  for (int32_t i = 0; i < 4; ++i) {
    bytes += framed_call("slow", i + 1,
                         ferry_test::calc::Calc_slow_args{i, (4 - i) * 20});
  }
  if (!(co_await s->write(IoBuf::copy_from(bytes))).ok()) {
    co_return std::vector<int32_t>{};
  }
  co_return co_await read_reply_seqids(*s, 4);
}

Task<std::vector<int32_t>> announce_after_a_call(SocketAddress addr) {
  Result<TcpStream> s = co_await TcpStream::connect(addr);
  if (!s.ok()) co_return std::vector<int32_t>{};
  struct NoArgs {
    void write(codec::BinaryWriter<codec::WriteBuffer>& w) const {
      w.write_struct_begin("");
      w.write_field_stop();
      w.write_struct_end();
    }
  };
  // A slow call, then the announcement (too late to count), then a fast
  // call: the fast reply must still wait for the slow one.
  std::string bytes =
      framed_call("slow", 1, ferry_test::calc::Calc_slow_args{1, 60});
  bytes += framed_call("__ferry_multiplex__", 0, NoArgs{},
                       codec::MessageType::kOneway);
  bytes += framed_call("slow", 2, ferry_test::calc::Calc_slow_args{2, 0});
  if (!(co_await s->write(IoBuf::copy_from(bytes))).ok()) {
    co_return std::vector<int32_t>{};
  }
  co_return co_await read_reply_seqids(*s, 2);
}

TEST(ThriftRpc, LateMultiplexAnnouncementKeepsOrder) {
  CalcHandler handler;
  auto server = start_server(handler);
  EXPECT_EQ(block_on(announce_after_a_call(server->address())),
            (std::vector<int32_t>{1, 2}));
  server->stop();
}

// Synchronous calls (served inline) queued behind asynchronous ones.
Task<std::vector<int32_t>> pipeline_mixed(
    SocketAddress addr, bool announce, std::vector<codec::MessageType>* types) {
  Result<TcpStream> s = co_await TcpStream::connect(addr);
  if (!s.ok()) co_return std::vector<int32_t>{};
  using namespace ferry_test::calc;
  std::string bytes;
  if (announce) {
    bytes += framed_call("__ferry_multiplex__", 0, Base_ping_args{},
                         codec::MessageType::kOneway);
  }
  bytes += framed_call("slow", 1, Calc_slow_args{1, 100});
  bytes += framed_call("add", 2, Calc_add_args{2, 3});
  bytes += framed_call("crash", 3, Calc_crash_args{"kaput"});
  bytes += framed_call("count_x", 4, Calc_count_x_args{"xx"});
  bytes += framed_call("notify", 0, Calc_notify_args{"mixed"},
                       codec::MessageType::kOneway);
  bytes += framed_call("slow", 5, Calc_slow_args{5, 0});
  bytes += framed_call("add", 6, Calc_add_args{6, 0});
  if (!(co_await s->write(IoBuf::copy_from(bytes))).ok()) {
    co_return std::vector<int32_t>{};
  }
  co_return co_await read_reply_seqids(*s, 6, types);
}

TEST(ThriftRpc, InlineRepliesWaitTheirTurnForPlainClients) {
  CalcHandler handler;
  auto server = start_server(handler);
  std::vector<codec::MessageType> types;
  EXPECT_EQ(block_on(pipeline_mixed(server->address(), false, &types)),
            (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(types[2], codec::MessageType::kException);  // crash
  EXPECT_EQ(types[3], codec::MessageType::kReply);
  EXPECT_EQ(handler.seen_events(), (std::vector<std::string>{"mixed"}));
  server->stop();
}

TEST(ThriftRpc, InlineRepliesDoNotWaitWhenMultiplexed) {
  CalcHandler handler;
  auto server = start_server(handler);
  std::vector<int32_t> seqids =
      block_on(pipeline_mixed(server->address(), true, nullptr));
  ASSERT_EQ(seqids.size(), 6u);
  // The synchronous calls answer at once, ahead of the 100 ms one.
  EXPECT_EQ(std::vector<int32_t>(seqids.begin(), seqids.begin() + 3),
            (std::vector<int32_t>{2, 3, 4}));
  std::sort(seqids.begin(), seqids.end());
  EXPECT_EQ(seqids, (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
  server->stop();
}

// Thousands of calls in one write: frames straddle the receive buffers, so
// the server alternates between serving in place and splitting messages.
Task<std::vector<int32_t>> pipeline_many(SocketAddress addr, int calls) {
  Result<TcpStream> s = co_await TcpStream::connect(addr);
  if (!s.ok()) co_return std::vector<int32_t>{};
  using namespace ferry_test::calc;
  std::string bytes;
  for (int32_t i = 1; i <= calls; ++i) {
    if (i % 500 == 0) {  // now and then a view argument across buffers
      bytes +=
          framed_call("count_x", i, Calc_count_x_args{std::string(20000, 'x')});
    } else if (i % 7 == 0) {  // and calls that need a request task
      bytes += framed_call("slow", i, Calc_slow_args{i, 0});
    } else {
      bytes += framed_call("add", i, Calc_add_args{i, 1});
    }
  }
  auto [sent, seqids] = co_await when_all(s->write(IoBuf::copy_from(bytes)),
                                          read_reply_seqids(*s, calls));
  EXPECT_THAT(sent, IsOk());
  co_return seqids;
}

TEST(ThriftRpc, PipelinedCallsAcrossReceiveBuffersKeepOrder) {
  CalcHandler handler;
  auto server = start_server(handler);
  constexpr int kCalls = 3000;
  std::vector<int32_t> want(kCalls);
  for (int i = 0; i < kCalls; ++i) want[i] = i + 1;
  EXPECT_EQ(block_on(pipeline_many(server->address(), kCalls)), want);
  EXPECT_EQ(server->stats().requests, static_cast<uint64_t>(kCalls));
  server->stop();
}

// Good calls, then a malformed one, in the same receive buffer: the good
// ones are answered, then the connection closes.
Task<std::vector<int32_t>> good_calls_then_garbage(SocketAddress addr,
                                                   bool* closed) {
  Result<TcpStream> s = co_await TcpStream::connect(addr);
  if (!s.ok()) co_return std::vector<int32_t>{};
  using namespace ferry_test::calc;
  std::string bytes = framed_call("add", 1, Calc_add_args{1, 1});
  bytes += framed_call("add", 2, Calc_add_args{2, 2});
  bytes += std::string("\x00\x00\x00\x04\x80\x01\x00\x01", 8);  // cut envelope
  if (!(co_await s->write(IoBuf::copy_from(bytes))).ok()) {
    co_return std::vector<int32_t>{};
  }
  std::vector<int32_t> seqids = co_await read_reply_seqids(*s, 2);
  Result<IoBuf> rest = co_await with_timeout(s->read(), 5s);
  *closed = rest.ok() && rest->empty();
  co_return seqids;
}

TEST(ThriftRpc, GoodCallsBeforeMalformedInputAreAnswered) {
  CalcHandler handler;
  auto server = start_server(handler);
  bool closed = false;
  EXPECT_EQ(block_on(good_calls_then_garbage(server->address(), &closed)),
            (std::vector<int32_t>{1, 2}));
  EXPECT_TRUE(closed);
  EXPECT_EQ(server->stats().connections_closed_malformed, 1u);
  server->stop();
}

TEST(ThriftRpc, RepliesKeepRequestOrderForPlainClients) {
  CalcHandler handler;
  auto server = start_server(handler);
  EXPECT_EQ(block_on(pipeline_without_announcement(server->address())),
            (std::vector<int32_t>{1, 2, 3, 4}));
  server->stop();
}

Task<Status> send_and_expect_close(SocketAddress addr, std::string bytes) {
  FERRY_CO_ASSIGN_OR_RETURN(TcpStream s, co_await TcpStream::connect(addr));
  FERRY_CO_RETURN_IF_ERROR(co_await s.write(IoBuf::copy_from(bytes)));
  for (;;) {
    Result<IoBuf> got = co_await with_timeout(s.read(), 5s);
    if (!got.ok()) co_return got.status();
    if (got->empty()) co_return Status();  // closed by the server
  }
}

Task<void> bad_input_leaves_other_calls_alone(Client& client,
                                              SocketAddress addr) {
  // A slow call in flight on a healthy connection while bad connections
  // come and go.
  Task<int32_t> slow = slow_value(client, 99, 200);
  std::string huge_frame = "\x7f\xff\xff\xff";
  huge_frame += std::string(16, 'x');
  // A whole frame whose envelope stops after the version word.
  const std::string cut_envelope("\x00\x00\x00\x04\x80\x01\x00\x01", 8);
  auto [value, garbage, huge, cut] = co_await when_all(
      std::move(slow),
      send_and_expect_close(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      send_and_expect_close(addr, huge_frame),
      send_and_expect_close(addr, cut_envelope));
  EXPECT_EQ(value, 99);
  EXPECT_THAT(garbage, IsOk());
  EXPECT_THAT(huge, IsOk());
  EXPECT_THAT(cut, IsOk());
  EXPECT_THAT(co_await client.add(1, 1), IsOkAndHolds(2));
}

Task<Status> send_truncated_then_eof(SocketAddress addr) {
  FERRY_CO_ASSIGN_OR_RETURN(TcpStream s, co_await TcpStream::connect(addr));
  FERRY_CO_RETURN_IF_ERROR(co_await s.write(
      IoBuf::copy_from(std::string("\x00\x00\x00\x10\x80", 5))));
  FERRY_CO_RETURN_IF_ERROR(s.shutdown_write());
  Result<IoBuf> got = co_await with_timeout(s.read(), 5s);
  if (!got.ok()) co_return got.status();
  co_return got->empty() ? Status() : absl::InternalError("expected EOF");
}

TEST(ThriftRpc, MalformedInputClosesOnlyThatConnection) {
  CalcHandler handler;
  auto server = start_server(handler);
  Client client = make_client(*server);
  block_on(bad_input_leaves_other_calls_alone(client, server->address()));
  EXPECT_THAT(block_on(send_truncated_then_eof(server->address())), IsOk());
  const ServerStats stats = server->stats();
  // Garbage, the huge frame and the cut envelope; the truncated stream is
  // a peer leaving, not malformed input.
  EXPECT_EQ(stats.connections_closed_malformed, 3u);
  server->stop();
}

Task<void> limits_fail_only_the_call(Client& client) {
  EXPECT_THAT(co_await client.echo(std::string(100, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("exceeds limit 10")));
  EXPECT_THAT(co_await client.echo("short"), IsOkAndHolds("short"));
}

TEST(ThriftRpc, ArgumentOverLimitFailsTheCallNotTheConnection) {
  CalcHandler handler;
  ServerOptions options;
  options.limits.max_string_length = 10;
  auto server = start_server(handler, options);
  Client client = make_client(*server);
  block_on(limits_fail_only_the_call(client));
  EXPECT_EQ(server->stats().connections_accepted, 1u);
  server->stop();
}

Task<void> unknown_method_is_reported(SocketAddress addr) {
  OtherClient<Channel> other(Channel::create(addr));
  EXPECT_THAT(co_await other.missing(1),
              StatusIs(absl::StatusCode::kUnimplemented,
                       "Invalid method name: 'missing'"));
}

TEST(ThriftRpc, UnknownMethod) {
  CalcHandler handler;
  auto server = start_server(handler);
  block_on(unknown_method_is_reported(server->address()));
  server->stop();
}

Task<void> deadline_then_next_call(Client& client) {
  Context cx;
  cx.deadline = clock_now() + 30ms;
  EXPECT_THAT(co_await client.slow(cx, 1, 500),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  // The late reply is dropped; the connection keeps working.
  EXPECT_THAT(co_await client.add(1, 2), IsOkAndHolds(3));
}

TEST(ThriftRpc, DeadlineAbandonsTheCallOnly) {
  CalcHandler handler;
  auto server = start_server(handler);
  Client client = make_client(*server);
  block_on(deadline_then_next_call(client));
  server->stop();
}

Task<void> call_sleep_call(Client& client) {
  EXPECT_THAT(co_await client.add(1, 2), IsOkAndHolds(3));
  (void)co_await sleep_for(300ms);  // the server closes the idle connection
  EXPECT_THAT(co_await client.add(2, 2), IsOkAndHolds(4));
}

TEST(ThriftRpc, IdleConnectionsCloseAndClientsReconnect) {
  CalcHandler handler;
  ServerOptions options;
  options.idle_timeout = 100ms;
  auto server = start_server(handler, options);
  Client client = make_client(*server);
  block_on(call_sleep_call(client));
  const ServerStats stats = server->stats();
  EXPECT_GE(stats.connections_closed_idle, 1u);
  EXPECT_EQ(stats.connections_accepted, 2u);
  server->stop();
}

Task<void> second_connection_refused(SocketAddress addr) {
  Client first(Channel::create(addr));
  EXPECT_THAT(co_await first.add(1, 1), IsOkAndHolds(2));
  Client second(Channel::create(addr));
  EXPECT_THAT(co_await second.add(1, 1),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(co_await first.add(2, 1), IsOkAndHolds(3));
}

TEST(ThriftRpc, MaxConnections) {
  CalcHandler handler;
  ServerOptions options;
  options.max_connections = 1;
  auto server = start_server(handler, options);
  block_on(second_connection_refused(server->address()));
  EXPECT_EQ(server->stats().connections_refused, 1u);
  server->stop();
}

Task<Result<int32_t>> slow_call(Client& client, int32_t millis) {
  co_return co_await client.slow(7, millis);
}

TEST(ThriftRpc, GracefulStopFinishesCallsInFlight) {
  CalcHandler handler;
  auto server = start_server(handler);
  Client client = make_client(*server);
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);  // the call below is in flight
    server->stop();
    stopped = true;
  });
  Result<int32_t> r = block_on(slow_call(client, 400));
  stopper.join();
  EXPECT_THAT(r, IsOkAndHolds(7));
  EXPECT_TRUE(stopped);
}

TEST(ThriftRpc, StopCancelsCallsPastTheGracePeriod) {
  CalcHandler handler;
  ServerOptions options;
  options.shutdown_grace = 50ms;
  auto server = start_server(handler, options);
  Client client = make_client(*server);
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    server->stop();
  });
  Result<int32_t> r = block_on(slow_call(client, 5000));
  stopper.join();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ThriftRpc, MultipleWorkers) {
  CalcHandler handler;
  ServerOptions options;
  options.threads = 2;
  auto server = start_server(handler, options);
  ChannelOptions channel;
  channel.connections = 4;  // SO_REUSEPORT spreads them over the workers
  Client client = make_client(*server, channel);
  std::vector<int32_t> got = block_on(concurrent_slow_calls(client));
  EXPECT_EQ(got, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  server->stop();
}

}  // namespace
}  // namespace ferry::thrift
