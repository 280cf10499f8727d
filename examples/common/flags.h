#pragma once

// Command-line flags in Apache Thrift's test-program style: `--name value`
// and `--name=value`, every flag known in advance. Shared by the Thrift
// example programs (examples/echo, examples/thrift_test); servers' flags
// are in server_flags.h.

#include <fmt/core.h>

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "runtime/status.h"
#include "transport/thrift/framing.h"

namespace ferry::examples {

// `text` as an unsigned decimal integer no larger than `max`, or an error
// naming `what`: "--port: 'x9' is not an integer in [0, 65535]".
inline Result<std::uint64_t> parse_uint(std::string_view what,
                                        std::string_view text,
                                        std::uint64_t max) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [at, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || at != end || value > max) {
    return absl::InvalidArgumentError(
        fmt::format("{}: '{}' is not an integer in [0, {}]", what, text, max));
  }
  return value;
}

class Flags {
 public:
  // Parses argv against `known` flag names (without "--"); names in
  // `switches` take no value.
  static Result<Flags> parse(int argc, char** argv,
                             const std::set<std::string>& known,
                             const std::set<std::string>& switches = {}) {
    Flags flags;
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg.substr(0, 2) != "--") {
        return absl::InvalidArgumentError("unexpected argument: " +
                                          std::string(arg));
      }
      arg.remove_prefix(2);
      std::string name(arg.substr(0, arg.find('=')));
      if (!known.contains(name) && !switches.contains(name)) {
        return absl::InvalidArgumentError("unknown flag --" + name);
      }
      if (switches.contains(name)) {
        flags.values_[name] = "true";
      } else if (arg.find('=') != std::string_view::npos) {
        flags.values_[name] = std::string(arg.substr(arg.find('=') + 1));
      } else if (i + 1 < argc) {
        flags.values_[name] = argv[++i];
      } else {
        return absl::InvalidArgumentError("--" + name + " needs a value");
      }
    }
    return flags;
  }

  std::optional<std::string> get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  std::string get_or(const std::string& name, std::string fallback) const {
    return get(name).value_or(std::move(fallback));
  }
  bool has(const std::string& name) const { return values_.contains(name); }
  // --name as an unsigned integer no larger than `max` (see parse_uint);
  // `fallback` when the flag is absent.
  Result<std::uint64_t> get_uint(const std::string& name,
                                 std::uint64_t fallback,
                                 std::uint64_t max) const {
    auto value = get(name);
    if (!value) return fallback;
    return parse_uint("--" + name, *value, max);
  }

 private:
  std::map<std::string, std::string> values_;
};

// --transport (framed|buffered, default `default_transport`) and --protocol
// (binary|compact, default binary) as a wire format; an unknown transport
// is reported before an unknown protocol.
inline Result<thrift::WireFormat> wire_format(
    const Flags& flags, std::string_view default_transport) {
  auto framing = thrift::parse_framing(
      flags.get_or("transport", std::string(default_transport)));
  if (!framing.ok()) return framing.status();
  auto protocol = thrift::parse_protocol(flags.get_or("protocol", "binary"));
  if (!protocol.ok()) return protocol.status();
  return thrift::WireFormat{*framing, *protocol};
}

}  // namespace ferry::examples
