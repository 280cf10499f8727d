// Types the codec fuzz targets decode into: every field kind Thrift has
// (all base types, uuid, enums, every container, nesting, optional and
// required fields, a union, recursion through a list, zero-copy views), so
// one input exercises every reader path and the generated code around it.
namespace cpp ferry.fuzz

enum Color {
  RED = 1,
  GREEN = 2,
}

struct Leaf {
  1: string s,
  2: optional i32 i,
}

union Choice {
  1: i64 number,
  2: string text,
  3: Leaf leaf,
}

struct Tree {
  1: i32 value,
  2: list<Tree> children,
}

struct Everything {
  1: bool b,
  2: byte y,
  3: i16 s16,
  4: i32 s32,
  5: i64 s64,
  6: double d,
  7: string str,
  8: binary bin,
  10: Color color,
  11: list<i32> ints,
  12: set<string> names,
  13: map<string, Leaf> leaves,
  14: list<list<Leaf>> nested,
  15: map<i32, set<i64>> groups,
  16: optional Leaf maybe,
  17: required string must,
  18: Choice choice,
  19: list<bool> flags,
  20: list<double> ds,
  21: Tree tree,
  22: map<Color, list<binary>> blobs,
  // Zero-copy fields: views into the input, or into the reader's copy of a
  // value that straddles chunks of a chained input.
  23: string label (ferry.view),
  24: list<string (ferry.view)> view_list,
  25: map<string (ferry.view), binary (ferry.view)> view_map,
}

// uuid lives apart: the differential target decodes with Apache Thrift 0.17,
// which predates the type.
struct WithUuid {
  1: uuid id,
  2: Everything rest,
  3: set<uuid> ids,
}
