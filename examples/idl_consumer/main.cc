// Round-trips a generated struct through both shipped protocols: proof that
// the generated library links and works from the user's own project.
#include <iostream>

#include "codec/binary_protocol.h"
#include "codec/compact_protocol.h"
#include "greeter_types.h"

template <template <class> class Writer, template <class> class Reader>
bool round_trip(const example::Greeting& in) {
  ferry::codec::WriteBuffer buf;
  Writer<ferry::codec::WriteBuffer> writer(buf);
  in.write(writer);
  Reader<ferry::codec::SpanInput> reader{ferry::codec::SpanInput(buf.view())};
  example::Greeting out;
  ferry::Status status = out.read(reader);
  if (!status.ok()) {
    std::cerr << "decode failed: " << status << "\n";
    return false;
  }
  return out == in;
}

int main() {
  example::Greeting greeting;
  greeting.to.name = "Ada";
  greeting.to.age = 36;
  greeting.tags = {"first", "second"};
  std::cout << greeting << "\n";
  bool ok =
      round_trip<ferry::codec::BinaryWriter, ferry::codec::BinaryReader>(
          greeting) &&
      round_trip<ferry::codec::CompactWriter, ferry::codec::CompactReader>(
          greeting);
  std::cout << (ok ? "idl_consumer: round trips ok" : "idl_consumer: MISMATCH")
            << "\n";
  return ok ? 0 : 1;
}
