#pragma once

// Command-line flags in Apache Thrift's test-program style: `--name value`
// and `--name=value`, every flag known in advance. Shared by the Thrift
// example programs (examples/echo, examples/thrift_test); servers' flags
// are in server_flags.h.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "runtime/status.h"
#include "transport/thrift/framing.h"

namespace ferry::examples {

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
