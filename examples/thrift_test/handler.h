#pragma once

// ferry's ThriftTest handler: the semantics spelled out in the comments of
// ../shared/interop/thrift/ThriftTest.thrift, which every Apache Thrift
// language's test server implements.

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "ThriftTest_services.h"
#include "runtime/task.h"
#include "runtime/time.h"
#include "transport/thrift/outcome.h"

namespace ferry::examples {

namespace tt = ::ferry_examples::thrift::test;

struct ThriftTestHandler {
  void testVoid() {}
  std::string testString(std::string thing) { return thing; }
  bool testBool(bool thing) { return thing; }
  int8_t testByte(int8_t thing) { return thing; }
  int32_t testI32(int32_t thing) { return thing; }
  int64_t testI64(int64_t thing) { return thing; }
  double testDouble(double thing) { return thing; }
  std::string testBinary(std::string thing) { return thing; }
  codec::Uuid testUuid(codec::Uuid thing) { return thing; }
  tt::Xtruct testStruct(tt::Xtruct thing) { return thing; }
  tt::Xtruct2 testNest(tt::Xtruct2 thing) { return thing; }
  std::map<int32_t, int32_t> testMap(std::map<int32_t, int32_t> thing) {
    return thing;
  }
  std::map<std::string, std::string> testStringMap(
      std::map<std::string, std::string> thing) {
    return thing;
  }
  std::set<int32_t> testSet(std::set<int32_t> thing) { return thing; }
  std::vector<int32_t> testList(std::vector<int32_t> thing) { return thing; }
  tt::Numberz testEnum(tt::Numberz thing) { return thing; }
  tt::UserId testTypedef(tt::UserId thing) { return thing; }

  std::map<int32_t, std::map<int32_t, int32_t>> testMapMap(int32_t) {
    std::map<int32_t, std::map<int32_t, int32_t>> out;
    for (int32_t i = 1; i <= 4; ++i) {
      out[-4][-i] = -i;
      out[4][i] = i;
    }
    return out;
  }

  std::map<tt::UserId, std::map<tt::Numberz, tt::Insanity>> testInsanity(
      tt::Insanity argument) {
    std::map<tt::UserId, std::map<tt::Numberz, tt::Insanity>> out;
    out[1][tt::Numberz::TWO] = argument;
    out[1][tt::Numberz::THREE] = argument;
    out[2][tt::Numberz::SIX] = tt::Insanity{};
    return out;
  }

  tt::Xtruct testMulti(int8_t arg0, int32_t arg1, int64_t arg2,
                       std::map<int16_t, std::string>, tt::Numberz,
                       tt::UserId) {
    return tt::Xtruct{"Hello2", arg0, arg1, arg2};
  }

  thrift::Outcome<void, tt::Xception> testException(std::string arg) {
    if (arg == "Xception") return tt::Xception{1001, arg};
    // Not a declared exception: the client sees a TApplicationException.
    if (arg == "TException") throw std::runtime_error("TException");
    return {};
  }

  thrift::Outcome<tt::Xtruct, tt::Xception, tt::Xception2> testMultiException(
      std::string arg0, std::string arg1) {
    if (arg0 == "Xception") return tt::Xception{1001, "This is an Xception"};
    if (arg0 == "Xception2") {
      tt::Xception2 e;
      e.errorCode = 2002;
      e.struct_thing.string_thing = "This is an Xception2";
      return e;
    }
    tt::Xtruct result;
    result.string_thing = std::move(arg1);
    return result;
  }

  // The client does not wait for this; the connection keeps serving
  // other calls meanwhile.
  Task<void> testOneway(int32_t secondsToSleep) {
    (void)co_await sleep_for(std::chrono::seconds(secondsToSleep));
  }
};

}  // namespace ferry::examples
