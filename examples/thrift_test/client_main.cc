// thrift_test_client: calls every ThriftTest method through ferry's
// generated client and checks each result against the IDL's semantics,
// with Apache TestClient's flags:
//
//   thrift_test_client [--host H] [--port N] [--protocol binary|compact]
//                      [--transport framed|buffered] [--exclusive]
//
// Prints "PASS name" or "FAIL name: why" per method; exits 0 only if every
// method passed. --exclusive uses one call per connection (no seqid
// multiplexing), as Apache's clients do.

#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "examples/common/flags.h"
#include "examples/thrift_test/handler.h"
#include "runtime/runtime.h"
#include "runtime/time.h"
#include "transport/thrift/channel.h"

namespace {

using namespace ferry;
namespace tt = examples::tt;
using Client = tt::ThriftTestClient<thrift::Channel>;

struct Checker {
  int failures = 0;
  void pass(std::string_view name) { fmt::print("PASS {}\n", name); }
  void fail(std::string_view name, std::string_view why) {
    ++failures;
    fmt::print("FAIL {}: {}\n", name, why);
  }
  // `r` must be OK and equal `want`.
  template <class R, class T>
  void expect(std::string_view name, const R& r, const T& want) {
    if (!r.ok()) return fail(name, message_of(r.status()));
    if (!(*r == want)) return fail(name, "wrong value");
    pass(name);
  }
  void expect_ok(std::string_view name, const Status& s) {
    if (!s.ok()) return fail(name, message_of(s));
    pass(name);
  }
};

std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

Task<int> run_all(Client& c) {
  Checker k;
  {
    Status s = co_await c.testVoid();
    k.expect_ok("testVoid", s);
  }
  {
    auto r = co_await c.testString(std::string("Test"));
    k.expect("testString", r, std::string("Test"));
  }
  {
    auto r = co_await c.testString(std::string("ünï©ødé ✓ 日本"));
    k.expect("testString(unicode)", r, std::string("ünï©ødé ✓ 日本"));
  }
  {
    auto r = co_await c.testBool(true);
    k.expect("testBool(true)", r, true);
  }
  {
    auto r = co_await c.testBool(false);
    k.expect("testBool(false)", r, false);
  }
  {
    auto r = co_await c.testByte(-128);
    k.expect("testByte", r, int8_t{-128});
  }
  {
    auto r = co_await c.testI32(INT32_MIN);
    k.expect("testI32", r, INT32_MIN);
  }
  {
    auto r = co_await c.testI64(INT64_MAX);
    k.expect("testI64", r, INT64_MAX);
  }
  {
    auto r = co_await c.testDouble(-5.2098523);
    k.expect("testDouble", r, -5.2098523);
  }
  {
    auto r = co_await c.testDouble(-0.0);
    if (r.ok() && *r == 0.0 && std::signbit(*r)) {
      k.pass("testDouble(-0.0)");
    } else {
      k.fail("testDouble(-0.0)", r.ok() ? "sign lost" : message_of(r.status()));
    }
  }
  {
    auto r = co_await c.testDouble(std::numeric_limits<double>::infinity());
    k.expect("testDouble(inf)", r, std::numeric_limits<double>::infinity());
  }
  {
    auto r = co_await c.testBinary(all_bytes());
    k.expect("testBinary", r, all_bytes());
  }
  tt::Xtruct xs{"Zero", 1, -3, -5};
  {
    auto r = co_await c.testStruct(xs);
    k.expect("testStruct", r, xs);
  }
  tt::Xtruct2 nest{1, xs, 5};
  {
    auto r = co_await c.testNest(nest);
    k.expect("testNest", r, nest);
  }
  std::map<int32_t, int32_t> m{{0, -10}, {1, -9}, {4, -6}};
  {
    auto r = co_await c.testMap(m);
    k.expect("testMap", r, m);
  }
  std::map<std::string, std::string> sm{{"a", "2"}, {"b", "blah"}, {"", ""}};
  {
    auto r = co_await c.testStringMap(sm);
    k.expect("testStringMap", r, sm);
  }
  std::set<int32_t> set{-2, -1, 0, 1, 2};
  {
    auto r = co_await c.testSet(set);
    k.expect("testSet", r, set);
  }
  std::vector<int32_t> list{-2, -1, 0, 1, 2};
  {
    auto r = co_await c.testList(list);
    k.expect("testList", r, list);
  }
  {
    auto r = co_await c.testEnum(tt::Numberz::FIVE);
    k.expect("testEnum", r, tt::Numberz::FIVE);
  }
  {
    auto r = co_await c.testTypedef(309858235082523LL);
    k.expect("testTypedef", r, tt::UserId{309858235082523LL});
  }
  {
    auto r = co_await c.testMapMap(1);
    k.expect("testMapMap", r, examples::ThriftTestHandler().testMapMap(1));
  }
  tt::Insanity insane;
  // (No initializer lists here: GCC 12 cannot keep their arrays in a
  // coroutine frame.)
  insane.userMap.emplace(tt::Numberz::FIVE, 5);
  insane.userMap.emplace(tt::Numberz::EIGHT, 8);
  insane.xtructs.push_back(tt::Xtruct{"Goodbye4", 4, 4, 4});
  insane.xtructs.push_back(tt::Xtruct{"Hello2", 2, 2, 2});
  {
    auto r = co_await c.testInsanity(insane);
    k.expect("testInsanity", r,
             examples::ThriftTestHandler().testInsanity(insane));
  }
  std::map<int16_t, std::string> multi_map;
  multi_map.emplace(1, "one");
  {
    auto r = co_await c.testMulti(1, 2, 3, multi_map, tt::Numberz::TWO, 7);
    k.expect("testMulti", r, tt::Xtruct{"Hello2", 1, 2, 3});
  }

  {
    auto r = co_await c.testException(std::string("Xception"));
    const tt::Xception* e = r.ok() ? r->exception<tt::Xception>() : nullptr;
    if (e != nullptr && e->errorCode == 1001 && e->message == "Xception") {
      k.pass("testException(Xception)");
    } else {
      k.fail("testException(Xception)", "no Xception(1001, \"Xception\")");
    }
    r = co_await c.testException(std::string("TException"));
    if (!r.ok()) {
      k.pass("testException(TException)");
    } else {
      k.fail("testException(TException)", "no TApplicationException");
    }
    r = co_await c.testException(std::string("success"));
    if (r.ok() && r->has_value()) {
      k.pass("testException(success)");
    } else {
      k.fail("testException(success)", "did not succeed");
    }
  }
  {
    auto r = co_await c.testMultiException(std::string("Xception"),
                                           std::string("ignored"));
    const tt::Xception* e1 = r.ok() ? r->exception<tt::Xception>() : nullptr;
    if (e1 != nullptr && e1->errorCode == 1001 &&
        e1->message == "This is an Xception") {
      k.pass("testMultiException(Xception)");
    } else {
      k.fail("testMultiException(Xception)", "no Xception 1001");
    }
    r = co_await c.testMultiException(std::string("Xception2"),
                                      std::string("ignored"));
    const tt::Xception2* e2 = r.ok() ? r->exception<tt::Xception2>() : nullptr;
    if (e2 != nullptr && e2->errorCode == 2002 &&
        e2->struct_thing.string_thing == "This is an Xception2") {
      k.pass("testMultiException(Xception2)");
    } else {
      k.fail("testMultiException(Xception2)", "no Xception2 2002");
    }
    r = co_await c.testMultiException(std::string("none"), std::string("fine"));
    if (r.ok() && r->has_value() && r->value().string_thing == "fine") {
      k.pass("testMultiException(none)");
    } else {
      k.fail("testMultiException(none)", "no Xtruct");
    }
  }
  {
    const auto start = std::chrono::steady_clock::now();
    Status s = co_await c.testOneway(1);
    const auto took = std::chrono::steady_clock::now() - start;
    if (!s.ok()) {
      k.fail("testOneway", message_of(s));
    } else if (took >= std::chrono::milliseconds(500)) {
      k.fail("testOneway", "the call waited for the server's sleep");
    } else {
      Status again = co_await c.testVoid();  // still usable
      k.expect_ok("testOneway", again);
    }
  }
  co_return k.failures;
}

int run(int argc, char** argv) {
  auto flags = examples::Flags::parse(
      argc, argv, {"host", "port", "protocol", "transport"}, {"exclusive"});
  if (!flags.ok()) {
    fmt::print(stderr, "thrift_test_client: {}\n", message_of(flags.status()));
    return 2;
  }
  auto format = examples::wire_format(*flags, "buffered");
  if (!format.ok()) {
    fmt::print(stderr, "thrift_test_client: {}\n", message_of(format.status()));
    return 2;
  }
  auto addr = SocketAddress::parse(
      fmt::format("{}:{}", flags->get_or("host", "127.0.0.1"),
                  flags->get_or("port", "9090")));
  if (!addr.ok()) {
    fmt::print(stderr, "thrift_test_client: {}\n", message_of(addr.status()));
    return 2;
  }
  thrift::ChannelOptions options;
  options.format = *format;
  options.multiplex = !flags->has("exclusive");
  options.request_timeout = std::chrono::seconds(10);
  Client client(thrift::Channel::create(*addr, options));
  const int failures = block_on(run_all(client));
  if (failures > 0) fmt::print("{} checks failed\n", failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
