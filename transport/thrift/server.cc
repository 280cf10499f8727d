#include "transport/thrift/server.h"

#include <fmt/core.h>

#include <algorithm>

#include "runtime/internal/log.h"
#include "runtime/time.h"

namespace ferry::thrift {

namespace detail {

Status unknown_method(std::string_view method) {
  // Apache's wording, which its clients' tests look for.
  return absl::UnimplementedError(
      fmt::format("Invalid method name: '{}'", method));
}

Status bad_arguments(std::string_view method, const Status& why) {
  return absl::InvalidArgumentError(
      fmt::format("{} arguments: {}", method, message_of(why)));
}

Status handler_threw(std::string_view method, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return absl::InternalError(ex.what());
  } catch (...) {
    return absl::InternalError(
        fmt::format("{}: the handler threw a non-std::exception", method));
  }
}

void log_oneway_failure(std::string_view method, const Status& why) {
  internal::log_error("thrift server: oneway {} failed: {}", method,
                      message_of(why));
}

}  // namespace detail

void encode_exception_reply_to(codec::WriteBuffer& out,
                               const WireFormat& format,
                               std::string_view method, std::int32_t seqid,
                               const Status& why) {
  encode_reply_to(out, format, method, codec::MessageType::kException, seqid,
                  codec::ApplicationException::from_status(why));
}

IoBuf encode_exception_reply(const WireFormat& format, std::string_view method,
                             std::int32_t seqid, const Status& why) {
  codec::WriteBuffer out;
  encode_exception_reply_to(out, format, method, seqid, why);
  return out.take();
}

Status Server::start_core() {
  FERRY_RETURN_IF_ERROR(core_.start<detail::ServerWorker>({
      .name = "thrift server",
      .threads = options_->threads,
      .pin_cpus = options_->pin_cpus,
      .idle_timeout = options_->idle_timeout,
      .max_connections = options_->max_connections,
      .shutdown_grace = options_->shutdown_grace,
  }));
  for (std::size_t i = 0; i < core_.size(); ++i) {
    static_cast<detail::ServerWorker&>(core_.worker(i)).options =
        options_.get();
  }
  return Status();
}

}  // namespace ferry::thrift
