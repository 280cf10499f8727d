// Runs idlgen's generated service code (the services and dispatch
// fixtures, ThriftTest, the includes fixture): method_index against every
// name and every near miss, the method table's `invoke` on handlers with and
// without a Context and on the virtual `SIf`, the result accessors, the
// `extends` chains, and the client stubs over a fake stack.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "ThriftTest_services.h"
#include "codec/binary_protocol.h"
#include "codec/buffer.h"
#include "codec/protocol.h"
#include "dispatch_services.h"
#include "main_services.h"
#include "middleware/context.h"
#include "middleware/service.h"
#include "runtime/io_buf.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "services_services.h"
#include "tests/support/co_test.h"
#include "transport/thrift/service.h"

namespace {

namespace svc = ::fixtures::svc;
namespace dispatch = ::fixtures::dispatch;
using ::ferry::Context;
using ::ferry::Result;
using ::ferry::Status;
using ::ferry::Task;
using ::ferry::thrift::Outcome;
using svc::Boom;
using svc::Bust;
using svc::CalcService;

// --- method_index ------------------------------------------------------------

template <class Table>
std::vector<std::string_view> method_names() {
  return std::apply(
      [](auto... m) {
        return std::vector<std::string_view>{decltype(m)::kName...};
      },
      typename Table::Methods{});
}

// Every name maps to its index; every string one edit away (each byte
// replaced by each of the 256 values, every prefix, one byte more, the
// empty string) maps to the index of the name it spells, else -1.
template <class Table>
void expect_exact_dispatch() {
  const std::vector<std::string_view> names = method_names<Table>();
  std::map<std::string, int, std::less<>> index;
  for (std::size_t i = 0; i < names.size(); ++i)
    index.emplace(std::string(names[i]), static_cast<int>(i));
  std::vector<std::string> wrong;
  auto check = [&](const std::string& s) {
    auto it = index.find(s);
    const int want = it == index.end() ? -1 : it->second;
    if (Table::method_index(s) != want) wrong.push_back(s);
  };
  check("");
  for (std::string_view n : names) {
    const std::string name(n);
    check(name);
    for (std::size_t pos = 0; pos < name.size(); ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string m = name;
        m[pos] = static_cast<char>(b);
        check(m);
      }
      check(name.substr(0, pos));
    }
    check(name + 'x');
    check(name + '\0');
    check('x' + name);
  }
  EXPECT_THAT(wrong, ::testing::IsEmpty()) << Table::kName;
}

TEST(GeneratedServiceTest, MethodIndexIsExact) {
  expect_exact_dispatch<svc::BaseService>();
  expect_exact_dispatch<CalcService>();
  expect_exact_dispatch<dispatch::DispatchService>();
  expect_exact_dispatch<dispatch::CollideService>();
  expect_exact_dispatch<dispatch::NothingService>();
  expect_exact_dispatch<thrift::test::ThriftTestService>();
  expect_exact_dispatch<fixtures::main::DerivedService>();
}

TEST(GeneratedServiceTest, MethodIndexIsConstexpr) {
  using D = dispatch::DispatchService;
  static_assert(D::method_index("get_a") == 0);
  static_assert(D::method_index("getxa") == 8);
  static_assert(D::method_index("setxb") == 9);
  static_assert(D::method_index("setxa") == -1);
  static_assert(D::method_index("get_d") == -1);
  static_assert(D::method_index("zzz") == 12);
  static_assert(D::method_index("") == -1);
  static_assert(noexcept(D::method_index("x")));
  static_assert(dispatch::NothingService::method_index("x") == -1);
  static_assert(std::tuple_size_v<dispatch::NothingService::Methods> == 0);
}

// --- The method table --------------------------------------------------------

template <class M>
concept HasSuccess = requires(typename M::Result& r) {
  M::success(r);
};
template <class M>
concept HasException0 = requires(typename M::Result& r) {
  M::template exception<0>(r);
};

TEST(GeneratedServiceTest, ExceptionsAndResultFields) {
  static_assert(
      std::is_same_v<CalcService::fail::Exceptions, std::tuple<Boom, Bust>>);
  static_assert(std::is_same_v<CalcService::add::Exceptions, std::tuple<>>);
  static_assert(std::is_same_v<CalcService::notify::Exceptions, std::tuple<>>);
  using Multi = thrift::test::ThriftTestService::testMultiException;
  static_assert(
      std::is_same_v<Multi::Exceptions, std::tuple<thrift::test::Xception,
                                                   thrift::test::Xception2>>);

  // success only where Return is not void; exception only with `throws`;
  // neither for oneway.
  static_assert(HasSuccess<CalcService::add>);
  static_assert(HasSuccess<CalcService::split>);
  static_assert(!HasSuccess<CalcService::fail>);
  static_assert(!HasSuccess<CalcService::delete_>);
  static_assert(!HasSuccess<CalcService::notify>);
  static_assert(HasException0<CalcService::fail>);
  static_assert(!HasException0<CalcService::add>);
  static_assert(!HasException0<CalcService::notify>);
  static_assert(HasSuccess<Multi> && HasException0<Multi>);

  svc::Calc_fail_result fail;
  static_assert(std::is_same_v<decltype(CalcService::fail::exception<0>(fail)),
                               std::optional<Boom>&>);
  static_assert(std::is_same_v<decltype(CalcService::fail::exception<1>(fail)),
                               std::optional<Bust>&>);
  static_assert(noexcept(CalcService::fail::exception<1>(fail)));
  EXPECT_EQ(&CalcService::fail::exception<0>(fail), &fail.boom);
  EXPECT_EQ(&CalcService::fail::exception<1>(fail), &fail.bust);
  CalcService::fail::exception<1>(fail) = Bust{.code = 7};
  EXPECT_EQ(fail.bust->code, 7);

  svc::Calc_add_result add;
  static_assert(std::is_same_v<decltype(CalcService::add::success(add)),
                               std::optional<std::int32_t>&>);
  EXPECT_EQ(&CalcService::add::success(add), &add.success);

  thrift::test::ThriftTest_testMultiException_result multi;
  EXPECT_EQ(&Multi::success(multi), &multi.success);
  EXPECT_EQ(&Multi::exception<0>(multi), &multi.err1);
  EXPECT_EQ(&Multi::exception<1>(multi), &multi.err2);
}

TEST(GeneratedServiceTest, ClashingFunctionNamesAreEscaped) {
  using C = dispatch::CollideService;
  static_assert(C::stack_::kName == "stack");
  static_assert(C::invoke_::kName == "invoke");
  static_assert(C::success_::kName == "success");
  static_assert(C::exception_::kName == "exception");
  static_assert(C::Args_::kName == "Args");
  static_assert(C::method_index("invoke") == 1);
  static_assert(std::is_same_v<C::Args_::Args, dispatch::Collide_Args_args>);
}

// A handler without Context parameters. `fail` takes an rvalue reference:
// it compiles only if invoke moves the argument in.
struct PlainHandler {
  std::int32_t add(std::int32_t a, std::int32_t b) { return a + b; }
  void fail(std::string&& why) { last = std::move(why); }
  std::vector<std::string> split(std::string text, std::string sep) {
    return {std::move(text), std::move(sep)};
  }
  int delete_(std::int64_t id) { return static_cast<int>(id) * 2; }
  std::string last;
};

// A handler taking the Context everywhere, one taking it in some methods,
// and one whose methods return an Outcome.
struct ContextHandler {
  std::int32_t add(Context& cx, std::int32_t a, std::int32_t b) {
    seen = &cx;
    return a * b;
  }
  void notify(Context& cx, std::string event) {
    seen = &cx;
    last = std::move(event);
  }
  Context* seen = nullptr;
  std::string last;
};
struct MixedHandler {
  // Both overloads: invoke prefers the one taking the Context.
  std::string add(Context&, std::int32_t, std::int32_t) { return "cx"; }
  std::string add(std::int32_t, std::int32_t) { return "plain"; }
  std::string ping() { return "pong"; }
};
struct OutcomeHandler {
  Outcome<void, Boom, Bust> fail(std::string why) {
    if (why == "boom") return Boom{.why = std::move(why)};
    return {};
  }
};

TEST(GeneratedServiceTest, InvokeCallsTheHandler) {
  Context cx;
  PlainHandler plain;
  svc::Calc_add_args add{.a = 2, .b = 3};
  static_assert(
      std::is_same_v<decltype(CalcService::add::invoke(plain, cx, add)),
                     std::int32_t>);
  EXPECT_EQ(CalcService::add::invoke(plain, cx, add), 5);

  svc::Calc_fail_args fail{.why = std::string(100, 'w')};
  static_assert(
      std::is_void_v<decltype(CalcService::fail::invoke(plain, cx, fail))>);
  CalcService::fail::invoke(plain, cx, fail);
  EXPECT_EQ(plain.last, std::string(100, 'w'));
  EXPECT_TRUE(fail.why.empty());  // moved out

  svc::Calc_split_args split{.text = std::string(50, 't')};
  EXPECT_THAT(CalcService::split::invoke(plain, cx, split),
              ::testing::ElementsAre(std::string(50, 't'), ","));
  EXPECT_TRUE(split.text.empty());

  svc::Calc_delete_args del{.id = 21};
  EXPECT_EQ(CalcService::delete_::invoke(plain, cx, del), 42);

  ContextHandler with_cx;
  EXPECT_EQ(CalcService::add::invoke(with_cx, cx, add), 6);
  EXPECT_EQ(with_cx.seen, &cx);
  with_cx.seen = nullptr;
  svc::Calc_notify_args notify{.event = "e"};
  CalcService::notify::invoke(with_cx, cx, notify);
  EXPECT_EQ(with_cx.seen, &cx);
  EXPECT_EQ(with_cx.last, "e");

  MixedHandler mixed;
  EXPECT_EQ(CalcService::add::invoke(mixed, cx, add), "cx");
  svc::Base_ping_args ping;
  EXPECT_EQ(svc::BaseService::ping::invoke(mixed, cx, ping), "pong");

  OutcomeHandler outcome;
  svc::Calc_fail_args boom{.why = "boom"};
  auto out = CalcService::fail::invoke(outcome, cx, boom);
  static_assert(std::is_same_v<decltype(out), Outcome<void, Boom, Bust>>);
  ASSERT_NE(out.exception<Boom>(), nullptr);
  EXPECT_EQ(out.exception<Boom>()->why, "boom");
  svc::Calc_fail_args fine{.why = "fine"};
  EXPECT_TRUE(CalcService::fail::invoke(outcome, cx, fine).has_value());
}

// Overrides every function of Calc and of its base.
class CalcImpl final : public svc::CalcIf {
 public:
  Task<void> ping(Context& cx) override {
    calls.push_back("ping");
    co_return;
  }
  Task<std::string> name(Context&) override { co_return "calc"; }
  Task<std::int32_t> add(Context& cx, std::int32_t a, std::int32_t b) override {
    seen = &cx;
    co_return a + b;
  }
  Task<Outcome<void, Boom, Bust>> fail(Context&, std::string why) override {
    if (why == "bust") co_return Bust{.code = 3};
    co_return Outcome<void, Boom, Bust>();
  }
  Task<void> notify(Context&, std::string event) override {
    calls.push_back(std::move(event));
    co_return;
  }
  Task<std::vector<std::string>> split(Context&, std::string text,
                                       std::string sep) override {
    co_return std::vector<std::string>{std::move(text), std::move(sep)};
  }
  Task<void> delete_(Context&, std::int64_t id) override {
    calls.push_back("delete " + std::to_string(id));
    co_return;
  }

  std::vector<std::string> calls;
  Context* seen = nullptr;
};

TEST(GeneratedServiceTest, InterfaceTypes) {
  static_assert(std::is_abstract_v<svc::CalcIf>);
  static_assert(std::is_base_of_v<svc::BaseIf, svc::CalcIf>);
  static_assert(std::has_virtual_destructor_v<svc::BaseIf>);
  static_assert(!std::is_abstract_v<CalcImpl>);
  static_assert(std::is_base_of_v<fixtures::shared::SharedServiceIf,
                                  fixtures::main::DerivedIf>);
  static_assert(std::is_same_v<decltype(std::declval<svc::CalcIf&>().fail(
                                   std::declval<Context&>(), "")),
                               Task<Outcome<void, Boom, Bust>>>);
  static_assert(std::is_same_v<decltype(std::declval<svc::CalcIf&>().split(
                                   std::declval<Context&>(), "", "")),
                               Task<std::vector<std::string>>>);
  // The Context parameter is renamed when an argument is called `cx`.
  static_assert(
      std::is_same_v<decltype(std::declval<dispatch::CollideIf&>().stack_(
                         std::declval<Context&>(), 1, 2)),
                     Task<std::int32_t>>);
}

FERRY_CO_TEST(GeneratedServiceTest, InvokeReachesTheVirtualInterface) {
  CalcImpl impl;
  svc::CalcIf& h = impl;
  Context cx;
  svc::Calc_add_args add{.a = 2, .b = 3};
  EXPECT_EQ(co_await CalcService::add::invoke(h, cx, add), 5);
  EXPECT_EQ(impl.seen, &cx);
  svc::Calc_fail_args fail{.why = "bust"};
  Outcome<void, Boom, Bust> out =
      co_await CalcService::fail::invoke(h, cx, fail);
  FERRY_CO_ASSERT_TRUE(out.exception<Bust>() != nullptr);
  EXPECT_EQ(out.exception<Bust>()->code, 3);
  svc::Calc_notify_args notify{.event = "evt"};
  co_await CalcService::notify::invoke(h, cx, notify);
  svc::Calc_delete_args del{.id = 9};
  co_await CalcService::delete_::invoke(h, cx, del);
  svc::Calc_split_args split{.text = "a"};
  EXPECT_THAT(co_await CalcService::split::invoke(h, cx, split),
              ::testing::ElementsAre("a", ","));
  // The base service's methods, through the base interface.
  svc::BaseIf& base = impl;
  svc::Base_ping_args ping;
  co_await svc::BaseService::ping::invoke(base, cx, ping);
  svc::Base_name_args name;
  EXPECT_EQ(co_await svc::BaseService::name::invoke(base, cx, name), "calc");
  EXPECT_THAT(impl.calls, ::testing::ElementsAre("evt", "delete 9", "ping"));
}

// --- The client --------------------------------------------------------------

// What the fake stack saw and answers.
struct Wire {
  std::string cx_method;
  bool oneway = false;
  std::string request;  // the encoded call, binary protocol
  ::ferry::codec::MessageType reply_type = ::ferry::codec::MessageType::kReply;
  std::string reply;  // the result struct, binary protocol
};

// A middleware stack standing in for a Thrift transport.
struct FakeStack {
  using Response = ::ferry::thrift::Response;
  Task<Result<Response>> call(Context& cx, ::ferry::thrift::Request req) {
    wire->cx_method = std::string(cx.method);
    wire->oneway = req.oneway;
    ::ferry::codec::WriteBuffer buf;
    req.encode_to(::ferry::codec::ProtocolId::kBinary, 7, buf);
    wire->request = std::string(buf.view());
    Response r;
    r.type = wire->reply_type;
    r.body = ::ferry::IoBuf::copy_from(wire->reply);
    co_return r;
  }
  Wire* wire = nullptr;
};
static_assert(::ferry::Service<FakeStack, ::ferry::thrift::Request>);

using Client = svc::CalcClient<FakeStack>;

// The client's signatures (never called: decltype only).
[[maybe_unused]] void client_signatures(Client& c, Context& cx) {
  static_assert(
      std::is_same_v<decltype(c.add(1, 2)), Task<Result<std::int32_t>>>);
  static_assert(
      std::is_same_v<decltype(c.add(cx, 1, 2)), Task<Result<std::int32_t>>>);
  static_assert(std::is_same_v<decltype(c.fail("x")),
                               Task<Result<Outcome<void, Boom, Bust>>>>);
  static_assert(std::is_same_v<decltype(c.notify(cx, "e")), Task<Status>>);
  static_assert(std::is_same_v<decltype(c.delete_(1)), Task<Status>>);
  static_assert(std::is_same_v<decltype(c.split("a", ",")),
                               Task<Result<std::vector<std::string>>>>);
  // Inherited from BaseClient.
  static_assert(std::is_same_v<decltype(c.ping()), Task<Status>>);
  static_assert(
      std::is_same_v<decltype(c.name(cx)), Task<Result<std::string>>>);
}

// A function called `stack` does not hide ClientBase::stack(); the template
// parameter is renamed when an argument is called `Stack`.
[[maybe_unused]] void collide_signatures(dispatch::CollideClient<FakeStack>& c,
                                         Context& cx) {
  static_assert(std::is_same_v<decltype(c.stack()), FakeStack&>);
  static_assert(
      std::is_same_v<decltype(c.stack_(cx, 1, 2)), Task<Result<std::int32_t>>>);
  static_assert(
      std::is_same_v<decltype(c.invoke_("h", "a")), Task<Result<std::string>>>);
}

TEST(GeneratedServiceTest, ClientTypes) {
  static_assert(std::is_base_of_v<svc::BaseClient<FakeStack>, Client>);
  static_assert(std::is_base_of_v<::ferry::thrift::ClientBase<FakeStack>,
                                  svc::BaseClient<FakeStack>>);
  static_assert(
      std::is_base_of_v<fixtures::shared::SharedServiceClient<FakeStack>,
                        fixtures::main::DerivedClient<FakeStack>>);
  static_assert(!std::is_convertible_v<FakeStack, Client>);  // explicit
  Wire wire;
  Client client(FakeStack{.wire = &wire});
  EXPECT_EQ(client.stack().wire, &wire);
}

template <class T>
std::string encode(const T& value) {
  ::ferry::codec::WriteBuffer buf;
  ::ferry::codec::BinaryWriter<::ferry::codec::WriteBuffer> w(buf);
  value.write(w);
  return std::string(buf.view());
}

// The call `wire` saw: its name, and its arguments decoded into `args`.
template <class Args>
std::string decode_call(const Wire& wire, Args& args) {
  ::ferry::codec::BinaryReader<::ferry::codec::SpanInput> r{
      ::ferry::codec::SpanInput(wire.request)};
  std::string name;
  ::ferry::codec::MessageType type{};
  std::int32_t seqid = 0;
  EXPECT_TRUE(r.read_message_begin(name, type, seqid).ok());
  EXPECT_EQ(type, wire.oneway ? ::ferry::codec::MessageType::kOneway
                              : ::ferry::codec::MessageType::kCall);
  EXPECT_EQ(seqid, 7);
  EXPECT_TRUE(args.read(r).ok());
  return name;
}

FERRY_CO_TEST(GeneratedServiceTest, ClientCallsThroughTheStack) {
  Wire wire;
  Client client(FakeStack{.wire = &wire});

  wire.reply = encode(svc::Calc_add_result{.success = 5});
  Result<std::int32_t> sum = co_await client.add(2, 3);
  FERRY_CO_ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, 5);
  svc::Calc_add_args add;
  EXPECT_EQ(decode_call(wire, add), "add");
  EXPECT_EQ(add, (svc::Calc_add_args{.a = 2, .b = 3}));
  EXPECT_EQ(wire.cx_method, "add");

  Context cx;
  wire.reply = encode(
      svc::Calc_split_result{.success = std::vector<std::string>{"x", "y"}});
  Result<std::vector<std::string>> parts =
      co_await client.split(cx, "x;y", ";");
  FERRY_CO_ASSERT_TRUE(parts.ok());
  EXPECT_THAT(*parts, ::testing::ElementsAre("x", "y"));
  EXPECT_EQ(cx.method, "split");
  svc::Calc_split_args split;
  EXPECT_EQ(decode_call(wire, split), "split");
  EXPECT_EQ(split.sep, ";");

  svc::Calc_fail_result bust;
  bust.bust.emplace().code = 4;
  wire.reply = encode(bust);
  Result<Outcome<void, Boom, Bust>> failed = co_await client.fail("why");
  FERRY_CO_ASSERT_TRUE(failed.ok());
  FERRY_CO_ASSERT_TRUE(failed->exception<Bust>() != nullptr);
  EXPECT_EQ(failed->exception<Bust>()->code, 4);

  wire.reply.clear();
  Status sent = co_await client.notify("evt");
  EXPECT_TRUE(sent.ok()) << sent;
  EXPECT_TRUE(wire.oneway);
  svc::Calc_notify_args notify;
  EXPECT_EQ(decode_call(wire, notify), "notify");
  EXPECT_EQ(notify.event, "evt");

  // The base service's function, inherited.
  wire.reply = encode(svc::Base_ping_result{});
  Status pinged = co_await client.ping();
  EXPECT_TRUE(pinged.ok()) << pinged;
  EXPECT_FALSE(wire.oneway);
  EXPECT_EQ(wire.cx_method, "ping");
}

}  // namespace
