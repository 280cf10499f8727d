/**
 * Definitions other oracle files include: a base service, shared types,
 * and constants referenced across files.
 */
namespace cpp ferry.oracle.base
namespace py.twisted oracle.base

typedef i64 Timestamp
typedef Timestamp When  // a typedef of a typedef

enum Color {
  RED,        // 0
  GREEN = 5,
  BLUE,       // 6
  ALPHA = 0x10;
  BETA;       // 17
  NEGATIVE = -3,
  AFTER_NEGATIVE
}

const i32 BASE_LIMIT = 100
const Color FAVOURITE = Color.GREEN

struct Point {
  1: i32 x;
  2: i32 y;
  3: optional When stamp;
}

exception BaseError {
  1: string message,
  2: i32 code = BASE_LIMIT
}

service BaseService {
  /** Answers with the time. */
  When now(),
  oneway void poke(1: Point where)
  void fail() throws (1: BaseError error)
}
