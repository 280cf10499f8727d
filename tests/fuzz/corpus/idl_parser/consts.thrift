include "other.thrift"
const list<i32> L = [1, 2; 3]
const map<string, list<double>> M = {"a": [1.5e3, -2], 'b': []}
const other.Numberz N = other.Numberz.TWO
const i64 X = other.LIMIT
const bool T = true
const S C = {"a": 1}
struct S { 1: i32 a }
