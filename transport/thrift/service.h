#pragma once

// The glue between idlgen's generated service code and ferry's Thrift
// transports: what a call looks like on its way through a middleware stack.
//
// Client side. A generated `CalcClient<Stack>` turns `add(1, 2)` into
// `call<CalcService::add>(stack, cx, Calc_add_args{1, 2})`, which hands the
// stack a `thrift::Request` (the method, a pointer to the arguments and the
// function that encodes them) and decodes the `thrift::Response` it gets
// back into the method's `ClientReturn`:
//
//   function                              ClientReturn
//   i32 add(...)                          Result<int32_t>
//   void ping()                           Status
//   i32 div(...) throws (1: DivByZero e)  Result<Outcome<int32_t, DivByZero>>
//   oneway void notify(...)               Status (once the request is written)
//
// The stack is any `Service<thrift::Request>` whose Response is
// `thrift::Response`: a transport (`thrift::Channel`) wrapped in whatever
// layers the user composed. Encoding happens in the transport, which owns
// the sequence id and the protocol; the erased `encode` pointer is the one
// indirect call per request, and everything below it is static.
//
// Server side: see transport/thrift/processor.h.

#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "codec/application_exception.h"
#include "codec/binary_protocol.h"
#include "codec/buffer.h"
#include "codec/compact_protocol.h"
#include "codec/protocol.h"
#include "middleware/context.h"
#include "runtime/io_buf.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "transport/thrift/outcome.h"

namespace ferry::thrift {

// One outgoing call, not yet encoded. Cheap to copy (Retry and
// BackupRequest send it more than once); `args` points into the calling
// frame, which outlives the call.
struct Request {
  // Encodes the whole message (envelope `name`/`type`/`seqid`, then the
  // arguments) into `out` with `protocol`.
  using EncodeFn = void (*)(const void* args, codec::ProtocolId protocol,
                            std::string_view name, codec::MessageType type,
                            std::int32_t seqid, codec::WriteBuffer& out);

  std::string_view method;
  bool oneway = false;
  const void* args = nullptr;
  EncodeFn encode = nullptr;

  void encode_to(codec::ProtocolId protocol, std::int32_t seqid,
                 codec::WriteBuffer& out) const {
    encode(args, protocol, method,
           oneway ? codec::MessageType::kOneway : codec::MessageType::kCall,
           seqid, out);
  }
};

// The reply to a call: its message type (kReply or kException) and the
// bytes after the envelope header, to be decoded with `protocol` under
// `limits`. Empty for oneway calls.
struct Response {
  codec::MessageType type = codec::MessageType::kReply;
  codec::ProtocolId protocol = codec::ProtocolId::kBinary;
  codec::DecodeLimits limits;
  IoBuf body;
};

namespace detail {

template <class Tuple, class T>
struct OutcomeFor;
template <class T, class... Es>
struct OutcomeFor<std::tuple<Es...>, T> {
  using type = Outcome<T, Es...>;
};

template <class M>
struct ClientReturnOf {
  static constexpr bool kHasExceptions =
      std::tuple_size_v<typename M::Exceptions> != 0;
  using type = std::conditional_t<
      M::kOneway || (!kHasExceptions && std::is_void_v<typename M::Return>),
      Status,
      std::conditional_t<
          kHasExceptions,
          Result<typename OutcomeFor<typename M::Exceptions,
                                     typename M::Return>::type>,
          Result<std::conditional_t<std::is_void_v<typename M::Return>, int,
                                    typename M::Return>>>>;
};

template <class Args>
void encode_call(const void* args, codec::ProtocolId protocol,
                 std::string_view name, codec::MessageType type,
                 std::int32_t seqid, codec::WriteBuffer& out) {
  const Args& a = *static_cast<const Args*>(args);
  if (protocol == codec::ProtocolId::kCompact) {
    codec::CompactWriter<codec::WriteBuffer> w(out);
    w.write_message_begin(name, type, seqid);
    a.write(w);
    w.write_message_end();
  } else {
    codec::BinaryWriter<codec::WriteBuffer> w(out);
    w.write_message_begin(name, type, seqid);
    a.write(w);
    w.write_message_end();
  }
}

// Reads `body` (a struct) from `response.body` with the reply's protocol.
template <class Body>
Status read_body(const Response& response, Body& body) {
  if (response.protocol == codec::ProtocolId::kCompact) {
    codec::CompactReader<codec::ChainInput> r{codec::ChainInput(response.body),
                                              response.limits};
    return body.read(r);
  }
  codec::BinaryReader<codec::ChainInput> r{codec::ChainInput(response.body),
                                           response.limits};
  return body.read(r);
}

[[gnu::cold]] Status reply_decode_error(std::string_view method,
                                        const Status& why);
[[gnu::cold]] Status missing_result(std::string_view method);
// The Status of an exception reply (a TApplicationException body).
[[gnu::cold]] Status exception_reply_status(std::string_view method,
                                            const Response& response);

// The first declared exception set in `result`, as an Outcome.
template <class M, class Out, std::size_t I = 0>
bool take_exception(typename M::Result& result, Out& out) {
  if constexpr (I == std::tuple_size_v<typename M::Exceptions>) {
    return false;
  } else {
    auto& field = M::template exception<I>(result);
    if (field.has_value()) {
      out = Out(std::move(*field));
      return true;
    }
    return take_exception<M, Out, I + 1>(result, out);
  }
}

template <class M>
typename ClientReturnOf<M>::type decode_reply(Response& response) {
  using Return = typename ClientReturnOf<M>::type;
  if (response.type == codec::MessageType::kException) [[unlikely]]
    return exception_reply_status(M::kName, response);
  typename M::Result result;
  if (Status s = read_body(response, result); !s.ok()) [[unlikely]]
    return reply_decode_error(M::kName, s);
  if constexpr (ClientReturnOf<M>::kHasExceptions) {
    using Out = typename Return::value_type;
    Out out;
    if (take_exception<M>(result, out)) return out;
    if constexpr (std::is_void_v<typename M::Return>) {
      return out;
    } else {
      auto& success = M::success(result);
      if (!success.has_value()) [[unlikely]]
        return missing_result(M::kName);
      return Out(std::move(*success));
    }
  } else if constexpr (std::is_void_v<typename M::Return>) {
    return Status();
  } else {
    auto& success = M::success(result);
    if (!success.has_value()) [[unlikely]]
      return missing_result(M::kName);
    return std::move(*success);
  }
}

}  // namespace detail

// What the generated client method for function `M` returns (see above).
template <class M>
using ClientReturn = typename detail::ClientReturnOf<M>::type;

// Calls function `M` through `stack` with `cx` (deadline, metadata; its
// `method` is set to M's name).
template <class M, class Stack>
Task<ClientReturn<M>> call(Stack& stack, Context& cx, typename M::Args args) {
  cx.method = M::kName;
  Request request{M::kName, M::kOneway, &args,
                  &detail::encode_call<typename M::Args>};
  Result<Response> response = co_await stack.call(cx, request);
  if (!response.ok()) co_return response.status();
  if constexpr (M::kOneway) {
    co_return Status();
  } else {
    co_return detail::decode_reply<M>(*response);
  }
}

// The same with a fresh Context.
template <class M, class Stack>
Task<ClientReturn<M>> call(Stack& stack, typename M::Args args) {
  Context cx;
  co_return co_await call<M>(stack, cx, std::move(args));
}

// The root of every generated client: owns the stack calls go through.
template <class Stack>
class ClientBase {
 public:
  explicit ClientBase(Stack stack) : stack_(std::move(stack)) {}
  Stack& stack() noexcept { return stack_; }
  const Stack& stack() const noexcept { return stack_; }

 private:
  Stack stack_;
};

}  // namespace ferry::thrift
