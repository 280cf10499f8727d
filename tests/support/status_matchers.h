#pragma once

// gMock matchers for Status and Result<T> (Debian's abseil predates
// absl/status/status_matchers.h): IsOk(), StatusIs(code[, message_matcher]),
// IsOkAndHolds(value_matcher).
//
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable,
//                           HasSubstr("Connection refused")));
//   EXPECT_THAT(r, IsOkAndHolds(42));

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace ferry::testing {

inline const absl::Status& get_status(const absl::Status& s) { return s; }
template <class T>
const absl::Status& get_status(const absl::StatusOr<T>& r) {
  return r.status();
}

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& s = get_status(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code,
          std::string(negation ? "has a code other than " : "has code ") +
              absl::StatusCodeToString(code)) {
  const absl::Status& s = get_status(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has code ") + absl::StatusCodeToString(code) +
               " and a matching message") {
  const absl::Status& s = get_status(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(s.message()), result_listener);
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace ferry::testing
