#pragma once

// The built-in `grpc.health.v1.Health` service (gRPC's health-checking
// protocol): every grpc::Server serves it next to the user's services.
//
// - Check(""): the server as a whole; Check("pkg.Service"): one of the
//   registered services. SERVING while the server runs, NOT_SERVING once
//   stop() began or after `set_serving(name, false)`; an unknown name is
//   NOT_FOUND.
// - Watch: sends the current status (SERVICE_UNKNOWN for an unknown name),
//   then a new message whenever it changes, until the client cancels or
//   the server stops. Changes are noticed within kWatchPoll.
//
// The status table is shared by every worker (a mutex guards it; health
// checks are rare next to real traffic).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "middleware/context.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "transport/grpc/service.h"

namespace ferry::grpc {

class HealthStatus {
 public:
  enum class State { kServing, kNotServing, kUnknownService };

  // Every name in `services` (and "") starts SERVING.
  explicit HealthStatus(const std::vector<std::string>& services);

  void set_serving(std::string_view service, bool serving);
  // Everything NOT_SERVING (the server is stopping).
  void shut_down();
  State get(std::string_view service) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, bool, std::less<>> serving_;
  bool shut_down_ = false;
};

namespace detail {

// Registers the Health service's methods, served from `status`, into
// `registry`; the returned handle owns the handler (keep it as long as the
// registry is used).
std::shared_ptr<void> add_health_service(ServiceRegistry& registry,
                                         HealthStatus* status);

inline constexpr std::chrono::milliseconds kWatchPoll{200};

}  // namespace detail

}  // namespace ferry::grpc
