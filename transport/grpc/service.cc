#include "transport/grpc/service.h"

#include <google/protobuf/io/zero_copy_stream.h>

#include <string>

#include "runtime/io_buf.h"

namespace ferry::grpc {

namespace {

// Reads an IoBuf's slices in place, so a message spanning several receive
// buffers parses without being made contiguous first.
class IoBufInputStream final
    : public google::protobuf::io::ZeroCopyInputStream {
 public:
  explicit IoBufInputStream(const IoBuf& buf) : slices_(buf.slices()) {}

  bool Next(const void** data, int* size) override {
    if (backed_up_ > 0) {
      const IoBuf::Slice& s = slices_[index_ - 1];
      *data = s.data + s.size - backed_up_;
      *size = backed_up_;
      position_ += backed_up_;
      backed_up_ = 0;
      return true;
    }
    if (index_ == slices_.size()) return false;
    const IoBuf::Slice& s = slices_[index_++];
    *data = s.data;
    *size = static_cast<int>(s.size);
    position_ += static_cast<int64_t>(s.size);
    return true;
  }
  void BackUp(int count) override {
    backed_up_ = count;
    position_ -= count;
  }
  bool Skip(int count) override {
    const void* data;
    int size;
    while (count > 0) {
      if (!Next(&data, &size)) return false;
      if (size > count) {
        BackUp(size - count);
        return true;
      }
      count -= size;
    }
    return true;
  }
  int64_t ByteCount() const override { return position_; }

 private:
  const IoBuf::Slices& slices_;
  std::size_t index_ = 0;
  int backed_up_ = 0;
  int64_t position_ = 0;
};

template <class Call>
Task<Result<bool>> read_parsed(Call& call,
                               google::protobuf::MessageLite& message) {
  auto next = co_await call.read();
  if (!next.ok()) co_return next.status();
  if (!next->has_value()) co_return false;
  FERRY_CO_RETURN_IF_ERROR(parse(**next, message));
  co_return true;
}

}  // namespace

Task<Result<bool>> read_message(ClientCall& call,
                                google::protobuf::MessageLite& message) {
  return read_parsed(call, message);
}

Task<Result<bool>> read_message(ServerCall& call,
                                google::protobuf::MessageLite& message) {
  return read_parsed(call, message);
}

IoBuf serialize(const google::protobuf::MessageLite& message) {
  std::size_t size = message.ByteSizeLong();
  if (size == 0) return IoBuf();
  internal::ChunkHeader* chunk = internal::allocate_chunk(size);
  message.SerializeWithCachedSizesToArray(
      reinterpret_cast<uint8_t*>(chunk->data));
  chunk->used = static_cast<uint32_t>(size);
  return IoBuf::adopt(chunk, chunk->data, size);
}

Status parse(const IoBuf& bytes, google::protobuf::MessageLite& message) {
  bool ok;
  if (bytes.slices().size() == 1) {
    std::string_view v = bytes.slices()[0].view();
    ok = message.ParseFromArray(v.data(), static_cast<int>(v.size()));
  } else {
    IoBufInputStream in(bytes);
    ok = message.ParseFromZeroCopyStream(&in);
  }
  if (ok) [[likely]]
    return Status();
  return absl::InternalError(std::string("cannot parse ") +
                             message.GetTypeName() + " from " +
                             std::to_string(bytes.size()) + " bytes");
}

}  // namespace ferry::grpc
