include "shared.thrift"

namespace cpp example

const string DEFAULT_GREETING = "hello"

struct Greeting {
  1: shared.Person to,
  2: string text = DEFAULT_GREETING,
  3: list<string> tags,
}

exception Rude {
  1: string why,
}

service Greeter {
  Greeting greet(1: shared.Person person) throws (1: Rude rude),
}
