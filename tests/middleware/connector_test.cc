#include "middleware/connector.h"

#include <chrono>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "middleware/builder.h"
#include "middleware/concurrency_limit.h"
#include "middleware/timeout.h"
#include "tests/support/co_test.h"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::StatusIs;

FERRY_CO_TEST(TcpConnectorTest, DialsAndRecordsThePeer) {
  auto listener = TcpListener::bind(SocketAddress::loopback_v4(0));
  FERRY_CO_ASSERT_OK(listener);
  auto dial = ServiceBuilder().layer(TimeoutLayer(5s)).service(TcpConnector());
  Context cx;
  Result<TcpStream> s = co_await dial.call(cx, listener->local_address());
  EXPECT_THAT(s, IsOk());
  EXPECT_EQ(cx.peer.to_string(), listener->local_address().to_string());
}

FERRY_CO_TEST(TcpConnectorTest, ATimeoutLayerBoundsDialing) {
  // A listener that never accepts, with the smallest backlog: once its
  // queue is full further connects hang, and the layer's deadline ends them
  // (the connector's own 5 s bound would be far later).
  auto listener =
      TcpListener::bind(SocketAddress::loopback_v4(0), {.backlog = 0});
  FERRY_CO_ASSERT_OK(listener);
  auto dial =
      ServiceBuilder().layer(TimeoutLayer(50ms)).service(TcpConnector());
  std::vector<TcpStream> queued;
  Status last;
  for (int i = 0; i < 8 && last.ok(); ++i) {
    Context cx;
    cx.method = "dial";
    Result<TcpStream> s = co_await dial.call(cx, listener->local_address());
    if (s.ok()) {
      queued.push_back(std::move(*s));
    } else {
      last = s.status();
    }
  }
  EXPECT_THAT(last, StatusIs(absl::StatusCode::kDeadlineExceeded,
                             HasSubstr("dial: deadline exceeded")));
}

FERRY_CO_TEST(TcpConnectorTest, LimitsApplyToDialing) {
  auto dial =
      ServiceBuilder().layer(ConcurrencyLimitLayer(0)).service(TcpConnector());
  Context cx;
  Result<TcpStream> s = co_await dial.call(cx, SocketAddress::loopback_v4(1));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace ferry
