/** Exercises every construct the oracle compares with Apache's parser. */
include "oracle_base.thrift"

cpp_include "<unordered_map>"
namespace cpp ferry.oracle
namespace * oracle.all
namespace xsd test (uri = 'http://thrift.apache.org/test')

typedef oracle_base.When Stamp
typedef list<oracle_base.Point> Path
typedef map<string, list<set<Path>>> Atlas (cpp.template = "std::unordered_map")
typedef binary Blob

enum Level {
  LOW = 1 (label = "low"),
  MID,
  HIGH = 10;
} (weekday.like)

/** A struct with every base type and requiredness. */
struct AllKinds {
  /** The flag. */
  1: bool flag = true;
  2: byte small = -128,
  3: i8 tiny = 0x7f
  4: i16 medium = -32768;
  5: required i32 normal = 2147483647
  6: optional i64 large = -9223372036854775808
  7: double real = 1.5e3
  8: string text = "it's \"quoted\""
  9: binary raw = 'bytes'
  10: Level level = Level.MID
  11: oracle_base.Color color = oracle_base.Color.BLUE
  12: Stamp stamp = 0
  13: Blob blob
  14: required list<i32> ints = [1, 2; 3]
  15: optional set<string> names = ["a", "b"]
  16: map<string, i64> counts = {"x": 1; "y": 2}
  17: list<map<string, list<oracle_base.Point>>> nested
  18: map<Level, set<list<double>>> by_level
  19: Atlas atlas
  20: oracle_base.Point & ref_point
  21: list<i16> (cpp.template = "std::deque") annotated_list ( note = "x", flag )
}

union Choice {
  1: string as_text
  2: i32 as_number
  3: AllKinds as_struct
}

exception NotFound {
  1: string what = "missing";
  2: Level level;
} (message = "what")

exception Overloaded {
  1: i32 retry_after_ms
}

struct Recursive {
  1: list<Recursive> children
  2: optional Recursive & parent
}

const list<oracle_base.Point> CORNERS = [{"x": 0, "y": 0}, {"x": 1, "y": oracle_base.BASE_LIMIT}]
const map<string, list<i32>> TABLE = {"evens": [2, 4], "odds": [1; 3;];}
const set<Level> LEVELS = [Level.LOW, Level.HIGH]
const AllKinds DEFAULTS = {"normal": 7, "ints": [], "level": Level.HIGH, "text": "d"}
const double PI = 3.14159
const i64 BIG = oracle_base.BASE_LIMIT
const string GREETING = 'hello'
const oracle_base.Color SECOND = oracle_base.Color.RED

/** The service under test. */
service Everything extends oracle_base.BaseService {
  /** Echoes its argument. */
  AllKinds echo(1: AllKinds value) throws (1: NotFound not_found, 2: Overloaded overloaded),
  oneway void notify(1: string message; 2: Level level);
  map<string, Path> routes(1: required Stamp since, 2: optional i32 limit = 10) (idempotent = "true")
  void nothing()
  Choice choose(1: Choice choice) throws (1: oracle_base.BaseError base_error)
  list<Atlas> atlases()
} (service.annotation = "yes")

service Derived extends Everything {
  i32 count()
}
