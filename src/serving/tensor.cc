#include "serving/tensor.h"

namespace mlkube::serving {

namespace {

struct Entry {
  DataType type;
  const char* name;
  size_t size;
};
constexpr Entry kTypes[] = {{DataType::kBool, "BOOL", 1},   {DataType::kInt8, "INT8", 1},
                            {DataType::kInt16, "INT16", 2}, {DataType::kInt32, "INT32", 4},
                            {DataType::kInt64, "INT64", 8}, {DataType::kUint8, "UINT8", 1},
                            {DataType::kFp32, "FP32", 4},   {DataType::kFp64, "FP64", 8}};

}  // namespace

bool ParseDataType(const std::string& name, DataType* out) {
  for (const Entry& e : kTypes) {
    if (name == e.name) {
      *out = e.type;
      return true;
    }
  }
  return false;
}

const char* DataTypeName(DataType t) {
  for (const Entry& e : kTypes) {
    if (e.type == t) return e.name;
  }
  return "";
}

size_t ElementSize(DataType t) {
  for (const Entry& e : kTypes) {
    if (e.type == t) return e.size;
  }
  return 0;
}

}  // namespace mlkube::serving
