#pragma once

// Server-side dispatch: `Processor<Table, Handler>` is the innermost service
// of a Thrift server's stack. It finds the called function in idlgen's
// method table (`CalcService`, following `Extends` to the base services),
// decodes the arguments, calls the handler's method and encodes the reply.
//
//   struct CalcHandler {                       // any class with the methods;
//     int32_t add(int32_t a, int32_t b) { return a + b; }     // sync, or
//     Task<Outcome<void, Boom>> fail(Context& cx, std::string why);
//   };                                         // or derive from `CalcIf`
//   auto stack = ServiceBuilder()
//                    .layer(TimeoutLayer(1s))
//                    .service(Processor<CalcService, CalcHandler>(&handler));
//
// A handler method may take `Context&` first, and may return its value
// directly or as `Task<>`, as `Result<>`/`Status`, or as an `Outcome` when
// the function declares exceptions; it may also `throw` a declared
// exception. Anything else it throws becomes a TApplicationException
// INTERNAL_ERROR carrying `what()`. An unknown method is answered with
// UNKNOWN_METHOD; undecodable arguments with PROTOCOL_ERROR (the framing
// is intact, so the connection stays open).
//
// Dispatch costs one switch on the name's length and at most one string
// comparison per table level (idlgen's `method_index`), then an indirect
// call through a constexpr table; nothing is allocated for it.
//
// A synchronous handler method (one that does not return a Task) can also
// be served by `call_inline`: the server's connection calls it when the
// stack is a bare Processor, without a coroutine frame, and the reply is
// encoded straight into the connection's output buffer. Stacks with layers
// take `call` as before.

#include <array>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "codec/application_exception.h"
#include "codec/binary_protocol.h"
#include "codec/buffer.h"
#include "codec/compact_protocol.h"
#include "codec/protocol.h"
#include "middleware/context.h"
#include "runtime/io_buf.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "transport/thrift/framing.h"
#include "transport/thrift/outcome.h"

namespace ferry::thrift {

// One decoded envelope on its way through a server's stack. `method` views
// a string owned by the connection for the whole call.
struct ServerRequest {
  std::string_view method;
  codec::MessageType type = codec::MessageType::kCall;
  std::int32_t seqid = 0;
  WireFormat format;
  IoBuf body;  // the bytes after the envelope header
  const codec::DecodeLimits* limits = nullptr;
};

// A call served synchronously (`Processor::call_inline`): like
// ServerRequest, but the body is borrowed, valid for that call only.
struct InlineRequest {
  std::string_view method;
  codec::MessageType type = codec::MessageType::kCall;
  std::int32_t seqid = 0;
  WireFormat format;
  codec::ChainInput body;  // the bytes after the envelope header
  const codec::DecodeLimits* limits = nullptr;
};

// The encoded reply, framed and ready to write; empty for oneway calls.
// Failures travel as the Result's Status, which the connection turns into
// a TApplicationException reply (codec::ApplicationException::from_status).
struct ServerResponse {
  IoBuf reply;
};

// Appends a whole reply message (`body` is a result struct or an
// ApplicationException) to `out` in `format`, framed if the format is.
template <class Body>
void encode_reply_to(codec::WriteBuffer& out, const WireFormat& format,
                     std::string_view method, codec::MessageType type,
                     std::int32_t seqid, const Body& body) {
  const std::size_t frame = begin_frame(out, format.framing);
  if (format.protocol == codec::ProtocolId::kCompact) {
    codec::CompactWriter<codec::WriteBuffer> w(out);
    w.write_message_begin(method, type, seqid);
    body.write(w);
    w.write_message_end();
  } else {
    codec::BinaryWriter<codec::WriteBuffer> w(out);
    w.write_message_begin(method, type, seqid);
    body.write(w);
    w.write_message_end();
  }
  finish_frame(out, format.framing, frame);
}

// The same, as an IoBuf of its own.
template <class Body>
IoBuf encode_reply(const WireFormat& format, std::string_view method,
                   codec::MessageType type, std::int32_t seqid,
                   const Body& body) {
  codec::WriteBuffer out;
  encode_reply_to(out, format, method, type, seqid, body);
  return out.take();
}

// The exception reply for a failed call (from_status of `why`).
void encode_exception_reply_to(codec::WriteBuffer& out,
                               const WireFormat& format,
                               std::string_view method, std::int32_t seqid,
                               const Status& why);
IoBuf encode_exception_reply(const WireFormat& format, std::string_view method,
                             std::int32_t seqid, const Status& why);

namespace detail {

[[gnu::cold]] Status unknown_method(std::string_view method);
[[gnu::cold]] Status bad_arguments(std::string_view method, const Status& why);
[[gnu::cold]] Status handler_threw(std::string_view method,
                                   std::exception_ptr e);
[[gnu::cold]] void log_oneway_failure(std::string_view method,
                                      const Status& why);

template <class T>
struct IsTask : std::false_type {};
template <class T>
struct IsTask<Task<T>> : std::true_type {};

template <class T>
struct IsResult : std::false_type {};
template <class T>
struct IsResult<Result<T>> : std::true_type {};

template <class T>
struct IsOutcome : std::false_type {};
template <class T, class... Es>
struct IsOutcome<Outcome<T, Es...>> : std::true_type {};

// Decodes the arguments from a request body. A `ferry.view` argument
// points into the body, or, if it straddled two receive buffers, into a
// copy the reader made: those copies go to `spill`, which the caller keeps
// as long as the arguments.
template <class Args>
Status read_args(codec::ChainInput&& body, const WireFormat& format,
                 const codec::DecodeLimits& limits, Args& args,
                 codec::ChainInput::SpillBlocks& spill) {
  auto read = [&](auto&& reader) {
    Status s = args.read(reader);
    if (reader.input().has_spill()) spill = reader.input().take_spill();
    return s;
  };
  if (format.protocol == codec::ProtocolId::kCompact) {
    return read(
        codec::CompactReader<codec::ChainInput>(std::move(body), limits));
  }
  return read(codec::BinaryReader<codec::ChainInput>(std::move(body), limits));
}

// Puts a declared exception into its field of the result struct.
template <class M, class E, std::size_t I = 0>
Status store_exception(typename M::Result& result, E&& e) {
  if constexpr (I == std::tuple_size_v<typename M::Exceptions>) {
    static_assert(I != I, "not a declared exception of this function");
    return Status();
  } else if constexpr (std::is_same_v<
                           std::remove_cvref_t<E>,
                           std::tuple_element_t<I, typename M::Exceptions>>) {
    M::template exception<I>(result) = std::forward<E>(e);
    return Status();
  } else {
    return store_exception<M, E, I + 1>(result, std::forward<E>(e));
  }
}

// Stores what the handler returned into the result struct.
template <class M, class V>
Status store(typename M::Result& result, V&& v) {
  using T = std::remove_cvref_t<V>;
  if constexpr (std::is_same_v<T, Status>) {
    return v;
  } else if constexpr (IsResult<T>::value) {
    if (!v.ok()) return v.status();
    return store<M>(result, *std::forward<V>(v));
  } else if constexpr (IsOutcome<T>::value) {
    if (v.has_value()) {
      if constexpr (!std::is_void_v<typename M::Return>) {
        M::success(result) = std::move(v.value());
      }
      return Status();
    }
    return std::visit(
        [&](auto&& alt) -> Status {
          using A = std::remove_cvref_t<decltype(alt)>;
          if constexpr (std::is_same_v<A, typename T::Value>) {
            return Status();  // not reached: has_value() was false
          } else {
            return store_exception<M>(result, std::move(alt));
          }
        },
        std::move(v.variant()));
  } else {
    M::success(result) = std::forward<V>(v);
    return Status();
  }
}

// If `e` holds a declared exception of M, stores it and returns true.
template <class M, std::size_t I = 0>
bool store_thrown(typename M::Result& result, const std::exception_ptr& e) {
  if constexpr (I == std::tuple_size_v<typename M::Exceptions>) {
    return false;
  } else {
    try {
      std::rethrow_exception(e);
    } catch (std::tuple_element_t<I, typename M::Exceptions>& ex) {
      M::template exception<I>(result) = std::move(ex);
      return true;
    } catch (...) {
    }
    return store_thrown<M, I + 1>(result, e);
  }
}

// How a Processor serves one function (of its table or a base's).
template <class Handler>
struct ProcessorEntry {
  using Fn = Task<Result<ServerResponse>> (*)(Handler&, Context&,
                                              ServerRequest&&);
  using InlineFn = Status (*)(Handler&, Context&, InlineRequest&,
                              codec::WriteBuffer&);
  Fn call;
  InlineFn call_inline;  // nullptr: the handler method returns a Task
};

}  // namespace detail

template <class Table, class Handler>
class Processor {
 public:
  using Request = ServerRequest;
  using Response = ServerResponse;
  using Entry = detail::ProcessorEntry<Handler>;

  // `handler` must outlive every stack built on this processor.
  explicit Processor(Handler* handler) noexcept : handler_(handler) {}

  Task<Result<ServerResponse>> call(Context& cx, ServerRequest req) {
    const Entry* entry = find(req.method);
    if (entry == nullptr) [[unlikely]]
      return fail(detail::unknown_method(req.method));
    return entry->call(*handler_, cx, std::move(req));
  }

  // The synchronous path, which a connection takes when its stack offers
  // it. If the called function's handler method does not return a Task,
  // serves the call here, without a coroutine frame, and appends the framed
  // reply to `out` (nothing for oneway); a failure is returned instead of
  // the reply, with nothing appended. Returns nullopt, touching nothing,
  // when the call must go through `call`: an asynchronous handler method or
  // an unknown one.
  std::optional<Status> call_inline(Context& cx, InlineRequest& req,
                                    codec::WriteBuffer& out) {
    const Entry* entry = find(req.method);
    if (entry == nullptr || entry->call_inline == nullptr) return std::nullopt;
    return entry->call_inline(*handler_, cx, req, out);
  }

  // The entry serving `method` (this table or a base's), or nullptr.
  static const Entry* find(std::string_view method) noexcept {
    const int i = Table::method_index(method);
    if (i >= 0) return &kEntries[i];
    if constexpr (!std::is_void_v<typename Table::Extends>) {
      return Processor<typename Table::Extends, Handler>::find(method);
    } else {
      return nullptr;
    }
  }

 private:
  static Task<Result<ServerResponse>> fail(Status why) { co_return why; }

  template <class M>
  using RawReturn =
      decltype(M::invoke(std::declval<Handler&>(), std::declval<Context&>(),
                         std::declval<typename M::Args&>()));
  template <class M>
  static constexpr bool kSynchronous = !detail::IsTask<RawReturn<M>>::value;

  template <class M>
  static Task<Result<ServerResponse>> handle(Handler& h, Context& cx,
                                             ServerRequest&& request) {
    ServerRequest req = std::move(request);
    cx.method = M::kName;
    // `req` (its body) and `spill` live until the reply is encoded:
    // `ferry.view` arguments point into them.
    codec::ChainInput::SpillBlocks spill;
    typename M::Args args;
    if (Status s = detail::read_args(codec::ChainInput(req.body), req.format,
                                     *req.limits, args, spill);
        !s.ok()) [[unlikely]]
      co_return detail::bad_arguments(M::kName, s);

    if constexpr (M::kOneway) {
      Status s;
      if constexpr (kSynchronous<M>) {
        s = call_oneway_sync<M>(h, cx, args);
      } else {
        try {
          if constexpr (std::is_void_v<typename RawReturn<M>::value_type>) {
            co_await M::invoke(h, cx, args);
          } else {
            auto v = co_await M::invoke(h, cx, args);
            s = oneway_status(std::move(v));
          }
        } catch (...) {
          s = detail::handler_threw(M::kName, std::current_exception());
        }
      }
      if (!s.ok()) detail::log_oneway_failure(M::kName, s);
      co_return ServerResponse{};
    } else {
      typename M::Result result;
      Status s;
      if constexpr (kSynchronous<M>) {
        s = call_sync<M>(h, cx, args, result);
      } else {
        std::exception_ptr thrown;
        try {
          if constexpr (std::is_void_v<typename RawReturn<M>::value_type>) {
            co_await M::invoke(h, cx, args);
          } else {
            s = detail::store<M>(result, co_await M::invoke(h, cx, args));
          }
        } catch (...) {
          thrown = std::current_exception();
        }
        if (thrown) [[unlikely]]
          s = caught<M>(result, thrown);
      }
      if (!s.ok()) [[unlikely]]
        co_return s;
      co_return ServerResponse{encode_reply(
          req.format, M::kName, codec::MessageType::kReply, req.seqid, result)};
    }
  }

  // `call_inline` for one function with a synchronous handler method.
  template <class M>
  static Status serve_inline(Handler& h, Context& cx, InlineRequest& req,
                             codec::WriteBuffer& out) {
    cx.method = M::kName;
    codec::ChainInput::SpillBlocks spill;  // see handle()
    typename M::Args args;
    if (Status s = detail::read_args(std::move(req.body), req.format,
                                     *req.limits, args, spill);
        !s.ok()) [[unlikely]]
      return detail::bad_arguments(M::kName, s);
    if constexpr (M::kOneway) {
      if (Status s = call_oneway_sync<M>(h, cx, args); !s.ok()) [[unlikely]]
        detail::log_oneway_failure(M::kName, s);
      return Status();
    } else {
      typename M::Result result;
      if (Status s = call_sync<M>(h, cx, args, result); !s.ok()) [[unlikely]]
        return s;
      encode_reply_to(out, req.format, M::kName, codec::MessageType::kReply,
                      req.seqid, result);
      return Status();
    }
  }

  // Calls a synchronous handler method and stores in `result` what it
  // returned or the declared exception it threw.
  template <class M>
  static Status call_sync(Handler& h, Context& cx, typename M::Args& args,
                          typename M::Result& result) {
    try {
      if constexpr (std::is_void_v<RawReturn<M>>) {
        M::invoke(h, cx, args);
        return Status();
      } else {
        return detail::store<M>(result, M::invoke(h, cx, args));
      }
    } catch (...) {
      return caught<M>(result, std::current_exception());
    }
  }

  // The handler threw `e`: a declared exception becomes the result (OK);
  // anything else fails the call.
  template <class M>
  [[gnu::cold]] static Status caught(typename M::Result& result,
                                     const std::exception_ptr& e) {
    result = {};
    if (detail::store_thrown<M>(result, e)) return Status();
    return detail::handler_threw(M::kName, e);
  }

  // A oneway handler's outcome only matters for the log.
  template <class M>
  static Status call_oneway_sync(Handler& h, Context& cx,
                                 typename M::Args& args) {
    try {
      if constexpr (std::is_void_v<RawReturn<M>>) {
        M::invoke(h, cx, args);
        return Status();
      } else {
        return oneway_status(M::invoke(h, cx, args));
      }
    } catch (...) {
      return detail::handler_threw(M::kName, std::current_exception());
    }
  }
  template <class V>
  static Status oneway_status(V&& v) {
    if constexpr (std::is_same_v<std::remove_cvref_t<V>, Status>) return v;
    return Status();
  }

  template <class M>
  static constexpr Entry entry_for() {
    if constexpr (kSynchronous<M>) {
      return Entry{&handle<M>, &serve_inline<M>};
    } else {
      return Entry{&handle<M>, nullptr};
    }
  }
  template <std::size_t... I>
  static constexpr auto make_entries(std::index_sequence<I...>) {
    return std::array<Entry, sizeof...(I)>{
        entry_for<std::tuple_element_t<I, typename Table::Methods>>()...};
  }
  static constexpr auto kEntries = make_entries(
      std::make_index_sequence<std::tuple_size_v<typename Table::Methods>>());

  Handler* handler_;
};

}  // namespace ferry::thrift
