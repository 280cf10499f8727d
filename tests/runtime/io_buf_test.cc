#include "runtime/io_buf.h"

#include <string>

#include "gtest/gtest.h"

namespace ferry {
namespace {

IoBuf three_chunks() {
  IoBuf b = IoBuf::copy_from("hello");
  b.append(IoBuf::copy_from(" "));
  b.append(IoBuf::copy_from("world"));
  return b;
}

TEST(IoBufTest, AppendsAndReadsBack) {
  IoBuf b = three_chunks();
  EXPECT_EQ(b.size(), 11u);
  EXPECT_EQ(b.slices().size(), 3u);
  EXPECT_EQ(b.to_string(), "hello world");
  EXPECT_TRUE(b == "hello world");
}

TEST(IoBufTest, SplitFrontSharesChunksAcrossBoundaries) {
  IoBuf b = three_chunks();
  IoBuf head = b.split_front(7);
  EXPECT_EQ(head.to_string(), "hello w");
  EXPECT_EQ(b.to_string(), "orld");
  EXPECT_EQ(head.slices().back().chunk, b.slices().front().chunk);
  EXPECT_EQ(head.slices().back().chunk->refs, 2u);
  head.clear();
  EXPECT_EQ(b.slices().front().chunk->refs, 1u);
}

TEST(IoBufTest, SplitFrontOfEverythingAndNothing) {
  IoBuf b = three_chunks();
  EXPECT_TRUE(b.split_front(0).empty());
  IoBuf all = b.split_front(11);
  EXPECT_EQ(all.to_string(), "hello world");
  EXPECT_TRUE(b.empty());
}

TEST(IoBufTest, TrimFrontAndCopyToWithOffsets) {
  IoBuf b = three_chunks();
  b.trim_front(3);
  EXPECT_EQ(b.to_string(), "lo world");
  char out[5] = {};
  EXPECT_EQ(b.copy_to(out, 5, 3), 5u);
  EXPECT_EQ(std::string(out, 5), "world");
  EXPECT_EQ(b.copy_to(out, 5, 6), 2u);
}

TEST(IoBufTest, CoalesceCopiesOnlyWhenSpanningChunks) {
  IoBuf b = three_chunks();
  const char* p = b.coalesce(3);
  EXPECT_EQ(p, b.slices().front().data);  // within the first chunk: no copy
  p = b.coalesce(8);
  EXPECT_EQ(std::string(p, 8), "hello wo");
  EXPECT_EQ(b.to_string(), "hello world");
  EXPECT_EQ(b.size(), 11u);
}

TEST(IoBufTest, AppendBytesFillsTheLastChunkInPlace) {
  IoBuf b;
  b.append(std::string_view("abc"));
  b.append(std::string_view("def"));
  EXPECT_EQ(b.slices().size(), 1u);
  EXPECT_EQ(b.to_string(), "abcdef");
  // Once shared, the chunk is not written in place.
  IoBuf c = b.clone();
  b.append(std::string_view("g"));
  EXPECT_EQ(c.to_string(), "abcdef");
  EXPECT_EQ(b.to_string(), "abcdefg");
}

TEST(IoBufTest, LargeAppendsSpanChunks) {
  std::string big(100'000, 'x');
  big[77'777] = 'y';
  IoBuf b;
  b.append(std::string_view(big));
  EXPECT_EQ(b.size(), big.size());
  EXPECT_EQ(b.to_string(), big);
}

TEST(IoBufTest, FillsIovecs) {
  IoBuf b = three_chunks();
  iovec iov[2];
  EXPECT_EQ(b.fill_iovecs(iov, 2), 2u);
  EXPECT_EQ(iov[0].iov_len, 5u);
  EXPECT_EQ(iov[1].iov_len, 1u);
}

TEST(IoBufTest, MovesLeaveTheSourceEmpty) {
  IoBuf a = three_chunks();
  IoBuf b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.slices().size(), 0u);
  EXPECT_EQ(b.size(), 11u);
}

}  // namespace
}  // namespace ferry
