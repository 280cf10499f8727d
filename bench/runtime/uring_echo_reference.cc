// uring_echo_reference: raw_echo's server (examples/raw_echo) written by hand
// on liburing, with no ferry code at all. scripts/bench_echo.sh runs it next
// to `raw_echo server` so ferry's io_uring numbers can be quoted as a ratio
// against a plain io_uring loop on the same machine.
//
//   uring_echo_reference [--port 0] [--host 127.0.0.1] [--max-seconds S]
//
// Wire format as raw_echo: a 4-byte big-endian length, then the payload;
// every complete frame is echoed back. One thread, one ring, set up the way
// ferry's io_uring backend sets up a worker's (same flags fallback, ring
// size, 1024 x 8 KiB provided buffers), multishot accept, multishot recv,
// one io_uring_enter per loop turn. Per connection at most one send is in
// flight, so echoes leave in the order their frames arrived.
//
// stdout carries two lines for scripts: "uring_echo_reference: listening on
// HOST:PORT" once bound, and "uring_echo_reference: N messages echoed" on
// exit (SIGINT, SIGTERM or --max-seconds). Diagnostics go to stderr.

#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/common/flags.h"

namespace {

// examples/raw_echo/frame.h's values, restated so that this file depends on
// nothing of ferry's (bench/common/flags.h is the standard library alone).
constexpr std::size_t kHeaderSize = 4;
constexpr uint32_t kMaxFrameSize = uint32_t{64} << 20;

// ferry's RuntimeOptions defaults, so both servers get the same ring and
// the same buffers to receive into.
constexpr unsigned kRingEntries = 1024;
constexpr unsigned kBufferCount = 1024;  // the buffer ring needs a power of 2
constexpr unsigned kBufferSize = 8192;
constexpr uint16_t kBufferGroup = 0;
constexpr int kBacklog = 4096;

// user_data is a Conn pointer (8-byte aligned) with the op in its low bits;
// the listener's accept and the cancels carry a null pointer.
enum Op : uint64_t { kAccept = 0, kRecv = 1, kSend = 2, kCancel = 3 };
constexpr uint64_t kOpMask = 3;

constexpr std::string_view kUsage =
    "usage: uring_echo_reference [--port N] [--host 127.0.0.1] "
    "[--max-seconds S]\n"
    "raw_echo's echo server on a hand-written liburing loop (one thread).\n"
    "--port 0 (the default) picks a free port; stdout's first line says "
    "which.\nRuns until SIGINT/SIGTERM or S seconds.\n";

volatile sig_atomic_t g_stop = 0;

extern "C" void on_signal(int) { g_stop = 1; }

struct Conn {
  int fd = -1;
  std::size_t slot = 0;  // index in Server::conns
  bool recv_armed = false;
  bool rearm_pending = false;  // recv ended with ENOBUFS; on Server::rearm
  bool sending = false;
  bool eof = false;     // the peer closed its side
  bool failed = false;  // close once no op is outstanding
  // Received bytes no send has taken yet: rx_frames complete frames in the
  // first rx_complete bytes, then at most one partial frame.
  std::string rx;
  std::size_t rx_complete = 0;
  uint64_t rx_frames = 0;
  // The send in flight: tx_left bytes at tx_ptr, which points into provided
  // buffer tx_bid or, when tx_bid < 0, into tx.
  std::string tx;
  const char* tx_ptr = nullptr;
  std::size_t tx_left = 0;
  int tx_bid = -1;
  uint64_t tx_frames = 0;
};

struct Server {
  io_uring ring{};
  io_uring_buf_ring* br = nullptr;
  std::size_t br_bytes = 0;
  char* buffers = nullptr;
  unsigned recycled = 0;  // buffers added to the ring, not yet published
  int listen_fd = -1;
  std::vector<Conn*> conns;
  std::vector<Conn*> rearm;
  uint64_t echoed = 0;
};

uint64_t tag(Conn* c, Op op) { return reinterpret_cast<uintptr_t>(c) | op; }

io_uring_sqe* get_sqe(Server& s) {
  io_uring_sqe* sqe = io_uring_get_sqe(&s.ring);
  if (sqe == nullptr) {
    // The submission queue filled mid-turn: flush it early (rare).
    io_uring_submit(&s.ring);
    sqe = io_uring_get_sqe(&s.ring);
  }
  if (sqe == nullptr) {
    std::fprintf(stderr, "uring_echo_reference: submission queue stuck\n");
    std::abort();
  }
  return sqe;
}

char* buffer(Server& s, int bid) {
  return s.buffers + std::size_t{static_cast<unsigned>(bid)} * kBufferSize;
}

// Queues buffer `bid` for the ring; flush_buffers() publishes the batch with
// one release store instead of one per buffer.
void recycle(Server& s, int bid) {
  io_uring_buf_ring_add(
      s.br, buffer(s, bid), kBufferSize, static_cast<unsigned short>(bid),
      io_uring_buf_ring_mask(kBufferCount), static_cast<int>(s.recycled++));
}

void flush_buffers(Server& s) {
  if (s.recycled == 0) return;
  io_uring_buf_ring_advance(s.br, static_cast<int>(s.recycled));
  s.recycled = 0;
}

void arm_accept(Server& s) {
  io_uring_sqe* sqe = get_sqe(s);
  io_uring_prep_multishot_accept(sqe, s.listen_fd, nullptr, nullptr,
                                 SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, tag(nullptr, kAccept));
}

void arm_recv(Server& s, Conn* c) {
  io_uring_sqe* sqe = get_sqe(s);
  io_uring_prep_recv_multishot(sqe, c->fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, tag(c, kRecv));
  c->recv_armed = true;
}

void start_send(Server& s, Conn* c) {
  io_uring_sqe* sqe = get_sqe(s);
  io_uring_prep_send(sqe, c->fd, c->tx_ptr, c->tx_left, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tag(c, kSend));
  c->sending = true;
}

// Walks frame headers in data[offset, size): returns where the last complete
// frame ends and counts the complete frames into *frames. Sets *bad on a
// length above kMaxFrameSize, which closes the connection as in raw_echo
// (though without first echoing the frames before it, as raw_echo does).
std::size_t scan_frames(const char* data, std::size_t size, std::size_t offset,
                        uint64_t* frames, bool* bad) {
  while (size - offset >= kHeaderSize) {
    const auto* h = reinterpret_cast<const unsigned char*>(data + offset);
    const uint32_t len = uint32_t{h[0]} << 24 | uint32_t{h[1]} << 16 |
                         uint32_t{h[2]} << 8 | uint32_t{h[3]};
    if (len > kMaxFrameSize) {
      *bad = true;
      break;
    }
    if (size - offset - kHeaderSize < len) break;
    offset += kHeaderSize + len;
    ++*frames;
  }
  return offset;
}

// Frees `c` once nothing of the kernel's refers to it and it has nothing
// left to echo.
void maybe_finish(Server& s, Conn* c) {
  if (c->recv_armed || c->sending || c->rearm_pending) return;
  // A partial frame dies with the connection, as in raw_echo.
  if (!c->failed && !(c->eof && c->rx_complete == 0)) return;
  ::close(c->fd);
  Conn* last = s.conns.back();
  last->slot = c->slot;
  s.conns[c->slot] = last;
  s.conns.pop_back();
  delete c;
}

void fail(Server& s, Conn* c) {
  if (c->failed) return;
  c->failed = true;
  if (c->recv_armed || c->sending) {
    // By fd, not user_data: the fd stays open (so is not reused) until
    // every op on it has ended, while a freed Conn's address may be reused.
    io_uring_sqe* sqe = get_sqe(s);
    io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, tag(nullptr, kCancel));
  }
}

// Hands rx's complete frames to a send. Swapping the strings moves them
// without a copy; only the partial tail is copied back into rx.
void send_rx(Server& s, Conn* c) {
  std::swap(c->tx, c->rx);
  c->rx.assign(c->tx, c->rx_complete);
  c->tx.resize(c->rx_complete);
  c->tx_ptr = c->tx.data();
  c->tx_left = c->tx.size();
  c->tx_bid = -1;
  c->tx_frames = c->rx_frames;
  c->rx_complete = 0;
  c->rx_frames = 0;
  start_send(s, c);
}

void on_data(Server& s, Conn* c, int bid, std::size_t n) {
  const char* data = buffer(s, bid);
  bool bad = false;
  if (!c->sending && c->rx.empty()) {
    // The common case: nothing buffered, nothing in flight. Complete frames
    // go back out straight from the provided buffer, which returns to the
    // ring when the send completes; only a partial tail is copied.
    uint64_t frames = 0;
    const std::size_t complete = scan_frames(data, n, 0, &frames, &bad);
    if (bad) {
      recycle(s, bid);
      fail(s, c);
      return;
    }
    if (complete < n) c->rx.assign(data + complete, n - complete);
    if (complete == 0) {
      recycle(s, bid);
      return;
    }
    c->tx_ptr = data;
    c->tx_left = complete;
    c->tx_bid = bid;
    c->tx_frames = frames;
    start_send(s, c);
    return;
  }
  // Behind a send in flight or a partial frame: copy, so the buffer goes
  // back at once and a connection never holds more than one.
  c->rx.append(data, n);
  recycle(s, bid);
  c->rx_complete = scan_frames(c->rx.data(), c->rx.size(), c->rx_complete,
                               &c->rx_frames, &bad);
  if (bad) {
    fail(s, c);
    return;
  }
  if (!c->sending && c->rx_complete > 0) send_rx(s, c);
}

void on_recv(Server& s, Conn* c, const io_uring_cqe* cqe) {
  if (!(cqe->flags & IORING_CQE_F_MORE)) c->recv_armed = false;
  if (cqe->res > 0) {
    const int bid = static_cast<int>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
    if (c->failed) {
      recycle(s, bid);
    } else {
      on_data(s, c, bid, static_cast<std::size_t>(cqe->res));
    }
    // The kernel may end a multishot recv that still has data (e.g. on CQ
    // overflow); carry on with a new one.
    if (!c->recv_armed && !c->failed) arm_recv(s, c);
  } else if (cqe->res == 0) {
    c->eof = true;
  } else if (cqe->res == -ENOBUFS) {
    // Every buffer is taken; run() retries once some are recycled.
    if (!c->failed) {
      c->rearm_pending = true;
      s.rearm.push_back(c);
    }
  } else {
    if (cqe->res != -ECANCELED && cqe->res != -ECONNRESET) {
      std::fprintf(stderr, "uring_echo_reference: recv: %s\n",
                   std::strerror(-cqe->res));
    }
    fail(s, c);
  }
  maybe_finish(s, c);
}

void on_send(Server& s, Conn* c, int res) {
  c->sending = false;
  if (res > 0 && !c->failed) {
    c->tx_ptr += res;
    c->tx_left -= static_cast<std::size_t>(res);
    if (c->tx_left > 0) {  // a partial send: the rest, before anything else
      start_send(s, c);
      return;
    }
    s.echoed += c->tx_frames;
  } else if (res <= 0) {
    if (res != -ECANCELED && res != -EPIPE && res != -ECONNRESET) {
      std::fprintf(stderr, "uring_echo_reference: send: %s\n",
                   res == 0 ? "sent nothing" : std::strerror(-res));
    }
    fail(s, c);
  }
  if (c->tx_bid >= 0) recycle(s, c->tx_bid);
  c->tx_bid = -1;
  if (!c->failed && c->rx_complete > 0) send_rx(s, c);
  maybe_finish(s, c);
}

void on_accept(Server& s, const io_uring_cqe* cqe) {
  if (!(cqe->flags & IORING_CQE_F_MORE)) arm_accept(s);
  if (cqe->res < 0) {
    std::fprintf(stderr, "uring_echo_reference: accept: %s\n",
                 std::strerror(-cqe->res));
    return;
  }
  // As ferry does for every connection.
  const int one = 1;
  ::setsockopt(cqe->res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  auto* c = new Conn();
  c->fd = cqe->res;
  c->slot = s.conns.size();
  s.conns.push_back(c);
  arm_recv(s, c);
}

void handle(Server& s, const io_uring_cqe* cqe) {
  auto* c = reinterpret_cast<Conn*>(cqe->user_data & ~kOpMask);
  switch (static_cast<Op>(cqe->user_data & kOpMask)) {
    case kAccept:
      on_accept(s, cqe);
      break;
    case kRecv:
      on_recv(s, c, cqe);
      break;
    case kSend:
      on_send(s, c, cqe->res);
      break;
    case kCancel:
      break;
  }
}

std::string describe_flags(unsigned flags) {
  std::string out;
  auto add = [&](unsigned f, const char* name) {
    if (!(flags & f)) return;
    if (!out.empty()) out += '|';
    out += name;
  };
  add(IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER");
  add(IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN");
  add(IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN");
  return out.empty() ? "no setup flags" : out;
}

// The ring with the best flags the kernel takes (ferry's order), and the
// provided-buffer ring. Returns false after printing why it failed.
bool init_ring(Server& s) {
  const unsigned attempts[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
          IORING_SETUP_COOP_TASKRUN,
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
      IORING_SETUP_COOP_TASKRUN,
      0,
  };
  int r = -EINVAL;
  unsigned flags = 0;
  for (unsigned f : attempts) {
    io_uring_params p{};
    p.flags = f | IORING_SETUP_CQSIZE;
    p.cq_entries = kRingEntries * 4;
    r = io_uring_queue_init_params(kRingEntries, &s.ring, &p);
    if (r != -EINVAL) {
      flags = f;
      break;
    }
  }
  if (r < 0) {
    std::fprintf(stderr, "uring_echo_reference: io_uring_queue_init: %s\n",
                 std::strerror(-r));
    return false;
  }

  // liburing 2.3 has no io_uring_setup_buf_ring: map and register by hand.
  s.br_bytes = kBufferCount * sizeof(io_uring_buf);
  void* br = ::mmap(nullptr, s.br_bytes, PROT_READ | PROT_WRITE,
                    MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  void* mem =
      ::mmap(nullptr, std::size_t{kBufferCount} * kBufferSize,
             PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (br == MAP_FAILED || mem == MAP_FAILED) {
    std::perror("uring_echo_reference: mmap");
    return false;
  }
  s.br = static_cast<io_uring_buf_ring*>(br);
  s.buffers = static_cast<char*>(mem);
  io_uring_buf_ring_init(s.br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uintptr_t>(br);
  reg.ring_entries = kBufferCount;
  reg.bgid = kBufferGroup;
  if (int e = io_uring_register_buf_ring(&s.ring, &reg, 0); e < 0) {
    std::fprintf(stderr,
                 "uring_echo_reference: io_uring_register_buf_ring: %s\n",
                 std::strerror(-e));
    return false;
  }
  for (unsigned bid = 0; bid < kBufferCount; ++bid) {
    recycle(s, static_cast<int>(bid));
  }
  flush_buffers(s);
  std::fprintf(stderr,
               "uring_echo_reference: io_uring (%s), multishot recv into "
               "%ux%u B buffer ring\n",
               describe_flags(flags).c_str(), kBufferCount, kBufferSize);
  return true;
}

// Binds and listens; prints the listening line. Returns false after
// printing why it failed.
bool listen_on(Server& s, const std::string& host, uint16_t port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(*v4);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(*v6);
  } else {
    std::fprintf(stderr, "uring_echo_reference: --host: '%s' is not an IP\n",
                 host.c_str());
    return false;
  }
  s.listen_fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s.listen_fd < 0) {
    std::perror("uring_echo_reference: socket");
    return false;
  }
  const int one = 1;
  ::setsockopt(s.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(s.listen_fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 ||
      ::listen(s.listen_fd, kBacklog) < 0) {
    std::perror("uring_echo_reference: bind/listen");
    return false;
  }
  ::getsockname(s.listen_fd, reinterpret_cast<sockaddr*>(&ss), &len);
  const uint16_t bound =
      ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  if (ss.ss_family == AF_INET) {
    std::printf("uring_echo_reference: listening on %s:%u\n", host.c_str(),
                bound);
  } else {
    std::printf("uring_echo_reference: listening on [%s]:%u\n", host.c_str(),
                bound);
  }
  std::fflush(stdout);
  return true;
}

void run(Server& s, double max_seconds) {
  using Clock = std::chrono::steady_clock;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(max_seconds));
  std::vector<Conn*> rearm;  // swapped with s.rearm: no allocation per turn
  arm_accept(s);
  while (!g_stop) {
    if (max_seconds > 0 && Clock::now() >= deadline) {
      std::fprintf(stderr,
                   "uring_echo_reference: --max-seconds elapsed, stopping\n");
      break;
    }
    // Receives starved of buffers go again once some come back: into an
    // empty ring they would only fail again, in a busy loop.
    if (s.recycled > 0 && !s.rearm.empty()) {
      rearm.swap(s.rearm);
      for (Conn* c : rearm) {
        c->rearm_pending = false;
        if (c->failed) {
          maybe_finish(s, c);
        } else {
          arm_recv(s, c);
        }
      }
      rearm.clear();
    }
    flush_buffers(s);

    // The wait is bounded so the stop flag and the deadline are seen even
    // when no completion comes (a signal also interrupts it: EINTR).
    __kernel_timespec ts{.tv_sec = 0, .tv_nsec = 100'000'000};
    io_uring_cqe* first = nullptr;
    const int r =
        io_uring_submit_and_wait_timeout(&s.ring, &first, 1, &ts, nullptr);
    if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
      std::fprintf(stderr, "uring_echo_reference: io_uring_enter: %s\n",
                   std::strerror(-r));
      break;
    }
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&s.ring, head, cqe) {
      handle(s, cqe);
      ++seen;
    }
    io_uring_cq_advance(&s.ring, seen);
  }
}

// Sets *out from flag --`name`'s `value`, a number in [min, max].
template <class T>
bool parse_flag_number(std::string_view name, std::string_view value, T min,
                       T max, T* out) {
  if (ferry::bench_common::parse_number(value, min, max, out)) return true;
  std::fprintf(stderr, "uring_echo_reference: --%.*s: bad value '%.*s'\n",
               static_cast<int>(name.size()), name.data(),
               static_cast<int>(value.size()), value.data());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  double max_seconds = 0;
  for (int i = 1; i < argc; ++i) {
    const char* flag = argv[i];
    std::string_view arg = flag;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage.data(), stdout);
      return 0;
    }
    std::string_view name = arg.substr(arg.starts_with("--") ? 2 : 0);
    std::string_view value;
    if (const auto eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    bool ok = arg.starts_with("--") && !value.empty();
    if (ok && name == "port") {
      ok = parse_flag_number<uint16_t>(name, value, 0, 65535, &port);
    } else if (ok && name == "host") {
      host = value;
    } else if (ok && name == "max-seconds") {
      ok = parse_flag_number<double>(name, value, 0, 1e9, &max_seconds);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "uring_echo_reference: bad argument '%s'\n%s", flag,
                   kUsage.data());
      return 1;
    }
  }

  // No SA_RESTART: the signal must interrupt the ring wait, not resume it.
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  Server s;
  if (!init_ring(s) || !listen_on(s, host, port)) return 1;
  run(s, max_seconds);
  std::printf("uring_echo_reference: %llu messages echoed\n",
              static_cast<unsigned long long>(s.echoed));
  std::fflush(stdout);

  // Exiting the ring cancels whatever is still in flight before the memory
  // those ops point at goes.
  io_uring_queue_exit(&s.ring);
  for (Conn* c : s.conns) {
    ::close(c->fd);
    delete c;
  }
  ::close(s.listen_fd);
  ::munmap(s.buffers, std::size_t{kBufferCount} * kBufferSize);
  ::munmap(s.br, s.br_bytes);
  return 0;
}
