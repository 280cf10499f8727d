// The automatic epoll fallback, exercised for real: a child process installs
// a seccomp filter that makes io_uring_setup fail with EPERM (what Docker's
// default profile does), then starts runtimes. Its own binary, so no earlier
// test has already probed (and cached) io_uring in this process.

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "gtest/gtest.h"

#include "runtime/net.h"
#include "runtime/runtime.h"

namespace ferry {
namespace {

// Makes io_uring_setup (and only it) fail with EPERM in this process.
bool block_io_uring_setup() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{
      static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

Task<Status> loopback_round_trip() {
  FERRY_CO_ASSIGN_OR_RETURN(TcpListener l,
                            TcpListener::bind(SocketAddress::loopback_v4(0)));
  FERRY_CO_ASSIGN_OR_RETURN(TcpStream c,
                            co_await TcpStream::connect(l.local_address()));
  FERRY_CO_ASSIGN_OR_RETURN(TcpStream s, co_await l.accept());
  FERRY_CO_RETURN_IF_ERROR(co_await c.write(IoBuf::copy_from("ok")));
  FERRY_CO_ASSIGN_OR_RETURN(IoBuf got, co_await s.read_exact(2));
  if (!(got == "ok")) co_return absl::DataLossError("mismatch");
  co_return Status();
}

// Runs in the child; returns the exit code (0 = all checks passed).
int child_checks() {
  if (!block_io_uring_setup()) {
    std::perror("seccomp");
    return 10;
  }
  ::unsetenv("FERRY_IO_BACKEND");
  Result<IoBackend> automatic = resolve_backend({});
  if (!automatic.ok() || *automatic != IoBackend::kEpoll) return 11;
  Result<IoBackend> forced = resolve_backend({.backend = IoBackend::kIoUring});
  if (forced.ok() || forced.status().code() != absl::StatusCode::kUnavailable ||
      std::string(forced.status().message()).find("Operation not permitted") ==
          std::string::npos) {
    return 12;
  }
  auto rt = Runtime::create({.workers = 2});
  if (!rt.ok() || (*rt)->backend() != IoBackend::kEpoll) return 13;
  if (!(*rt)->block_on(loopback_round_trip(), 1).ok()) return 14;
  (*rt)->shutdown();
  if (!block_on(loopback_round_trip()).ok()) return 15;
  return 0;
}

TEST(BackendFallbackTest, FallsBackToEpollWhenIoUringSetupIsForbidden) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(child_checks());
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child died: " << status;
  // 10: seccomp refused; 11: auto did not pick epoll; 12: forcing io_uring
  // did not report EPERM; 13-15: the epoll runtime did not work.
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace ferry
