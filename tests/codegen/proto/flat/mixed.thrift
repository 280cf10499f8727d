// A Thrift file in the same ferry_idl_library as .proto files.
namespace cpp fixture.mixed

struct Point {
  1: i32 x
  2: i32 y
}
