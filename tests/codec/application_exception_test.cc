#include "codec/application_exception.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/binary_protocol.h"
#include "codec/compact_protocol.h"
#include "codec/message.h"
#include "tests/codec/codec_test_util.h"
#include "tests/support/status_matchers.h"

namespace ferry::codec {
namespace {

using ::ferry::testing::IsOk;
using ::ferry::testing::StatusIs;
using namespace ::ferry::codec::testing;
using Type = ApplicationException::Type;

template <class P>
class ApplicationExceptionTest : public ::testing::Test {};
using Protocols = ::testing::Types<Binary, Compact>;
TYPED_TEST_SUITE(ApplicationExceptionTest, Protocols);

TYPED_TEST(ApplicationExceptionTest, RoundTripsEveryType) {
  using W = typename TypeParam::Writer;
  using R = typename TypeParam::template Reader<SpanInput>;
  for (int t = 0; t <= 10; ++t) {
    const ApplicationException in{"message " + std::to_string(t),
                                  static_cast<Type>(t)};
    const std::string bytes = encode<W>([&](W& w) { in.write(w); });
    R r{SpanInput(bytes)};
    ApplicationException out;
    ASSERT_THAT(out.read(r), IsOk());
    EXPECT_EQ(out, in);
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TYPED_TEST(ApplicationExceptionTest, RoundTripsAsAnExceptionReply) {
  using W = typename TypeParam::Writer;
  using R = typename TypeParam::template Reader<SpanInput>;
  const ApplicationException in{"no such method: frob", Type::kUnknownMethod};
  const std::string bytes =
      encode<W>([&](W& w) { write_exception_reply(w, "frob", 42, in); });
  R r{SpanInput(bytes)};
  MessageHeader header;
  ASSERT_THAT(read_message_header(r, header), IsOk());
  EXPECT_EQ(header, (MessageHeader{"frob", MessageType::kException, 42}));
  ApplicationException out;
  ASSERT_THAT(read_message_body(r, out), IsOk());
  EXPECT_EQ(out, in);
  EXPECT_THAT(out.to_status(), StatusIs(absl::StatusCode::kUnimplemented,
                                        "no such method: frob"));
}

TYPED_TEST(ApplicationExceptionTest, SkipsUnknownAndMistypedFields) {
  using W = typename TypeParam::Writer;
  using R = typename TypeParam::template Reader<SpanInput>;
  const std::string bytes = encode<W>([](W& w) {
    w.write_struct_begin("TApplicationException");
    w.write_field_begin("extra", TType::kList, 9);
    w.write_list_begin(TType::kString, 1);
    w.write_string("ignored");
    w.write_list_end();
    w.write_field_end();
    w.write_field_begin("message", TType::kI64, 1);  // wrong type: skipped
    w.write_i64(5);
    w.write_field_end();
    w.write_field_begin("type", TType::kI32, 2);
    w.write_i32(7);
    w.write_field_end();
    w.write_field_begin("flag", TType::kBool, 3);
    w.write_bool(true);
    w.write_field_end();
    w.write_field_stop();
    w.write_struct_end();
  });
  R r{SpanInput(bytes)};
  ApplicationException out{"kept", Type::kUnknown};
  ASSERT_THAT(out.read(r), IsOk());
  EXPECT_EQ(out.message, "kept");
  EXPECT_EQ(out.type, Type::kProtocolError);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ApplicationExceptionBinaryTest, EncodesLikeApache) {
  // field 1 string "m", field 2 i32 6, stop.
  const ApplicationException ex{"m", Type::kInternalError};
  const std::string bytes =
      encode<BinaryWriter<>>([&](BinaryWriter<>& w) { ex.write(w); });
  EXPECT_EQ(hex(bytes),
            hex(unhex("0b 0001 00000001 6d  08 0002 00000006  00")));
}

TEST(ApplicationExceptionCompactTest, EncodesLikeApache) {
  // 18: field 1 string, 01 6d; 15: field 2 i32, zigzag(6) = 0c; 00 stop.
  const ApplicationException ex{"m", Type::kInternalError};
  const std::string bytes =
      encode<CompactWriter<>>([&](CompactWriter<>& w) { ex.write(w); });
  EXPECT_EQ(hex(bytes), hex(unhex("18 01 6d 15 0c 00")));
}

TEST(ApplicationExceptionStatusTest, ToStatus) {
  const auto code_of = [](Type t) {
    return ApplicationException{"m", t}.to_status().code();
  };
  using C = absl::StatusCode;
  EXPECT_EQ(code_of(Type::kUnknown), C::kUnknown);
  EXPECT_EQ(code_of(Type::kUnknownMethod), C::kUnimplemented);
  EXPECT_EQ(code_of(Type::kInvalidMessageType), C::kInternal);
  EXPECT_EQ(code_of(Type::kWrongMethodName), C::kInternal);
  EXPECT_EQ(code_of(Type::kBadSequenceId), C::kInternal);
  EXPECT_EQ(code_of(Type::kMissingResult), C::kInternal);
  EXPECT_EQ(code_of(Type::kInternalError), C::kInternal);
  EXPECT_EQ(code_of(Type::kProtocolError), C::kInvalidArgument);
  EXPECT_EQ(code_of(Type::kInvalidTransform), C::kUnimplemented);
  EXPECT_EQ(code_of(Type::kInvalidProtocol), C::kUnimplemented);
  EXPECT_EQ(code_of(Type::kUnsupportedClientType), C::kUnimplemented);
  EXPECT_EQ(code_of(static_cast<Type>(99)), C::kInternal);
  EXPECT_THAT((ApplicationException{"why", Type::kProtocolError}.to_status()),
              StatusIs(C::kInvalidArgument, "why"));
}

TEST(ApplicationExceptionStatusTest, FromStatus) {
  using C = absl::StatusCode;
  EXPECT_EQ(ApplicationException::from_status(absl::UnimplementedError("u")),
            (ApplicationException{"u", Type::kUnknownMethod}));
  EXPECT_EQ(ApplicationException::from_status(absl::InvalidArgumentError("i")),
            (ApplicationException{"i", Type::kProtocolError}));
  EXPECT_EQ(ApplicationException::from_status(absl::UnknownError("k")),
            (ApplicationException{"k", Type::kUnknown}));
  EXPECT_EQ(ApplicationException::from_status(absl::InternalError("n")),
            (ApplicationException{"n", Type::kInternalError}));
  EXPECT_EQ(
      ApplicationException::from_status(absl::ResourceExhaustedError("full")),
      (ApplicationException{"RESOURCE_EXHAUSTED: full", Type::kInternalError}));
  EXPECT_EQ(ApplicationException::from_status(absl::OkStatus()),
            (ApplicationException{"", Type::kUnknown}));
  // The mapped codes survive a round trip.
  for (C code :
       {C::kUnknown, C::kUnimplemented, C::kInvalidArgument, C::kInternal}) {
    const Status s(code, "msg");
    EXPECT_EQ(ApplicationException::from_status(s).to_status(), s);
  }
}

TEST(MessageTest, WriteMessageFramesABody) {
  const Inner body{"x", true};
  const std::string bytes = encode<CompactWriter<>>([&](CompactWriter<>& w) {
    write_message(w, {"put", MessageType::kOneway, 5}, body);
  });
  CompactReader<> r{SpanInput(bytes)};
  MessageHeader header;
  ASSERT_THAT(read_message_header(r, header), IsOk());
  EXPECT_EQ(header, (MessageHeader{"put", MessageType::kOneway, 5}));
  Inner out;
  ASSERT_THAT(read_message_body(r, out), IsOk());
  EXPECT_EQ(out, body);
}

}  // namespace
}  // namespace ferry::codec
