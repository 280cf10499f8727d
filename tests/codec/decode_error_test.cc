#include "codec/decode_error.h"

#include <string>

#include "absl/strings/cord.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace ferry::codec {
namespace {

using ::ferry::testing::IsOk;
using ::ferry::testing::StatusIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(DecodeErrorTest, LeafMessages) {
  EXPECT_THAT(truncated_error(8, 3),
              StatusIs(kInvalid, "truncated: needed 8 bytes, 3 left"));
  EXPECT_THAT(
      limit_error("string", 2147483647, 16777216),
      StatusIs(kInvalid, "string length 2147483647 exceeds limit 16777216"));
  EXPECT_THAT(limit_error("binary", 5, 4),
              StatusIs(kInvalid, "binary length 5 exceeds limit 4"));
  EXPECT_THAT(limit_error("map", 5, 4),
              StatusIs(kInvalid, "map size 5 exceeds limit 4"));
  EXPECT_THAT(limit_error("message", 5, 4),
              StatusIs(kInvalid, "message length 5 exceeds limit 4"));
  EXPECT_THAT(depth_error(64),
              StatusIs(kInvalid, "nesting depth exceeds limit 64"));
  EXPECT_THAT(invalid_error("bad"), StatusIs(kInvalid, "bad"));
  EXPECT_THAT(invalid_value_error("invalid compact type", 0x0e),
              StatusIs(kInvalid, "invalid compact type 0x0e"));
  EXPECT_THAT(invalid_value_error("bad version", 0x80020000),
              StatusIs(kInvalid, "bad version 0x80020000"));
  EXPECT_THAT(negative_size_error("list", -3),
              StatusIs(kInvalid, "negative list size -3"));
  EXPECT_THAT(negative_size_error("string", -1),
              StatusIs(kInvalid, "negative string length -1"));
}

TEST(DecodeErrorTest, LeafHasNoPath) {
  const Status s = truncated_error(1, 0);
  EXPECT_EQ(error_path(s), "");
  EXPECT_EQ(error_detail(s), "truncated: needed 1 bytes, 0 left");
}

TEST(DecodeErrorTest, FieldOfTopLevelStruct) {
  const Status s = in_field(depth_error(64), "Outer", "name");
  EXPECT_THAT(s,
              StatusIs(kInvalid, "Outer.name: nesting depth exceeds limit 64"));
  EXPECT_EQ(error_path(s), "Outer.name");
  EXPECT_EQ(error_detail(s), "nesting depth exceeds limit 64");
}

TEST(DecodeErrorTest, ListOfStructsReplacesTheInnerTypeName) {
  // Inner::read fails on `name`; Outer reads it as items[3].
  Status s = limit_error("string", 2147483647, 16777216);
  s = in_field(std::move(s), "Inner", "name");
  EXPECT_EQ(error_path(s), "Inner.name");
  s = at_element(std::move(s), 3);
  EXPECT_EQ(error_path(s), "[3].name");
  s = in_field(std::move(s), "Outer", "items");
  EXPECT_THAT(s, StatusIs(kInvalid,
                          "Outer.items[3].name: string length 2147483647 "
                          "exceeds limit 16777216"));
  EXPECT_EQ(error_path(s), "Outer.items[3].name");
  EXPECT_EQ(error_detail(s), "string length 2147483647 exceeds limit 16777216");
}

TEST(DecodeErrorTest, NestedStructFields) {
  // Outer.a (struct A) -> A.b (struct B) -> B.c fails.
  Status s = in_field(truncated_error(4, 1), "B", "c");
  s = in_field(std::move(s), "A", "b");
  s = in_field(std::move(s), "Outer", "a");
  EXPECT_THAT(
      s, StatusIs(kInvalid, "Outer.a.b.c: truncated: needed 4 bytes, 1 left"));
}

TEST(DecodeErrorTest, ListOfListsOfPrimitives) {
  Status s = at_element(truncated_error(4, 0), 7);
  s = at_element(std::move(s), 2);
  s = in_field(std::move(s), "Grid", "cells");
  EXPECT_THAT(s,
              StatusIs(kInvalid,
                       "Grid.cells[2][7]: truncated: needed 4 bytes, 0 left"));
}

TEST(DecodeErrorTest, MapKeysAndValues) {
  Status key =
      in_field(at_map_key(invalid_error("bad key"), 0), "M", "by_name");
  EXPECT_THAT(key, StatusIs(kInvalid, "M.by_name{key #0}: bad key"));
  Status value = in_field(limit_error("string", 9, 8), "Inner", "name");
  value = at_map_value(std::move(value), 12);
  value = in_field(std::move(value), "M", "by_id");
  EXPECT_THAT(value, StatusIs(kInvalid,
                              "M.by_id{value #12}.name: string length 9 "
                              "exceeds limit 8"));
  EXPECT_EQ(error_path(value), "M.by_id{value #12}.name");
  // A map value that is itself a list of structs.
  Status deep = in_field(invalid_error("x"), "Leaf", "f");
  deep = at_element(std::move(deep), 1);
  deep = at_map_value(std::move(deep), 0);
  deep = in_field(std::move(deep), "Root", "m");
  EXPECT_THAT(deep, StatusIs(kInvalid, "Root.m{value #0}[1].f: x"));
}

TEST(DecodeErrorTest, MissingRequired) {
  const Status s = missing_required("Outer", "name");
  EXPECT_THAT(s, StatusIs(kInvalid, "Outer.name: required field missing"));
  const Status nested = in_field(at_element(s, 0), "Top", "outers");
  EXPECT_THAT(nested,
              StatusIs(kInvalid, "Top.outers[0].name: required field missing"));
}

TEST(DecodeErrorTest, KeepsCodeAndOtherPayloads) {
  Status inner = absl::InternalError("boom");
  inner.SetPayload("type.example/extra", absl::Cord("data"));
  const Status s = in_field(std::move(inner), "S", "f");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal, "S.f: boom"));
  const auto extra = s.GetPayload("type.example/extra");
  ASSERT_TRUE(extra.has_value());
  EXPECT_EQ(std::string(*extra), "data");
}

TEST(DecodeErrorTest, OkPassesThrough) {
  EXPECT_THAT(in_field(absl::OkStatus(), "S", "f"), IsOk());
  EXPECT_THAT(at_element(absl::OkStatus(), 1), IsOk());
  EXPECT_THAT(at_map_key(absl::OkStatus(), 1), IsOk());
  EXPECT_THAT(at_map_value(absl::OkStatus(), 1), IsOk());
  EXPECT_EQ(error_path(absl::OkStatus()), "");
  EXPECT_EQ(error_detail(absl::OkStatus()), "");
}

TEST(DecodeErrorTest, ForeignStatusWithoutPathSplitsAsDetailOnly) {
  const Status s = absl::InvalidArgumentError("a: b");
  EXPECT_EQ(error_path(s), "");
  EXPECT_EQ(error_detail(s), "a: b");
}

}  // namespace
}  // namespace ferry::codec
