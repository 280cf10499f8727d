#pragma once

// The raw_echo client: C connections, each sending M frames of B payload
// bytes one at a time and checking every echo byte for byte.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/status.h"

namespace ferry::raw_echo {

struct ClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::size_t connections = 1;
  std::size_t messages = 1000;
  std::size_t payload = 64;
  // How long one echo may take before the run fails (a hung server must not
  // hang the scripts that run this).
  std::chrono::milliseconds echo_timeout{10000};
};

struct ClientReport {
  std::chrono::nanoseconds elapsed{};  // connects included
};

// Runs the client to completion on a one-worker runtime on the calling
// thread. The first failure, naming its connection and message, is returned.
Result<ClientReport> run_client(const ClientOptions& options);

// "raw_echo: C connections x M messages of B bytes echoed and verified in X
// ms"
std::string client_line(const ClientOptions& options,
                        const ClientReport& report);

}  // namespace ferry::raw_echo
