// apache_thrift_test_client: a reference ThriftTest client on Apache Thrift
// C++ (Debian's libthrift 0.17), for ferry's Thrift interop tests. The C++
// twin of py_test_client.py: same flags, same checks, same output.
//
//   apache_thrift_test_client --port 9090 [--host 127.0.0.1]
//       [--protocol binary|compact] [--transport buffered|framed]
//       [--timeout 10]
//
// Calls every ThriftTest method and checks the result against the IDL
// comments (the interop contract), printing one line per method on stdout:
// `PASS name` or `FAIL name: why`. Exits 0 only if every method passed.
// Flags are written --name value or --name=value.
//
// Stricter than Apache's own test client: every call carries a fresh
// sequence id and the reply must echo it and the method name (the generated
// client sends 0 and checks neither), and a call expected to throw fails if
// it returns. A failure that leaves the connection unusable (transport or
// protocol error) reconnects for the next method, so one broken method does
// not hide the state of the others.

#include <thrift/TApplicationException.h>
#include <thrift/TToString.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/protocol/TProtocolDecorator.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apache_thrift_test/ThriftTest.h"
#include "bench/common/peer_main.h"

namespace {

namespace tt = ::apache_tt;
using apache::thrift::TApplicationException;
using apache::thrift::TException;
using apache::thrift::protocol::TBinaryProtocol;
using apache::thrift::protocol::TCompactProtocol;
using apache::thrift::protocol::TMessageType;
using apache::thrift::protocol::TProtocol;
using apache::thrift::protocol::TProtocolDecorator;
using apache::thrift::protocol::TProtocolException;
using apache::thrift::transport::TBufferedTransport;
using apache::thrift::transport::TFramedTransport;
using apache::thrift::transport::TSocket;
using apache::thrift::transport::TTransport;
using apache::thrift::transport::TTransportException;

struct Options {
  std::string host = "127.0.0.1";
  int port = 9090;
  bool compact = false;
  bool framed = false;
  int timeout_ms = 10000;  // any connect, send or reply
};

// Numbers calls itself and requires each reply to carry the call's method
// name and sequence id (an Apache-style server echoes both).
class SeqidCheckingProtocol : public TProtocolDecorator {
 public:
  using TProtocolDecorator::TProtocolDecorator;

  uint32_t writeMessageBegin_virt(const std::string& name,
                                  const TMessageType type,
                                  const int32_t /*seqid*/) override {
    ++seqid_;
    if (type != apache::thrift::protocol::T_ONEWAY) {
      expected_.emplace(name, seqid_);
    }
    return TProtocolDecorator::writeMessageBegin_virt(name, type, seqid_);
  }

  uint32_t readMessageBegin_virt(std::string& name, TMessageType& type,
                                 int32_t& seqid) override {
    const uint32_t n =
        TProtocolDecorator::readMessageBegin_virt(name, type, seqid);
    const auto expected = std::exchange(expected_, std::nullopt);
    if (!expected) {
      throw TProtocolException(TProtocolException::INVALID_DATA,
                               "reply '" + name + "' with no call outstanding");
    }
    if (name != expected->first || seqid != expected->second) {
      throw TProtocolException(
          TProtocolException::INVALID_DATA,
          "reply '" + name + "' seqid " + std::to_string(seqid) + " to call '" +
              expected->first + "' seqid " + std::to_string(expected->second));
    }
    return n;
  }

 private:
  int32_t seqid_ = 0x1000;  // not 0: a server that never echoes shows up
  std::optional<std::pair<std::string, int32_t>> expected_;
};

class CheckFailed : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string truncated(std::string s) {
  constexpr std::size_t kLimit = 160;
  if (s.size() > kLimit) s = s.substr(0, kLimit) + "...";
  return s;
}

template <class T>
std::string describe(const T& v) {
  return truncated(apache::thrift::to_string(v));
}
std::string describe(int8_t v) { return std::to_string(v); }
std::string describe(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return truncated(out + "\"");
}

template <class T, class U>
void expect_eq(const std::string& what, const T& got, const U& want) {
  if (!(got == want)) {
    throw CheckFailed(what + ": got " + describe(got) + ", want " +
                      describe(want));
  }
}

// Runs `call(v)` for every value, which must return v.
template <class T, class Call>
void echo_each(const std::string& method, const std::vector<T>& values,
               Call call) {
  for (const T& v : values) {
    expect_eq(method + "(" + describe(v) + ")", call(v), v);
  }
}

// Runs `call`, which must throw E; returns the exception.
template <class E, class Call>
E expect_throw(const std::string& what, Call call) {
  try {
    call();
  } catch (const E& e) {
    return e;
  }
  throw CheckFailed(what + ": returned, want an exception");
}

tt::Xtruct xtruct(std::string s, int8_t b, int32_t i, int64_t l) {
  tt::Xtruct x;
  x.string_thing = std::move(s);
  x.byte_thing = b;
  x.i32_thing = i;
  x.i64_thing = l;
  return x;
}

using Check = std::function<void(tt::ThriftTestClient&)>;

std::vector<std::pair<std::string, Check>> build_checks() {
  std::vector<std::pair<std::string, Check>> checks;
  auto add = [&](std::string name, Check check) {
    checks.emplace_back(std::move(name), std::move(check));
  };

  add("testVoid", [](tt::ThriftTestClient& c) { c.testVoid(); });
  add("testString", [](tt::ThriftTestClient& c) {
    echo_each<std::string>(
        "testString",
        {"", "Hello World", "\b\t\n/\\\\\r{}:パイソン\"",
         "Afrikaans, Aragonés, العربية, Беларуская, বাংলা, 中文, 日本語, "
         "한국어, ไทย, 🦀",
         std::string(120, 'P'),
         std::string(70000, 'x')},  // several reads/frames' worth
        [&](const std::string& v) {
          std::string r;
          c.testString(r, v);
          return r;
        });
  });
  add("testBool", [](tt::ThriftTestClient& c) {
    echo_each<bool>("testBool", {true, false},
                    [&](bool v) { return c.testBool(v); });
  });
  add("testByte", [](tt::ThriftTestClient& c) {
    echo_each<int8_t>("testByte", {0, 1, -1, 63, 127, -128},
                      [&](int8_t v) { return c.testByte(v); });
  });
  add("testI32", [](tt::ThriftTestClient& c) {
    echo_each<int32_t>("testI32",
                       {0, -1, 1, std::numeric_limits<int32_t>::max(),
                        std::numeric_limits<int32_t>::min()},
                       [&](int32_t v) { return c.testI32(v); });
  });
  add("testI64", [](tt::ThriftTestClient& c) {
    echo_each<int64_t>(
        "testI64",
        {0, -1, 1, -34359738368, std::numeric_limits<int64_t>::max(),
         std::numeric_limits<int64_t>::min()},
        [&](int64_t v) { return c.testI64(v); });
  });
  add("testDouble", [](tt::ThriftTestClient& c) {
    const double inf = std::numeric_limits<double>::infinity();
    for (const double v : {0.0, -0.0, 1.5, -5.235098235, 5e-324,
                           1.7976931348623157e308, inf, -inf}) {
      const double got = c.testDouble(v);
      // == would accept 0.0 for -0.0: compare signs too.
      if (got != v || std::signbit(got) != std::signbit(v)) {
        throw CheckFailed("testDouble(" + describe(v) + "): got " +
                          describe(got));
      }
    }
    const double got = c.testDouble(std::numeric_limits<double>::quiet_NaN());
    if (!std::isnan(got)) {
      throw CheckFailed("testDouble(nan): got " + describe(got));
    }
  });
  add("testBinary", [](tt::ThriftTestClient& c) {
    std::string all(256, '\0');
    for (int i = 0; i < 256; ++i) all[i] = static_cast<char>(i);
    echo_each<std::string>("testBinary", {all, ""}, [&](const std::string& v) {
      std::string r;
      c.testBinary(r, v);
      return r;
    });
  });
  add("testStruct", [](tt::ThriftTestClient& c) {
    echo_each<tt::Xtruct>("testStruct",
                          {xtruct("Zero", 1, -3, -5), xtruct("", 0, 0, 0)},
                          [&](const tt::Xtruct& v) {
                            tt::Xtruct r;
                            c.testStruct(r, v);
                            return r;
                          });
  });
  add("testNest", [](tt::ThriftTestClient& c) {
    tt::Xtruct2 nest;
    nest.byte_thing = 1;
    nest.struct_thing = xtruct("Zero", 1, -3, -5);
    nest.i32_thing = 5;
    echo_each<tt::Xtruct2>("testNest", {nest}, [&](const tt::Xtruct2& v) {
      tt::Xtruct2 r;
      c.testNest(r, v);
      return r;
    });
  });
  add("testMap", [](tt::ThriftTestClient& c) {
    using M = std::map<int32_t, int32_t>;
    echo_each<M>("testMap", {{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {-1, -2}}, {}},
                 [&](const M& v) {
                   M r;
                   c.testMap(r, v);
                   return r;
                 });
  });
  add("testStringMap", [](tt::ThriftTestClient& c) {
    using M = std::map<std::string, std::string>;
    echo_each<M>(
        "testStringMap",
        {{{"a", "2"}, {"b", "blah"}, {"some", "thing"}, {"パイソン", "🦀"}},
         {}},
        [&](const M& v) {
          M r;
          c.testStringMap(r, v);
          return r;
        });
  });
  add("testSet", [](tt::ThriftTestClient& c) {
    using S = std::set<int32_t>;
    echo_each<S>("testSet", {{8, 1, 42, -5}, {}}, [&](const S& v) {
      S r;
      c.testSet(r, v);
      return r;
    });
  });
  add("testList", [](tt::ThriftTestClient& c) {
    using L = std::vector<int32_t>;
    echo_each<L>("testList", {{1, 4, 9, -42, 1}, {}}, [&](const L& v) {
      L r;
      c.testList(r, v);
      return r;
    });
  });
  add("testEnum", [](tt::ThriftTestClient& c) {
    echo_each<tt::Numberz::type>(
        "testEnum",
        {tt::Numberz::ONE, tt::Numberz::TWO, tt::Numberz::THREE,
         tt::Numberz::FIVE, tt::Numberz::SIX, tt::Numberz::EIGHT},
        [&](tt::Numberz::type v) { return c.testEnum(v); });
  });
  add("testTypedef", [](tt::ThriftTestClient& c) {
    echo_each<tt::UserId>("testTypedef", {0xffffffffffffff, -1},
                          [&](tt::UserId v) { return c.testTypedef(v); });
  });
  add("testMapMap", [](tt::ThriftTestClient& c) {
    std::map<int32_t, std::map<int32_t, int32_t>> got;
    c.testMapMap(got, 1);
    expect_eq("testMapMap(1)", got,
              std::map<int32_t, std::map<int32_t, int32_t>>{
                  {-4, {{-4, -4}, {-3, -3}, {-2, -2}, {-1, -1}}},
                  {4, {{1, 1}, {2, 2}, {3, 3}, {4, 4}}}});
  });
  add("testInsanity", [](tt::ThriftTestClient& c) {
    tt::Insanity arg;
    arg.userMap = {{tt::Numberz::FIVE, 5}, {tt::Numberz::EIGHT, 8}};
    arg.xtructs = {xtruct("Goodbye4", 4, 4, 4), xtruct("Hello2", 2, 2, 2)};
    std::map<tt::UserId, std::map<tt::Numberz::type, tt::Insanity>> got;
    c.testInsanity(got, arg);
    // Insanity's == compares the (non-optional) fields, not their isset
    // bits: an empty Insanity matches whether or not they were sent.
    expect_eq("testInsanity", got,
              std::map<tt::UserId, std::map<tt::Numberz::type, tt::Insanity>>{
                  {1, {{tt::Numberz::TWO, arg}, {tt::Numberz::THREE, arg}}},
                  {2, {{tt::Numberz::SIX, tt::Insanity()}}}});
  });
  add("testMulti", [](tt::ThriftTestClient& c) {
    tt::Xtruct got;
    c.testMulti(got, 74, 0xff00ff, 0xffffffffd0d0, {{0, "abc"}, {-1, "x"}},
                tt::Numberz::FIVE, 0xf0f0f0);
    expect_eq("testMulti", got, xtruct("Hello2", 74, 0xff00ff, 0xffffffffd0d0));
  });
  add("testException", [](tt::ThriftTestClient& c) {
    const auto x = expect_throw<tt::Xception>(
        "testException(\"Xception\")", [&] { c.testException("Xception"); });
    expect_eq("Xception.errorCode", x.errorCode, 1001);
    expect_eq("Xception.message", x.message, std::string("Xception"));
    // Undeclared exceptions reach the client as TApplicationException (an
    // EXCEPTION message); the connection stays usable.
    expect_throw<TApplicationException>("testException(\"TException\")",
                                        [&] { c.testException("TException"); });
    c.testException("success");
    c.testException("Safe");
  });
  add("testMultiException", [](tt::ThriftTestClient& c) {
    tt::Xtruct r;
    const auto x = expect_throw<tt::Xception>(
        "testMultiException(\"Xception\", ...)",
        [&] { c.testMultiException(r, "Xception", "a"); });
    expect_eq("Xception.errorCode", x.errorCode, 1001);
    expect_eq("Xception.message", x.message,
              std::string("This is an Xception"));
    const auto x2 = expect_throw<tt::Xception2>(
        "testMultiException(\"Xception2\", ...)",
        [&] { c.testMultiException(r, "Xception2", "b"); });
    expect_eq("Xception2.errorCode", x2.errorCode, 2002);
    expect_eq("Xception2.struct_thing.string_thing",
              x2.struct_thing.string_thing,
              std::string("This is an Xception2"));
    c.testMultiException(r, "success", "foobar");
    expect_eq("testMultiException(\"success\", \"foobar\").string_thing",
              r.string_thing, std::string("foobar"));
  });
  add("testOneway", [](tt::ThriftTestClient& c) {
    const auto start = std::chrono::steady_clock::now();
    c.testOneway(1);
    const std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - start;
    if (took >= std::chrono::seconds(1)) {
      throw CheckFailed("testOneway(1) took " + std::to_string(took.count()) +
                        " s: the client waited for the server's 1 s sleep");
    }
    // No reply may follow a oneway call: the next replies must match their
    // calls (the seqid check would catch a stray one).
    c.testVoid();
    expect_eq("testI32(-1) after testOneway", c.testI32(-1), -1);
  });
  return checks;
}

class Connection {
 public:
  explicit Connection(const Options& o) : o_(o) {}
  ~Connection() { reset(); }

  tt::ThriftTestClient& client() {
    if (!client_) open();
    return *client_;
  }

  void reset() noexcept {
    client_.reset();
    if (transport_) {
      try {
        transport_->close();
      } catch (...) {
      }
      transport_.reset();
    }
  }

 private:
  void open() {
    auto socket = std::make_shared<TSocket>(o_.host, o_.port);
    socket->setConnTimeout(o_.timeout_ms);
    socket->setRecvTimeout(o_.timeout_ms);
    socket->setSendTimeout(o_.timeout_ms);
    std::shared_ptr<TTransport> transport;
    if (o_.framed) {
      transport = std::make_shared<TFramedTransport>(socket);
    } else {
      transport = std::make_shared<TBufferedTransport>(socket);
    }
    std::shared_ptr<TProtocol> proto;
    if (o_.compact) {
      proto = std::make_shared<TCompactProtocol>(transport);
    } else {
      proto = std::make_shared<TBinaryProtocol>(transport);
    }
    transport->open();
    transport_ = transport;
    client_ = std::make_unique<tt::ThriftTestClient>(
        std::make_shared<SeqidCheckingProtocol>(proto));
  }

  Options o_;
  std::shared_ptr<TTransport> transport_;
  std::unique_ptr<tt::ThriftTestClient> client_;
};

constexpr std::string_view kUsage =
    "usage: apache_thrift_test_client --port N [--host 127.0.0.1]\n"
    "    [--protocol binary|compact] [--transport buffered|framed]\n"
    "    [--timeout SECONDS]\n";

// Reads the flags into `o`; a bad one is an error on `flags`.
void read_flags(ferry::bench_common::PeerFlags& flags, Options* o) {
  o->host = flags.get("host", o->host);
  flags.number("port", 1, 65535, &o->port);
  const std::string protocol = flags.get("protocol", "binary");
  if (protocol != "binary" && protocol != "compact") {
    flags.fail("bad flag --protocol " + protocol);
  }
  o->compact = protocol == "compact";
  const std::string transport = flags.get("transport", "buffered");
  if (transport != "buffered" && transport != "framed") {
    flags.fail("bad flag --transport " + transport);
  }
  o->framed = transport == "framed";
  double timeout = o->timeout_ms / 1000.0;
  flags.number("timeout", 0.001, 86400.0, &timeout);
  o->timeout_ms = static_cast<int>(timeout * 1000);
}

int run(int argc, char** argv) {
  ferry::bench_common::PeerFlags flags(
      argc, argv, {"host", "port", "protocol", "transport", "timeout"});
  Options o;
  read_flags(flags, &o);
  if (!flags.ok()) {
    return flags.usage_error("apache_thrift_test_client", kUsage);
  }
  const auto checks = build_checks();
  Connection conn(o);
  int failed = 0;
  for (const auto& [name, check] : checks) {
    std::string why;
    try {
      check(conn.client());
      std::printf("PASS %s\n", name.c_str());
      std::fflush(stdout);
      continue;
    } catch (const CheckFailed& e) {
      why = e.what();
    } catch (const TApplicationException& e) {
      // The server answered with an error: the connection is fine.
      why = "TApplicationException type " + std::to_string(e.getType()) + ": " +
            e.what();
    } catch (const TTransportException& e) {
      why = std::string("TTransportException: ") + e.what();
      conn.reset();
    } catch (const TProtocolException& e) {
      why = std::string("TProtocolException: ") + e.what();
      conn.reset();
    } catch (const TException& e) {  // a declared exception, unexpected here
      why = std::string("unexpected exception: ") + e.what();
    } catch (const std::exception& e) {
      why = e.what();
      conn.reset();
    }
    ++failed;
    std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
    std::fflush(stdout);
  }
  std::fprintf(
      stderr, "apache_thrift_test_client: %zu/%zu methods passed (%s, %s)\n",
      checks.size() - failed, checks.size(), o.compact ? "compact" : "binary",
      o.framed ? "framed" : "buffered");
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
