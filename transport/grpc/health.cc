#include "transport/grpc/health.h"

#include <fmt/core.h>

#include "runtime/time.h"
#include "transport/grpc/health.ferry.h"

namespace ferry::grpc {

namespace {

namespace hv1 = ::grpc::health::v1;
using Proto = hv1::HealthCheckResponse;

Proto::ServingStatus to_proto(HealthStatus::State s) {
  switch (s) {
    case HealthStatus::State::kServing:
      return Proto::SERVING;
    case HealthStatus::State::kNotServing:
      return Proto::NOT_SERVING;
    case HealthStatus::State::kUnknownService:
      return Proto::SERVICE_UNKNOWN;
  }
  return Proto::UNKNOWN;
}

class HealthHandler {
 public:
  explicit HealthHandler(HealthStatus* status) : status_(status) {}

  Task<Result<Proto>> Check(Context&, const hv1::HealthCheckRequest& req) {
    const HealthStatus::State s = status_->get(req.service());
    if (s == HealthStatus::State::kUnknownService) {
      co_return absl::NotFoundError(
          fmt::format("unknown service '{}'", req.service()));
    }
    Proto resp;
    resp.set_status(to_proto(s));
    co_return resp;
  }

  Task<Status> Watch(Context&, const hv1::HealthCheckRequest& req,
                     ServerWriter<Proto>& writer) {
    bool first = true;
    HealthStatus::State last = HealthStatus::State::kServing;
    for (;;) {
      const HealthStatus::State s = status_->get(req.service());
      if (first || s != last) {
        Proto resp;
        resp.set_status(to_proto(s));
        FERRY_CO_RETURN_IF_ERROR(co_await writer.write(resp));
        first = false;
        last = s;
      }
      if (status_->get("") == HealthStatus::State::kNotServing &&
          s == HealthStatus::State::kNotServing) {
        co_return absl::UnavailableError("the server is shutting down");
      }
      FERRY_CO_RETURN_IF_ERROR(co_await sleep_for(detail::kWatchPoll));
    }
  }

 private:
  HealthStatus* status_;
};

}  // namespace

HealthStatus::HealthStatus(const std::vector<std::string>& services) {
  serving_[""] = true;
  for (const std::string& s : services) serving_[s] = true;
}

void HealthStatus::set_serving(std::string_view service, bool serving) {
  std::lock_guard lock(mu_);
  serving_[std::string(service)] = serving;
}

void HealthStatus::shut_down() {
  std::lock_guard lock(mu_);
  shut_down_ = true;
}

HealthStatus::State HealthStatus::get(std::string_view service) const {
  std::lock_guard lock(mu_);
  auto it = serving_.find(service);
  if (it == serving_.end()) return State::kUnknownService;
  return it->second && !shut_down_ ? State::kServing : State::kNotServing;
}

namespace detail {

std::shared_ptr<void> add_health_service(ServiceRegistry& registry,
                                         HealthStatus* status) {
  auto handler = std::make_shared<HealthHandler>(status);
  registry.add<hv1::Health>(handler.get());
  return handler;
}

}  // namespace detail

}  // namespace ferry::grpc
