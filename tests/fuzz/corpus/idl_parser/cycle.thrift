include "fuzz.thrift"
struct Cycle {}
