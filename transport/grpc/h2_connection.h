#pragma once

// The HTTP/2 half of ferry's gRPC transport, shared by server and client
// connections: an nghttp2 session driven entirely by the runtime through
// `nghttp2_session_mem_recv` / `mem_send` (no threads, no nghttp2 I/O), and
// the per-stream gRPC state (deframed messages in, DATA bytes out).
//
// Tasks of one connection, all on its worker:
// - the reader feeds received bytes to nghttp2, whose callbacks update the
//   streams and wake their readers (`H2Stream::readable`);
// - the writer wakes once per loop turn in which anything was queued and
//   writes whatever nghttp2 has to send in one gathered write;
// - one task per call (server: the handler; client: the caller) reads and
//   writes messages through its `H2Stream`.
//
// Flow control, both ways, so neither a large message nor a slow peer makes
// memory balloon:
// - Receiving: window updates are manual (`no_auto_window_update`). Bytes
//   are given back to the peer as they arrive while the stream holds fewer
//   than two unread messages, and otherwise only as the application reads.
//   A reader that stops reading therefore stops its peer after one window.
// - Sending: a message written goes to the stream's outbox; nghttp2 pulls
//   from it as the peer's window allows. `write` waits while the outbox
//   holds more than kSendHighWater bytes.

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"

#include "middleware/context.h"
#include "runtime/cancel.h"
#include "runtime/event.h"
#include "runtime/io_buf.h"
#include "runtime/net.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "runtime/task_group.h"
#include "runtime/time.h"
#include "transport/grpc/service.h"
#include "transport/grpc/wire.h"

namespace ferry::grpc::detail {

inline constexpr std::size_t kSendHighWater = 256 * 1024;
// Our receive window per stream and per connection.
inline constexpr int32_t kStreamWindow = 1 << 20;
inline constexpr int32_t kConnectionWindow = 16 << 20;

// Headers to send; nghttp2 copies names and values on submit. Inline
// storage: building a response's headers allocates nothing.
class HeaderList {
 public:
  // `name` and `value` must outlive the submit (literals, or the stream).
  void add_ref(std::string_view name, std::string_view value) {
    entries_.push_back(Entry{name, value, {}, false});
  }
  void add(std::string_view name, std::string value) {
    entries_.push_back(Entry{name, {}, std::move(value), true});
  }
  // Custom metadata: `-bin` keys base64-encoded; invalid keys and values
  // are skipped (reported by `first_invalid`).
  void add_metadata(const Metadata& metadata);
  std::string first_invalid;

  // The nghttp2 view, valid until the list is next changed.
  const nghttp2_nv* nv();
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    std::string_view name;
    std::string_view ref;
    std::string owned;
    bool is_owned;
  };
  absl::InlinedVector<Entry, 8> entries_;
  absl::InlinedVector<nghttp2_nv, 8> nv_;
};

// One HTTP/2 stream's gRPC state, shared by the connection (until nghttp2
// closes the stream) and the task that runs the call.
struct H2Stream {
  explicit H2Stream(std::size_t max_message) : deframer(max_message) {}

  int32_t id = -1;
  Context cx;  // server: the call's context (client: unused)
  // Client: the caller's context (response metadata lands there); null
  // once the call object is gone.
  Context* client_cx = nullptr;

  // Request headers (server) / response headers and trailers (client).
  const MethodEntry* method = nullptr;  // server: the :path's method
  std::string unknown_path;             // server: a :path with no method
  bool post = false;                    // server: :method is POST
  bool grpc_content_type = false;       // content-type application/grpc*
  std::string encoding;                 // grpc-encoding
  bool peer_accepts_gzip = false;       // grpc-accept-encoding lists gzip
  bool bad_timeout = false;
  int http_status = 0;
  int grpc_status = -1;  // -1: not received
  std::string grpc_message;

  // Receiving.
  MessageDeframer deframer;
  // Unread messages: inbox[inbox_head..]. Usually 0 or 1, but one DATA
  // frame can carry hundreds of small ones, so popping is O(1).
  absl::InlinedVector<Frame, 1> inbox;
  std::size_t inbox_head = 0;
  std::size_t unread() const noexcept { return inbox.size() - inbox_head; }
  std::size_t unconsumed = 0;  // received DATA bytes not yet given back
  bool gzip_in = false;        // the peer's grpc-encoding is gzip
  bool remote_closed = false;  // END_STREAM received
  bool headers_received = false;
  Status failure;  // set once: reset, bad message, connection lost
  Event readable;  // a message, the end or a failure is available

  // Sending.
  IoBuf outbox;
  bool gzip_out = false;          // our messages may be compressed
  bool data_started = false;      // headers and the data provider submitted
  bool deferred = false;          // nghttp2 waits for us to resume the data
  bool local_closed = false;      // end of stream queued after the outbox
  bool trailers_pending = false;  // server: trailers go after the outbox
  HeaderList trailers;
  Event writable;  // the outbox drained below the high-water mark

  // The stream's first HEADERS went out (server streams: came in); until
  // then a reset waits in `pending_reset` (error code + 1).
  bool opened = false;
  uint32_t pending_reset = 0;
  bool closed = false;  // nghttp2 closed the stream
  Event done;           // set with `closed`
  CancelSource cancel;  // server: cancels the handler (reset, deadline)

  bool failed() const noexcept { return !failure.ok(); }
  void fail(Status why) noexcept;
};

class H2Connection {
 public:
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;
  virtual ~H2Connection();

  // Next message of `st`, nullopt at its end; gives window back as it goes.
  Task<Result<std::optional<IoBuf>>> read_message(H2Stream& st,
                                                  bool* compressed);
  // Queues one message on `st`, compressing it when asked and allowed;
  // waits while the outbox is over the high-water mark.
  Task<Status> write_message(H2Stream& st, IoBuf message, bool compress);
  // Queues the end of our side after the outbox.
  void close_local(H2Stream& st);
  // RST_STREAM with `error_code` unless the stream is already closed.
  void reset_stream(H2Stream& st, uint32_t error_code);

  bool dead() const noexcept { return dead_; }
  const SocketAddress& peer() const noexcept { return stream_.peer_address(); }

 protected:
  H2Connection(TcpStream stream, bool server, std::size_t max_message);

  // Reads and feeds nghttp2 until EOF, an error, a protocol error or
  // `stop`; returns why it ended (the caller then calls `die`).
  Task<Status> read_loop(CancelSource* stop);
  // Writes what nghttp2 produces until the connection is done.
  Task<void> write_loop();
  // Wakes the writer (once per loop turn).
  void want_write() noexcept {
    if (!has_output_.is_set()) has_output_.set();
  }
  // Submits `st`'s headers with the data provider attached.
  int submit_with_data(H2Stream& st, HeaderList& headers, bool is_request);
  // Marks the connection failed: every stream fails with `why`.
  void die(Status why);
  // The writer has written everything and nghttp2 wants no more I/O.
  bool quiescent() const;

  // Callbacks from nghttp2, per side.
  virtual int on_begin_headers(const nghttp2_frame* frame) = 0;
  virtual int on_header(const nghttp2_frame* frame, std::string_view name,
                        std::string_view value) = 0;
  virtual int on_headers_done(const nghttp2_frame* frame, H2Stream& st) = 0;
  virtual void on_stream_closed(H2Stream& st, uint32_t error_code) = 0;

  H2Stream* stream_of(int32_t id) const;
  void attach(std::shared_ptr<H2Stream> st);

  nghttp2_session* session_ = nullptr;
  TcpStream stream_;
  std::size_t max_message_;
  bool is_server_;
  absl::flat_hash_map<int32_t, std::shared_ptr<H2Stream>> streams_;
  Event has_output_;
  bool reading_done_ = false;
  bool malformed_ = false;  // the peer broke the HTTP/2 protocol
  bool dead_ = false;
  Status dead_reason_;
  Clock::time_point last_activity_{};

 private:
  static int cb_begin_headers(nghttp2_session*, const nghttp2_frame* frame,
                              void* self);
  static int cb_header(nghttp2_session*, const nghttp2_frame* frame,
                       const uint8_t* name, size_t namelen,
                       const uint8_t* value, size_t valuelen, uint8_t flags,
                       void* self);
  static int cb_frame_recv(nghttp2_session*, const nghttp2_frame* frame,
                           void* self);
  static int cb_data_chunk(nghttp2_session*, uint8_t flags, int32_t stream_id,
                           const uint8_t* data, size_t len, void* self);
  static int cb_frame_send(nghttp2_session*, const nghttp2_frame* frame,
                           void* self);
  static int cb_stream_close(nghttp2_session*, int32_t stream_id,
                             uint32_t error_code, void* self);
  static ssize_t cb_read_data(nghttp2_session*, int32_t stream_id, uint8_t* buf,
                              size_t length, uint32_t* data_flags,
                              nghttp2_data_source* source, void* self);

  void consume(H2Stream& st, std::size_t n);
  void give_back_window(H2Stream& st);
};

// Maps a non-200 HTTP status to the gRPC code the spec assigns it.
absl::StatusCode code_for_http_status(int http_status) noexcept;

}  // namespace ferry::grpc::detail
