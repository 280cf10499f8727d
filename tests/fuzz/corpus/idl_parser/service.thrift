include "other.thrift"
namespace cpp fuzz.test
/** A service. */
service Echo extends other.Base {
  string echo(1: string s) throws (1: other.Oops o),
  oneway void note(1: i32 x);
}
