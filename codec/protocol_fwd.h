#pragma once

// Forward declarations of the codec's buffers and protocols, with their
// default template arguments. Include this (not the full protocol headers)
// where only the names are needed, e.g. in generated `foo_types.h`.
//
// The shipped instantiations, which generated `foo_types_binary.cc` /
// `foo_types_compact.cc` instantiate explicitly, are
//
//   BinaryWriter<WriteBuffer>   BinaryReader<SpanInput>
//   BinaryReader<ChainInput> CompactWriter<WriteBuffer>
//   CompactReader<SpanInput>  CompactReader<ChainInput>
//
// `BinaryWriter<>` is `BinaryWriter<WriteBuffer>`, `BinaryReader<>` is
// `BinaryReader<SpanInput>`, and likewise for compact.

namespace ferry::codec {

class WriteBuffer;
class SpanInput;
class ChainInput;

template <class Out = WriteBuffer>
class BinaryWriter;
template <class In = SpanInput>
class BinaryReader;

template <class Out = WriteBuffer>
class CompactWriter;
template <class In = SpanInput>
class CompactReader;

}  // namespace ferry::codec
