#include "codec/buffer.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/codec/codec_test_util.h"

namespace ferry::codec {
namespace {

using namespace ::ferry::codec::testing;

TEST(WriteBufferTest, EnsureCommitAppends) {
  WriteBuffer buf;
  EXPECT_EQ(buf.size(), 0u);
  EXPECT_EQ(buf.capacity(), 0u);  // nothing allocated until the first write
  char* p = buf.ensure(3);
  p[0] = 'a';
  p[1] = 'b';
  buf.commit(2);
  buf.append("cd", 2);
  buf.append_byte('e');
  EXPECT_EQ(buf.view(), "abcde");
  EXPECT_EQ(buf.size(), 5u);
  EXPECT_GE(buf.capacity(), WriteBuffer::kDefaultInitialCapacity);
}

TEST(WriteBufferTest, GrowsAndKeepsContents) {
  WriteBuffer buf(16);
  std::string expected;
  for (int k = 0; k < 10000; ++k) {
    const char c = static_cast<char>('a' + k % 26);
    buf.append(&c, 1);
    expected.push_back(c);
  }
  EXPECT_EQ(buf.view(), expected);
  // One large write past the doubling size.
  const std::string big(1 << 20, 'x');
  buf.append(big.data(), big.size());
  EXPECT_EQ(buf.size(), expected.size() + big.size());
  EXPECT_EQ(buf.view().substr(0, expected.size()), expected);
}

TEST(WriteBufferTest, ClearKeepsCapacity) {
  WriteBuffer buf;
  buf.append(std::string(5000, 'q').data(), 5000);
  const std::size_t cap = buf.capacity();
  const char* storage = buf.data();
  buf.clear();
  EXPECT_EQ(buf.size(), 0u);
  EXPECT_EQ(buf.capacity(), cap);
  buf.append("z", 1);
  EXPECT_EQ(buf.data(), storage);
}

TEST(WriteBufferTest, TakeHandsOverTheBytesWithoutCopying) {
  WriteBuffer buf;
  buf.append("hello", 5);
  const char* storage = buf.data();
  IoBuf out = buf.take();
  EXPECT_EQ(out, "hello");
  ASSERT_EQ(out.slices().size(), 1u);
  EXPECT_EQ(out.slices()[0].data, storage);  // same bytes, not a copy
  EXPECT_EQ(buf.size(), 0u);
  EXPECT_EQ(buf.capacity(), 0u);
  // The buffer is usable again; the IoBuf keeps its bytes.
  buf.append("again", 5);
  EXPECT_EQ(buf.view(), "again");
  EXPECT_EQ(out, "hello");
  EXPECT_TRUE(WriteBuffer().take().empty());
}

TEST(WriteBufferTest, DataAllowsPatchingAReservedPrefix) {
  WriteBuffer buf;
  buf.ensure(4);
  buf.commit(4);
  buf.append("body", 4);
  std::memcpy(buf.data(), "\x00\x00\x00\x04", 4);
  EXPECT_EQ(hex(buf.view()), "00 00 00 04 62 6f 64 79");
}

TEST(WriteBufferTest, MovesOwnership) {
  WriteBuffer a;
  a.append("abc", 3);
  WriteBuffer b(std::move(a));
  EXPECT_EQ(b.view(), "abc");
  WriteBuffer c;
  c = std::move(b);
  EXPECT_EQ(c.view(), "abc");
}

TEST(SpanInputTest, ReadsInOrder) {
  const std::string bytes = "abcdef";
  SpanInput in(bytes);
  EXPECT_EQ(in.remaining(), 6u);
  EXPECT_EQ(in.contiguous(), 6u);
  char two[2];
  in.copy_out(two, 2);
  EXPECT_EQ(std::string(two, 2), "ab");
  in.skip(1);
  EXPECT_EQ(in.view(2), "de");
  EXPECT_EQ(in.data(), bytes.data() + 5);
  in.advance(1);
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(ChainInputTest, CrossesSlices) {
  const IoBuf chain = chain_split_at("abcdefghij", {2, 3, 7});
  ChainInput in(chain);
  EXPECT_EQ(in.remaining(), 10u);
  EXPECT_EQ(in.contiguous(), 2u);
  char buf[4];
  in.copy_out(buf, 4);  // ab|c|d
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_EQ(in.remaining(), 6u);
  EXPECT_EQ(in.view(3), "efg");  // within one slice: points into it
  in.skip(1);                    // h
  EXPECT_EQ(in.view(2), "ij");
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(ChainInputTest, ViewAcrossSlicesIsOwnedByTheInput) {
  const IoBuf chain = chain_split_at("abcdef", {3});
  ChainInput in(chain);
  in.advance(1);
  const std::string_view v = in.view(4);  // bcd|e... spans the boundary
  EXPECT_EQ(v, "bcde");
  for (const IoBuf::Slice& s : chain.slices()) {
    EXPECT_FALSE(v.data() >= s.data && v.data() < s.data + s.size);
  }
  EXPECT_EQ(in.view(1), "f");
  EXPECT_EQ(v, "bcde");  // still valid
}

TEST(ChainInputTest, TakenSpillOutlivesTheInput) {
  const IoBuf chain = chain_split_at("abcdef", {3});
  ChainInput::SpillBlocks kept;
  std::string_view v;
  {
    ChainInput in(chain);
    in.advance(1);
    v = in.view(4);  // straddles: a copy the input owns
    kept = in.take_spill();
  }
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(v.data(), kept.front().get());
  EXPECT_EQ(v, "bcde");  // the input is gone; under ASan a freed block fails
}

TEST(ChainInputTest, EmptyChain) {
  const IoBuf empty;
  ChainInput in(empty);
  EXPECT_EQ(in.remaining(), 0u);
  EXPECT_EQ(in.contiguous(), 0u);
  EXPECT_EQ(in.view(0), "");
}

}  // namespace
}  // namespace ferry::codec
