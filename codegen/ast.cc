#include "codegen/ast.h"

namespace ferry::idlgen {

ConstValue::ConstValue() = default;
ConstValue::ConstValue(const ConstValue&) = default;
ConstValue::ConstValue(ConstValue&&) noexcept = default;
ConstValue& ConstValue::operator=(const ConstValue&) = default;
ConstValue& ConstValue::operator=(ConstValue&&) noexcept = default;
ConstValue::~ConstValue() = default;

const std::string* find_annotation(const Annotations& annotations,
                                   std::string_view key) {
  for (const Annotation& annotation : annotations) {
    if (annotation.key == key) return &annotation.value;
  }
  return nullptr;
}

}  // namespace ferry::idlgen
