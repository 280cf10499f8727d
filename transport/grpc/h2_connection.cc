#include "transport/grpc/h2_connection.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

namespace ferry::grpc::detail {

namespace {

std::string_view view(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                    name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

[[gnu::cold]] Status h2_error(std::string_view what, int rv) {
  return absl::UnavailableError(
      fmt::format("http2: {}: {}", what, nghttp2_strerror(rv)));
}

}  // namespace

const nghttp2_nv* HeaderList::nv() {
  nv_.clear();
  for (const Entry& e : entries_) {
    nv_.push_back(
        make_nv(e.name, e.is_owned ? std::string_view(e.owned) : e.ref));
  }
  return nv_.data();
}

void HeaderList::add_metadata(const Metadata& metadata) {
  for (const auto& [key, value] : metadata.entries()) {
    if (!is_valid_header_key(key) || key.starts_with("grpc-")) {
      if (first_invalid.empty()) first_invalid = key;
      continue;
    }
    if (is_binary_header(key)) {
      add(key, encode_binary_header(value));
    } else if (is_valid_ascii_header_value(value)) {
      add_ref(key, value);
    } else if (first_invalid.empty()) {
      first_invalid = key;
    }
  }
}

void H2Stream::fail(Status why) noexcept {
  if (failure.ok()) failure = std::move(why);
  readable.set();
  writable.set();
}

H2Connection::H2Connection(TcpStream stream, bool server,
                           std::size_t max_message)
    : stream_(std::move(stream)),
      max_message_(max_message),
      is_server_(server) {
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
                                                          &cb_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &cb_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &cb_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
                                                            &cb_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &cb_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &cb_frame_send);
  nghttp2_option* opt;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  // Headers of one request or response; 16 KiB is gRPC's usual bound.
  nghttp2_option_set_max_send_header_block_length(opt, 64 * 1024);
  if (server) {
    nghttp2_session_server_new2(&session_, cbs, this, opt);
  } else {
    nghttp2_session_client_new2(&session_, cbs, this, opt);
  }
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1000},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 64 * 1024},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings,
                          std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        kConnectionWindow);
  last_activity_ = now();
  want_write();
}

H2Connection::~H2Connection() { nghttp2_session_del(session_); }

H2Stream* H2Connection::stream_of(int32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void H2Connection::attach(std::shared_ptr<H2Stream> st) {
  nghttp2_session_set_stream_user_data(session_, st->id, st.get());
  streams_[st->id] = std::move(st);
}

void H2Connection::die(Status why) {
  if (dead_) return;
  dead_ = true;
  dead_reason_ = why;
  // Streams stay in the map (nghttp2 may still point at them as data
  // sources) until the RST_STREAMs queued here go out and close them.
  for (auto& [id, st] : streams_) {
    st->fail(why);
    st->cancel.cancel();
    st->done.set();
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  }
  want_write();  // the writer flushes what is queued, then ends
}

bool H2Connection::quiescent() const {
  return nghttp2_session_want_read(session_) == 0 &&
         nghttp2_session_want_write(session_) == 0;
}

// ---------------------------------------------------------------------------
// Reading.

Task<Status> H2Connection::read_loop(CancelSource* stop) {
  Status why;
  for (;;) {
    Result<IoBuf> got = co_await run_under(stop, stream_.read());
    if (!got.ok()) {
      why = got.status().code() == absl::StatusCode::kCancelled
                ? absl::UnavailableError("connection closing")
                : got.status();
      break;
    }
    if (got->empty()) {
      why = absl::UnavailableError(fmt::format(
          "connection to {} closed by the peer", peer().to_string()));
      break;
    }
    last_activity_ = now();
    for (const IoBuf::Slice& s : got->slices()) {
      const ssize_t rv = nghttp2_session_mem_recv(
          session_, reinterpret_cast<const uint8_t*>(s.data), s.size);
      if (rv < 0) {
        why = h2_error("receiving", static_cast<int>(rv));
        malformed_ = true;
        break;
      }
    }
    if (!why.ok()) {
      // A protocol error: nghttp2 queued GOAWAY; try to send it.
      want_write();
      break;
    }
    want_write();
    if (dead_ || quiescent()) break;
  }
  reading_done_ = true;
  co_return why.ok() ? absl::UnavailableError("connection closed") : why;
}

int H2Connection::cb_begin_headers(nghttp2_session*, const nghttp2_frame* frame,
                                   void* self) {
  return static_cast<H2Connection*>(self)->on_begin_headers(frame);
}

int H2Connection::cb_header(nghttp2_session*, const nghttp2_frame* frame,
                            const uint8_t* name, size_t namelen,
                            const uint8_t* value, size_t valuelen, uint8_t,
                            void* self) {
  return static_cast<H2Connection*>(self)->on_header(frame, view(name, namelen),
                                                     view(value, valuelen));
}

int H2Connection::cb_frame_recv(nghttp2_session*, const nghttp2_frame* frame,
                                void* self) {
  auto* c = static_cast<H2Connection*>(self);
  H2Stream* st = c->stream_of(frame->hd.stream_id);
  if (st == nullptr) return 0;
  if (frame->hd.type == NGHTTP2_HEADERS) {
    const int rv = c->on_headers_done(frame, *st);
    if (rv != 0) return rv;
  }
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
    st->remote_closed = true;
    st->readable.set();
  }
  return 0;
}

int H2Connection::cb_data_chunk(nghttp2_session*, uint8_t, int32_t stream_id,
                                const uint8_t* data, size_t len, void* self) {
  auto* c = static_cast<H2Connection*>(self);
  H2Stream* st = c->stream_of(stream_id);
  if (st == nullptr) {
    // A stream we gave up on: give the window back at once.
    nghttp2_session_consume(c->session_, stream_id, len);
    return 0;
  }
  st->deframer.feed(IoBuf::copy_from(view(data, len)));
  st->unconsumed += len;
  for (;;) {
    Result<std::optional<Frame>> f = st->deframer.next();
    if (!f.ok()) {
      st->fail(f.status());
      // A client gives up on the stream; a server answers with the status
      // (its handler's read fails) and drops the rest of the request.
      if (!c->is_server_) c->reset_stream(*st, NGHTTP2_CANCEL);
      c->consume(*st, st->unconsumed);
      return 0;
    }
    if (!f->has_value()) break;
    st->inbox.push_back(std::move(**f));
  }
  if (st->unread() > 0) st->readable.set();
  c->give_back_window(*st);
  return 0;
}

void H2Connection::give_back_window(H2Stream& st) {
  // Keep the peer going while the reader keeps up (fewer than two unread
  // messages); past that, window comes back only as messages are read.
  if (st.unread() < 2 && st.unconsumed > 0) {
    consume(st, st.unconsumed);
  }
}

void H2Connection::consume(H2Stream& st, std::size_t n) {
  st.unconsumed -= n;
  if (!st.closed) {
    nghttp2_session_consume(session_, st.id, n);
  } else {
    nghttp2_session_consume_connection(session_, n);
  }
  want_write();
}

int H2Connection::cb_stream_close(nghttp2_session*, int32_t stream_id,
                                  uint32_t error_code, void* self) {
  auto* c = static_cast<H2Connection*>(self);
  auto it = c->streams_.find(stream_id);
  if (it == c->streams_.end()) return 0;
  std::shared_ptr<H2Stream> st = std::move(it->second);
  c->streams_.erase(it);
  if (st->unconsumed > 0) {
    nghttp2_session_consume_connection(c->session_, st->unconsumed);
    st->unconsumed = 0;
  }
  st->closed = true;
  c->on_stream_closed(*st, error_code);
  st->readable.set();
  st->writable.set();
  st->done.set();
  return 0;
}

Task<Result<std::optional<IoBuf>>> H2Connection::read_message(
    H2Stream& st, bool* compressed) {
  for (;;) {
    if (st.unread() > 0) {
      Frame f = std::move(st.inbox[st.inbox_head++]);
      if (st.inbox_head == st.inbox.size()) {
        st.inbox.clear();
        st.inbox_head = 0;
      }
      if (!st.closed) give_back_window(st);
      if (compressed != nullptr) *compressed = f.compressed;
      if (!f.compressed) co_return std::optional<IoBuf>(std::move(f.payload));
      if (!st.gzip_in) {
        co_return absl::InternalError(
            "received a compressed message but the stream declared no "
            "grpc-encoding");
      }
      auto plain = gzip_decompress(f.payload, max_message_);
      if (!plain.ok()) co_return plain.status();
      co_return std::optional<IoBuf>(std::move(*plain));
    }
    if (st.failed()) co_return st.failure;
    if (st.remote_closed || st.closed) {
      if (st.deframer.has_partial()) {
        co_return absl::InternalError(fmt::format(
            "stream ended inside a message ({} bytes of it received)",
            st.deframer.buffered()));
      }
      co_return std::optional<IoBuf>();
    }
    st.readable.reset();
    Status woke = co_await st.readable.wait();
    if (!woke.ok()) co_return woke;
  }
}

// ---------------------------------------------------------------------------
// Writing.

ssize_t H2Connection::cb_read_data(nghttp2_session*, int32_t, uint8_t* buf,
                                   size_t length, uint32_t* data_flags,
                                   nghttp2_data_source* source, void* self) {
  auto* c = static_cast<H2Connection*>(self);
  auto* st = static_cast<H2Stream*>(source->ptr);
  const std::size_t n = std::min(length, st->outbox.size());
  if (n > 0) {
    st->outbox.copy_to(buf, n);
    st->outbox.trim_front(n);
    if (st->outbox.size() < kSendHighWater) st->writable.set();
  }
  if (st->outbox.empty()) {
    if (st->local_closed) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      if (st->trailers_pending) {
        *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        st->trailers_pending = false;
        nghttp2_submit_trailer(c->session_, st->id, st->trailers.nv(),
                               st->trailers.size());
      }
    } else if (n == 0) {
      st->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
  }
  return static_cast<ssize_t>(n);
}

int H2Connection::submit_with_data(H2Stream& st, HeaderList& headers,
                                   bool is_request) {
  nghttp2_data_provider provider;
  provider.source.ptr = &st;
  provider.read_callback = &cb_read_data;
  st.data_started = true;
  want_write();
  if (is_request) {
    return nghttp2_submit_request(session_, nullptr, headers.nv(),
                                  headers.size(), &provider, &st);
  }
  return nghttp2_submit_response(session_, st.id, headers.nv(), headers.size(),
                                 &provider);
}

Task<Status> H2Connection::write_message(H2Stream& st, IoBuf message,
                                         bool compress) {
  for (;;) {
    if (st.failed()) co_return st.failure;
    if (st.closed || st.local_closed) {
      co_return absl::FailedPreconditionError("write after the call ended");
    }
    if (st.outbox.size() <= kSendHighWater) break;
    st.writable.reset();
    Status woke = co_await st.writable.wait();
    if (!woke.ok()) co_return woke;
  }
  bool compressed = false;
  if (compress && st.gzip_out) {
    auto packed = gzip_compress(message);
    if (!packed.ok()) co_return packed.status();
    message = std::move(*packed);
    compressed = true;
  }
  st.outbox.append(frame_message(std::move(message), compressed));
  if (st.deferred) {
    st.deferred = false;
    nghttp2_session_resume_data(session_, st.id);
  }
  want_write();
  co_return Status();
}

void H2Connection::close_local(H2Stream& st) {
  if (st.local_closed || st.closed) return;
  st.local_closed = true;
  if (st.deferred) {
    st.deferred = false;
    nghttp2_session_resume_data(session_, st.id);
  }
  want_write();
}

void H2Connection::reset_stream(H2Stream& st, uint32_t error_code) {
  if (st.closed || dead_ || st.id < 0) return;
  if (!st.opened) {
    // nghttp2 (1.52) would send the RST_STREAM ahead of the stream's own
    // HEADERS, which the peer rightly treats as a connection error; send
    // it right after them instead.
    st.pending_reset = error_code + 1;
    return;
  }
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, st.id, error_code);
  want_write();
}

int H2Connection::cb_frame_send(nghttp2_session*, const nghttp2_frame* frame,
                                void* self) {
  auto* c = static_cast<H2Connection*>(self);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  H2Stream* st = c->stream_of(frame->hd.stream_id);
  if (st == nullptr || st->opened) return 0;
  st->opened = true;
  if (st->pending_reset != 0) {
    nghttp2_submit_rst_stream(c->session_, NGHTTP2_FLAG_NONE, st->id,
                              st->pending_reset - 1);
    st->pending_reset = 0;
  }
  return 0;
}

Task<void> H2Connection::write_loop() {
  for (;;) {
    IoBuf out;
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        die(h2_error("sending", static_cast<int>(n)));
        break;
      }
      if (n == 0) break;
      out.append(view(data, static_cast<size_t>(n)));
    }
    if (!out.empty()) {
      Status s = co_await stream_.write(std::move(out));
      if (!s.ok()) {
        die(s);
        co_return;
      }
      continue;  // writing may have let more become ready
    }
    // Nothing left to send: a dead connection (or one whose reader ended
    // and nghttp2 wants nothing more) is done.
    if (dead_ || (reading_done_ && quiescent())) co_return;
    has_output_.reset();
    Status woke = co_await has_output_.wait();
    if (!woke.ok()) co_return;
  }
}

absl::StatusCode code_for_http_status(int http_status) noexcept {
  switch (http_status) {
    case 400:
      return absl::StatusCode::kInternal;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace ferry::grpc::detail
