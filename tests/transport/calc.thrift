// The service the transport tests serve: one function per behaviour a
// Thrift server and client must get right.
namespace cpp ferry_test.calc

exception Boom {
  1: string why
  2: i32 code
}

exception Bust {
  1: string why
}

service Base {
  string name()
  void ping()
}

service Calc extends Base {
  i32 add(1: i32 a, 2: i32 b)
  string echo(1: string text)
  // The argument is a view into the received bytes (zero-copy).
  i32 length(1: string text (ferry.view))
  // Replies `value` after `millis` milliseconds.
  i32 slow(1: i32 value, 2: i32 millis)
  // "boom" returns Boom, "bust" throws Bust, anything else succeeds.
  void fail(1: string how) throws (1: Boom boom, 2: Bust bust)
  i64 pick(1: string how) throws (1: Boom boom)
  oneway void notify(1: string event)
  // The handler throws std::runtime_error(what).
  void crash(1: string what)
  // Synchronous handlers (served inline): a reply as large as asked for,
  // and a zero-copy argument.
  string repeat(1: string text, 2: i32 times)
  i32 count_x(1: string text (ferry.view))
}

// A service the server does not serve: its calls are unknown methods there.
service Other {
  i32 missing(1: i32 x)
}
