// libFuzzer: ferry's binary or compact reader (FERRY_FUZZ_COMPACT picks
// compact) over generated types with every field kind (fuzz_types.thrift).
//
// Properties:
// - no crash, leak or UB on any input, and memory bounded by the limits
//   (libFuzzer's -rss_limit_mb catches a reader that trusts a length);
// - a failure is kInvalidArgument with a message;
// - on success, re-encoding is a fixed point: encode(decode(x)) = y and
//   decode(y) re-encodes to y exactly (byte comparison, so NaNs count);
// - decoding the same bytes from a chunked IoBuf input (split every 7 bytes)
//   gives the same result as from one span.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/binary_protocol.h"
#include "codec/compact_protocol.h"
#include "fuzz_types_types.h"
#include "fuzz_types_types.tcc"
#include "runtime/io_buf.h"

namespace {

using ferry::codec::ChainInput;
using ferry::codec::SpanInput;
using ferry::codec::WriteBuffer;
#ifdef FERRY_FUZZ_COMPACT
template <class In>
using Reader = ferry::codec::CompactReader<In>;
using Writer = ferry::codec::CompactWriter<WriteBuffer>;
#else
template <class In>
using Reader = ferry::codec::BinaryReader<In>;
using Writer = ferry::codec::BinaryWriter<WriteBuffer>;
#endif

// Small limits so the fuzzer reaches them.
constexpr ferry::codec::DecodeLimits kLimits{
    .max_string_length = 4096, .max_container_size = 4096, .max_depth = 32};

void check(bool ok) {
  if (!ok) __builtin_trap();
}

template <class T>
std::string encode(const T& value) {
  WriteBuffer buf;
  Writer writer(buf);
  value.write(writer);
  return std::string(buf.view());
}

// Re-encoding writes absent non-optional fields with their defaults, so a
// value decoded at the depth limit can come back two levels deeper (an
// absent struct field becomes a default struct holding an empty list). The
// round trip is checked under that much headroom.
constexpr ferry::codec::DecodeLimits kRoundTripLimits{
    .max_string_length = kLimits.max_string_length,
    .max_container_size = kLimits.max_container_size,
    .max_depth = kLimits.max_depth + 2};

template <class T>
ferry::Status decode(std::string_view bytes, T& value,
                     const ferry::codec::DecodeLimits& limits = kLimits) {
  Reader<SpanInput> reader(SpanInput(bytes), limits);
  return value.read(reader);
}

template <class T>
void fuzz_one(std::string_view bytes) {
  T value;
  ferry::Status status = decode(bytes, value);

  ferry::IoBuf chunked;
  for (std::size_t at = 0; at < bytes.size(); at += 7) {
    chunked.append(ferry::IoBuf::copy_from(bytes.substr(at, 7)));
  }
  T from_chain;
  Reader<ChainInput> chain_reader(ChainInput(chunked), kLimits);
  ferry::Status chain_status = from_chain.read(chain_reader);
  check(chain_status.code() == status.code());

  if (!status.ok()) {
    check(status.code() == absl::StatusCode::kInvalidArgument);
    check(!status.message().empty());
    return;
  }
  const std::string once = encode(value);
  check(encode(from_chain) == once);
  T again;
  check(decode(once, again, kRoundTripLimits).ok());
  check(encode(again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the root type so one corpus covers both.
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    fuzz_one<ferry::fuzz::WithUuid>(bytes);
  } else {
    fuzz_one<ferry::fuzz::Everything>(bytes);
  }
  return 0;
}
