#pragma once

// `idlgen --dump-json`: a JSON summary of one resolved Program, for
// debugging and for comparing idlgen's front end with Apache's
// (`thrift --gen json`, see tests/codegen/thrift_oracle_test.py).
//
// Shape (keys in this order; definitions in IDL order):
//   {"name": "ThriftTest", "path": "…", "includes": ["shared"],
//    "namespaces": {"cpp": "thrift.test"},
//    "typedefs": [{"name", "type", "wire_type"}],
//    "enums": [{"name", "values": [{"name", "value"}]}],
//    "structs": [{"name", "kind": "struct"|"union"|"exception",
//                 "fields": [FIELD]}],
//    "services": [{"name", "extends", "functions": [{"name", "oneway",
//                  "return_type", "return_wire_type", "args": [FIELD],
//                  "throws": [FIELD]}]}]}
//   FIELD = {"id", "name", "requiredness": "required"|"optional"|"default",
//            "type", "wire_type"}
// `type` is the type as written (`list<UserId>`, see type_name); `wire_type`
// is what it is on the wire: typedefs expanded, enums as `i32`, and structs
// from other files prefixed with the file's name (`shared.Foo`), the form
// Apache's JSON generator uses.

#include <string>

#include "codegen/ast.h"

namespace ferry::idlgen {

// Requires a Program that sema resolved without errors.
std::string dump_json(const Program& program);

// The wire form of `type` as seen from `context`; see above.
std::string wire_type_name(const TypeRef& type, const Program& context);

}  // namespace ferry::idlgen
