// Built with FERRY_ENABLE_IO_URING=OFF: the io_uring backend reports itself
// unavailable and the runtime uses epoll.

#include "runtime/internal/backend.h"

namespace ferry::internal {

Result<std::unique_ptr<Backend>> make_uring_backend(Worker*,
                                                    const BackendOptions&) {
  return probe_uring();
}

Status probe_uring() {
  return absl::UnimplementedError(
      "ferry was built without io_uring (FERRY_ENABLE_IO_URING=OFF)");
}

}  // namespace ferry::internal
