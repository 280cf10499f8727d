// Runs protoc-gen-ferry's generated services (tests/codegen/proto/) without
// a network: the method descriptors (names, paths, kinds, message types,
// Methods), kImplementedBy against handlers with right and wrong
// signatures, what grpc::ServiceRegistry::add registers, the UNIMPLEMENTED
// defaults of `Interface`, all four kinds dispatched through the registry's
// entries (unary from serialized bytes, streams over a fake ServerCall), the
// names that clash with generated members, and Client's shape (its calls
// need grpc::Channel, tested with the transport).

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

#include "keywords.ferry.h"
#include "middleware/context.h"
#include "mixed_types.h"
#include "nopackage.ferry.h"
#include "runtime/io_buf.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "src/proto/fixture/grpc/services.ferry.h"
#include "tests/support/co_test.h"
#include "transport/grpc/channel.h"
#include "transport/grpc/service.h"

namespace {

namespace t = ::fixture::grpc::testing;
namespace v1 = ::fixture::common::v1;
namespace kw = ::fixture::keywords::v1;
namespace fgrpc = ::ferry::grpc;
using ::ferry::Context;
using ::ferry::IoBuf;
using ::ferry::Result;
using ::ferry::Status;
using ::ferry::Task;
using fgrpc::MethodKind;
using fgrpc::ServerReader;
using fgrpc::ServerStream;
using fgrpc::ServerWriter;
using Req = t::EchoRequest;
using ::std::declval;
using Resp = t::EchoResponse;

// --- descriptors -------------------------------------------------------------

static_assert(t::Echo::kName == "fixture.grpc.testing.Echo");
static_assert(std::tuple_size_v<t::Echo::Methods> == 5);
static_assert(
    std::is_same_v<std::tuple_element_t<0, t::Echo::Methods>, t::Echo::Unary>);
static_assert(
    std::is_same_v<std::tuple_element_t<4, t::Echo::Methods>, t::Echo::Nested>);
static_assert(std::is_same_v<t::Echo::Unary::Request, Req>);
static_assert(std::is_same_v<t::Echo::Unary::Response, Resp>);
// Nested message of an imported file in another package.
static_assert(std::is_same_v<t::Echo::Nested::Request, v1::Envelope_Inner>);
static_assert(std::is_same_v<t::Echo::Nested::Response, v1::Ack>);

TEST(GeneratedGrpcServices, MethodDescriptors) {
  EXPECT_EQ(t::Echo::Unary::kService, "fixture.grpc.testing.Echo");
  EXPECT_EQ(t::Echo::Unary::kName, "Unary");
  EXPECT_EQ(t::Echo::Unary::kPath, "/fixture.grpc.testing.Echo/Unary");
  EXPECT_EQ(t::Echo::Collect::kPath, "/fixture.grpc.testing.Echo/Collect");
  EXPECT_EQ(t::Echo::Expand::kPath, "/fixture.grpc.testing.Echo/Expand");
  EXPECT_EQ(t::Echo::Chat::kPath, "/fixture.grpc.testing.Echo/Chat");
  EXPECT_EQ(t::Echo::Nested::kPath, "/fixture.grpc.testing.Echo/Nested");
  EXPECT_EQ(t::Echo::Unary::kKind, MethodKind::kUnary);
  EXPECT_EQ(t::Echo::Collect::kKind, MethodKind::kClientStreaming);
  EXPECT_EQ(t::Echo::Expand::kKind, MethodKind::kServerStreaming);
  EXPECT_EQ(t::Echo::Chat::kKind, MethodKind::kBidiStreaming);
  EXPECT_EQ(t::Echo::Nested::kKind, MethodKind::kUnary);
}

TEST(GeneratedGrpcServices, ServiceWithoutMethods) {
  EXPECT_EQ(t::Nothing::kName, "fixture.grpc.testing.Nothing");
  EXPECT_EQ(std::tuple_size_v<t::Nothing::Methods>, 0u);
  struct Anything {
  } handler;
  fgrpc::ServiceRegistry registry;
  registry.add<t::Nothing>(&handler);
  ASSERT_EQ(registry.services().size(), 1u);
  EXPECT_EQ(registry.services()[0], "fixture.grpc.testing.Nothing");
  t::Nothing::Interface iface;  // instantiable: nothing pure
  (void)iface;
}

TEST(GeneratedGrpcServices, FileWithoutPackage) {
  static_assert(std::is_same_v<::Standalone::Ping::Request, ::Ping>);
  EXPECT_EQ(::Standalone::kName, "Standalone");
  EXPECT_EQ(::Standalone::Ping::kPath, "/Standalone/Ping");
}

TEST(GeneratedGrpcServices, KeywordMethodNamesAndWellKnownTypes) {
  static_assert(std::is_same_v<kw::Keywords::co_await_::Response,
                               ::google::protobuf::Empty>);
  static_assert(
      std::is_same_v<kw::Keywords::union_::Request, ::google::protobuf::Empty>);
  EXPECT_EQ(kw::Keywords::co_await_::kName, "co_await");
  EXPECT_EQ(kw::Keywords::co_await_::kPath,
            "/fixture.keywords.v1.Keywords/co_await");
  EXPECT_EQ(kw::Keywords::union_::kName, "union");
  EXPECT_EQ(kw::Keywords::Stream::kKind, MethodKind::kBidiStreaming);
}

// THRIFT and PROTO in one ferry_idl_library.
TEST(GeneratedGrpcServices, ThriftBesideProto) {
  ::fixture::mixed::Point p;
  p.x = 1;
  p.y = 2;
  EXPECT_EQ(p.x + p.y, 3);
}

// --- handlers ----------------------------------------------------------------

// Every method, each in its kind's shape.
struct EchoHandler {
  Task<Result<Resp>> Unary(Context& cx, const Req& request) {
    Resp r;
    r.set_text("unary:" + request.text());
    co_return r;
  }
  Task<Result<Resp>> Collect(Context& cx, ServerReader<Req>& reader) {
    std::string all;
    Req m;
    for (;;) {
      auto more = co_await reader.read(m);
      if (!more.ok()) co_return more.status();
      if (!*more) break;
      all += m.text();
    }
    Resp r;
    r.set_text("collect:" + all);
    co_return r;
  }
  Task<Status> Expand(Context& cx, const Req& request,
                      ServerWriter<Resp>& writer) {
    for (int i = 0; i < request.repeat(); ++i) {
      Resp r;
      r.set_text(request.text() + std::to_string(i));
      FERRY_CO_RETURN_IF_ERROR(co_await writer.write(r));
    }
    co_return Status();
  }
  Task<Status> Chat(Context& cx, ServerStream<Req, Resp>& stream) {
    Req m;
    for (;;) {
      auto more = co_await stream.read(m);
      if (!more.ok()) co_return more.status();
      if (!*more) co_return Status();
      Resp r;
      r.set_text("chat:" + m.text());
      FERRY_CO_RETURN_IF_ERROR(co_await stream.write(r));
    }
  }
  Task<Result<v1::Ack>> Nested(Context& cx, const v1::Envelope_Inner& in) {
    v1::Ack ack;
    ack.set_count(in.x());
    ack.set_text(in.text());
    co_return ack;
  }
};

struct UnaryOnly {
  Task<Result<Resp>> Unary(Context& cx, const Req& request) {
    Resp r;
    r.set_text(request.text());
    co_return r;
  }
};

// Each method present, each in a wrong shape (declared only: never called).
struct WrongShapes {
  Task<Status> Unary(Context& cx, const Req& request);  // Result missing
  Task<Result<Resp>> Collect(Context& cx, const Req& request);  // no reader
  Task<Status> Expand(Context& cx, const Req& request);         // no writer
  Task<Result<Resp>> Chat(Context& cx, ServerStream<Req, Resp>& s);  // ret
  Task<Result<v1::Ack>> Nested(Context& cx, const v1::Envelope& e);  // outer
};

// The right shapes without a Context, and a non-Task return.
struct NoContext {
  Task<Result<Resp>> Unary(const Req& request);
  Result<Resp> Nested(Context& cx, const v1::Envelope_Inner& in);
};

static_assert(t::Echo::Unary::kImplementedBy<EchoHandler>);
static_assert(t::Echo::Collect::kImplementedBy<EchoHandler>);
static_assert(t::Echo::Expand::kImplementedBy<EchoHandler>);
static_assert(t::Echo::Chat::kImplementedBy<EchoHandler>);
static_assert(t::Echo::Nested::kImplementedBy<EchoHandler>);
static_assert(t::Echo::Unary::kImplementedBy<UnaryOnly>);
static_assert(!t::Echo::Collect::kImplementedBy<UnaryOnly>);
static_assert(!t::Echo::Unary::kImplementedBy<WrongShapes>);
static_assert(!t::Echo::Collect::kImplementedBy<WrongShapes>);
static_assert(!t::Echo::Expand::kImplementedBy<WrongShapes>);
static_assert(!t::Echo::Chat::kImplementedBy<WrongShapes>);
static_assert(!t::Echo::Nested::kImplementedBy<WrongShapes>);
static_assert(!t::Echo::Unary::kImplementedBy<NoContext>);
static_assert(!t::Echo::Nested::kImplementedBy<NoContext>);
static_assert(t::Echo::Unary::kImplementedBy<t::Echo::Interface>);
static_assert(t::Echo::Chat::kImplementedBy<t::Echo::Interface>);

// --- registration ------------------------------------------------------------

const char* const kEchoPaths[] = {
    "/fixture.grpc.testing.Echo/Unary", "/fixture.grpc.testing.Echo/Collect",
    "/fixture.grpc.testing.Echo/Expand", "/fixture.grpc.testing.Echo/Chat",
    "/fixture.grpc.testing.Echo/Nested"};

TEST(GeneratedGrpcServices, RegistersEveryImplementedMethod) {
  EchoHandler handler;
  fgrpc::ServiceRegistry registry;
  registry.add<t::Echo>(&handler);
  ASSERT_EQ(registry.services().size(), 1u);
  EXPECT_EQ(registry.services()[0], "fixture.grpc.testing.Echo");
  for (const char* path : kEchoPaths) {
    const fgrpc::MethodEntry* e = registry.find(path);
    ASSERT_NE(e, nullptr) << path;
    EXPECT_EQ(e->path, path);
    EXPECT_EQ(e->service, "fixture.grpc.testing.Echo");
    EXPECT_EQ(e->handler, &handler);
    const bool unary = e->kind == MethodKind::kUnary;
    EXPECT_EQ(e->unary != nullptr, unary) << path;
    EXPECT_EQ(e->streaming != nullptr, !unary) << path;
  }
  EXPECT_EQ(registry.find("/fixture.grpc.testing.Echo/Unary")->name, "Unary");
  EXPECT_EQ(registry.find("/fixture.grpc.testing.Echo/Chat")->kind,
            MethodKind::kBidiStreaming);
  EXPECT_EQ(registry.find("/fixture.grpc.testing.Echo/Missing"), nullptr);
  EXPECT_EQ(registry.find("/fixture.grpc.testing.Echo/unary"), nullptr);
}

TEST(GeneratedGrpcServices, RegistersOnlyTheImplementedMethods) {
  UnaryOnly unary_only;
  WrongShapes wrong;
  fgrpc::ServiceRegistry a;
  a.add<t::Echo>(&unary_only);
  EXPECT_NE(a.find("/fixture.grpc.testing.Echo/Unary"), nullptr);
  for (const char* path : kEchoPaths) {
    if (std::string_view(path) != "/fixture.grpc.testing.Echo/Unary") {
      EXPECT_EQ(a.find(path), nullptr) << path;
    }
  }
  fgrpc::ServiceRegistry b;
  b.add<t::Echo>(&wrong);
  for (const char* path : kEchoPaths) EXPECT_EQ(b.find(path), nullptr) << path;
  EXPECT_EQ(b.services().size(), 1u);
}

struct AllUnimplemented : t::Echo::Interface {};

TEST(GeneratedGrpcServices, InterfaceRegistersEveryMethod) {
  AllUnimplemented handler;
  fgrpc::ServiceRegistry registry;
  registry.add<t::Echo>(&handler);
  for (const char* path : kEchoPaths) {
    EXPECT_NE(registry.find(path), nullptr) << path;
  }
}

// --- running the entries -----------------------------------------------------

// A ServerCall over queues: `read` hands out `inbound`, then end-of-stream;
// `write` appends to `written`.
class FakeServerCall : public fgrpc::ServerCall {
 public:
  void push(const google::protobuf::MessageLite& message) {
    inbound_.push_back(fgrpc::serialize(message));
  }
  Task<Result<std::optional<IoBuf>>> read() override {
    if (inbound_.empty()) co_return std::optional<IoBuf>();
    IoBuf next = std::move(inbound_.front());
    inbound_.pop_front();
    co_return std::optional<IoBuf>(std::move(next));
  }
  Task<Status> write(IoBuf message, fgrpc::WriteOptions options) override {
    written_.push_back(std::move(message));
    co_return Status();
  }
  // The texts of the written messages, parsed as `M`.
  template <class M>
  std::vector<std::string> written_texts() const {
    std::vector<std::string> out;
    for (const IoBuf& b : written_) {
      M m;
      EXPECT_TRUE(fgrpc::parse(b, m).ok());
      out.push_back(m.text());
    }
    return out;
  }

 private:
  std::deque<IoBuf> inbound_;
  std::vector<IoBuf> written_;
};

Req make_req(std::string text, int repeat = 0) {
  Req r;
  r.set_text(std::move(text));
  if (repeat) r.set_repeat(repeat);
  return r;
}

FERRY_CO_TEST(GeneratedGrpcServices, UnaryEntryDecodesCallsAndEncodes) {
  EchoHandler handler;
  fgrpc::ServiceRegistry registry;
  registry.add<t::Echo>(&handler);
  const fgrpc::MethodEntry* e =
      registry.find("/fixture.grpc.testing.Echo/Unary");
  FERRY_CO_ASSERT_TRUE(e != nullptr);
  Context cx;
  Result<fgrpc::Response> reply =
      co_await e->unary(e->handler, cx, fgrpc::serialize(make_req("hi")));
  FERRY_CO_ASSERT_OK(reply);
  Resp resp;
  FERRY_CO_ASSERT_OK(fgrpc::parse(reply->body, resp));
  EXPECT_EQ(resp.text(), "unary:hi");

  // The same through the server stack's innermost service.
  fgrpc::UnaryDispatcher dispatcher;
  const fgrpc::MethodEntry* nested =
      registry.find("/fixture.grpc.testing.Echo/Nested");
  FERRY_CO_ASSERT_TRUE(nested != nullptr);
  v1::Envelope_Inner in;
  in.set_x(7);
  in.set_text("inner");
  // Named, not `co_await dispatcher.call(cx, ServerRequest{...})`: GCC 12
  // destroys an aggregate temporary built inside a co_await operand twice
  // (its IoBuf's chunk is freed twice).
  fgrpc::ServerRequest request{nested, fgrpc::serialize(in)};
  auto via = co_await dispatcher.call(cx, std::move(request));
  FERRY_CO_ASSERT_OK(via);
  v1::Ack ack;
  FERRY_CO_ASSERT_OK(fgrpc::parse(via->body, ack));
  EXPECT_EQ(ack.count(), 7);
  EXPECT_EQ(ack.text(), "inner");

  // Bytes that are not a request: kInternal, the handler never runs.
  auto bad = co_await e->unary(e->handler, cx, IoBuf::copy_from("\xff\xff"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
}

FERRY_CO_TEST(GeneratedGrpcServices, StreamingEntriesRunOverTheCall) {
  EchoHandler handler;
  fgrpc::ServiceRegistry registry;
  registry.add<t::Echo>(&handler);
  Context cx;

  const auto* collect = registry.find("/fixture.grpc.testing.Echo/Collect");
  FERRY_CO_ASSERT_TRUE(collect != nullptr);
  FakeServerCall c1;
  c1.push(make_req("a"));
  c1.push(make_req("b"));
  FERRY_CO_ASSERT_OK(co_await collect->streaming(collect->handler, cx, c1));
  EXPECT_EQ(c1.written_texts<Resp>(), std::vector<std::string>{"collect:ab"});

  const auto* expand = registry.find("/fixture.grpc.testing.Echo/Expand");
  FERRY_CO_ASSERT_TRUE(expand != nullptr);
  FakeServerCall c2;
  c2.push(make_req("x", 3));
  FERRY_CO_ASSERT_OK(co_await expand->streaming(expand->handler, cx, c2));
  EXPECT_EQ(c2.written_texts<Resp>(),
            (std::vector<std::string>{"x0", "x1", "x2"}));

  const auto* chat = registry.find("/fixture.grpc.testing.Echo/Chat");
  FERRY_CO_ASSERT_TRUE(chat != nullptr);
  FakeServerCall c3;
  c3.push(make_req("p"));
  c3.push(make_req("q"));
  FERRY_CO_ASSERT_OK(co_await chat->streaming(chat->handler, cx, c3));
  EXPECT_EQ(c3.written_texts<Resp>(),
            (std::vector<std::string>{"chat:p", "chat:q"}));
}

FERRY_CO_TEST(GeneratedGrpcServices, InterfaceDefaultsAreUnimplemented) {
  t::Echo::Interface iface;
  Context cx;
  FakeServerCall call;
  ServerReader<Req> reader(call);
  ServerWriter<Resp> writer(call);
  ServerStream<Req, Resp> stream(call);

  auto unary = co_await iface.Unary(cx, make_req("x"));
  EXPECT_EQ(unary.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(unary.status().message(),
            "fixture.grpc.testing.Echo/Unary is not implemented");
  auto collect = co_await iface.Collect(cx, reader);
  EXPECT_EQ(collect.status().code(), absl::StatusCode::kUnimplemented);
  Status expand = co_await iface.Expand(cx, make_req("x"), writer);
  EXPECT_EQ(expand.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(expand.message(),
            "fixture.grpc.testing.Echo/Expand is not implemented");
  Status chat = co_await iface.Chat(cx, stream);
  EXPECT_EQ(chat.code(), absl::StatusCode::kUnimplemented);
  auto nested = co_await iface.Nested(cx, v1::Envelope_Inner());
  EXPECT_EQ(nested.status().code(), absl::StatusCode::kUnimplemented);
}

// Overrides one method: that one runs, the others answer UNIMPLEMENTED,
// all through the registry.
struct PartialHandler : t::Echo::Interface {
  Task<Result<Resp>> Unary(Context& cx, const Req& request) override {
    Resp r;
    r.set_text("partial:" + request.text());
    co_return r;
  }
};

FERRY_CO_TEST(GeneratedGrpcServices, InterfaceOverridesDispatch) {
  PartialHandler handler;
  fgrpc::ServiceRegistry registry;
  registry.add<t::Echo>(&handler);
  Context cx;
  const auto* unary = registry.find("/fixture.grpc.testing.Echo/Unary");
  FERRY_CO_ASSERT_TRUE(unary != nullptr);
  auto reply = co_await unary->unary(unary->handler, cx,
                                     fgrpc::serialize(make_req("y")));
  FERRY_CO_ASSERT_OK(reply);
  Resp resp;
  FERRY_CO_ASSERT_OK(fgrpc::parse(reply->body, resp));
  EXPECT_EQ(resp.text(), "partial:y");

  const auto* chat = registry.find("/fixture.grpc.testing.Echo/Chat");
  FERRY_CO_ASSERT_TRUE(chat != nullptr);
  FakeServerCall call;
  Status s = co_await chat->streaming(chat->handler, cx, call);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
}

// --- clashing names ----------------------------------------------------------

static_assert(std::tuple_size_v<t::Clashes::Methods> == 12);
static_assert(t::Clashes::Client_::kName == "Client");
static_assert(t::Clashes::Client_2::kName == "Client_");
static_assert(t::Clashes::Methods_::kName == "Methods");
static_assert(t::Clashes::Interface_::kName == "Interface");
static_assert(t::Clashes::kName_::kName == "kName");
static_assert(t::Clashes::stack_2::kName == "stack");
static_assert(t::Clashes::channel_2::kName == "channel");
static_assert(t::Clashes::channel_2::kKind == MethodKind::kBidiStreaming);
static_assert(t::Clashes::Request_::kName == "Request");
static_assert(t::Clashes::invoke_::kName == "invoke");
static_assert(t::Clashes::Clashes_::kName == "Clashes");
static_assert(t::Clashes::delete_::kName == "delete");
static_assert(t::Clashes::Plain::kName == "Plain");
static_assert(t::Clashes::Client_::kPath ==
              "/fixture.grpc.testing.Clashes/Client");
// The service named `Client`.
static_assert(t::Client_::kName == "fixture.grpc.testing.Client");
static_assert(t::Client_::Interface_::kPath ==
              "/fixture.grpc.testing.Client/Interface");

struct ClashHandler {
  Task<Result<Resp>> Client_(Context& cx, const Req& request) {
    Resp r;
    r.set_text("client:" + request.text());
    co_return r;
  }
  Task<Result<Resp>> stack_2(Context& cx, const Req& request) {
    co_return Resp();
  }
  Task<Result<Resp>> Plain(Context& cx, const Req& request) {
    co_return Resp();
  }
};

FERRY_CO_TEST(GeneratedGrpcServices, ClashingNamesRegisterUnderTheirWireNames) {
  ClashHandler handler;
  fgrpc::ServiceRegistry registry;
  registry.add<t::Clashes>(&handler);
  EXPECT_NE(registry.find("/fixture.grpc.testing.Clashes/stack"), nullptr);
  EXPECT_NE(registry.find("/fixture.grpc.testing.Clashes/Plain"), nullptr);
  EXPECT_EQ(registry.find("/fixture.grpc.testing.Clashes/Client_"), nullptr);
  EXPECT_EQ(registry.find("/fixture.grpc.testing.Clashes/Methods"), nullptr);
  const auto* e = registry.find("/fixture.grpc.testing.Clashes/Client");
  FERRY_CO_ASSERT_TRUE(e != nullptr);
  EXPECT_EQ(e->name, "Client");
  Context cx;
  auto reply =
      co_await e->unary(e->handler, cx, fgrpc::serialize(make_req("z")));
  FERRY_CO_ASSERT_OK(reply);
  Resp resp;
  FERRY_CO_ASSERT_OK(fgrpc::parse(reply->body, resp));
  EXPECT_EQ(resp.text(), "client:z");

  struct AllClashes : t::Clashes::Interface {
  } all;
  fgrpc::ServiceRegistry every;
  every.add<t::Clashes>(&all);
  for (const char* name :
       {"Client", "Client_", "Methods", "Interface", "kName", "stack",
        "channel", "Request", "invoke", "Clashes", "delete", "Plain"}) {
    EXPECT_NE(every.find(std::string("/fixture.grpc.testing.Clashes/") + name),
              nullptr)
        << name;
  }
}

// --- Client's shape ----------------------------------------------------------
// Its calls run over grpc::Channel (transport tests); here only what the
// compiler can check without one.

struct FakeStack {
  using Response = fgrpc::Response;
  Task<Result<fgrpc::Response>> call(Context& cx, fgrpc::Request request);
};

static_assert(
    std::is_constructible_v<t::Echo::Client<>, const fgrpc::Channel&>);
static_assert(!std::is_convertible_v<fgrpc::Channel, t::Echo::Client<>>);
static_assert(std::is_constructible_v<t::Echo::Client<FakeStack>, FakeStack,
                                      fgrpc::Channel>);
// A custom stack still needs the channel (streams bypass the stack).
static_assert(
    !std::is_constructible_v<t::Echo::Client<FakeStack>, fgrpc::Channel>);
// Class template argument deduction: `S::Client client(channel)`.
static_assert(
    std::is_same_v<decltype(t::Echo::Client(declval<fgrpc::Channel>())),
                   t::Echo::Client<fgrpc::Channel>>);
static_assert(std::is_constructible_v<t::Nothing::Client<>, fgrpc::Channel>);
static_assert(std::is_constructible_v<t::Clashes::Client<>, fgrpc::Channel>);

using EchoClient = t::Echo::Client<FakeStack>;
static_assert(std::is_same_v<decltype(declval<EchoClient&>().Unary(
                                 declval<Context&>(), declval<const Req&>())),
                             Task<Result<Resp>>>);
static_assert(std::is_same_v<
              decltype(declval<EchoClient&>().Unary(declval<const Req&>())),
              Task<Result<Resp>>>);
static_assert(std::is_same_v<
              decltype(declval<EchoClient&>().Collect(declval<Context&>())),
              Task<Result<fgrpc::ClientWriter<Req, Resp>>>>);
static_assert(std::is_same_v<decltype(declval<EchoClient&>().Expand(
                                 declval<Context&>(), declval<const Req&>())),
                             Task<Result<fgrpc::ClientReader<Resp>>>>);
static_assert(
    std::is_same_v<decltype(declval<EchoClient&>().Chat(declval<Context&>())),
                   Task<Result<fgrpc::ClientStream<Req, Resp>>>>);
static_assert(
    std::is_same_v<decltype(declval<EchoClient&>().stack()), FakeStack&>);
static_assert(std::is_same_v<decltype(declval<EchoClient&>().channel()),
                             fgrpc::Channel&>);
static_assert(
    std::is_same_v<decltype(declval<t::Clashes::Client<FakeStack>&>().stack_2(
                       declval<Context&>(), declval<const Req&>())),
                   Task<Result<Resp>>>);

}  // namespace
