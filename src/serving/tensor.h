#pragma once
// Tensors as the Open Inference Protocol v2 types them: a name, a datatype ("FP32", "INT64",
// ...), a shape and the elements, kept as the bytes of that datatype in row-major order.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace mlkube::serving {

enum class DataType { kBool, kInt8, kInt16, kInt32, kInt64, kUint8, kFp32, kFp64 };

// "FP32" -> kFp32; false for a name the server does not serve (BYTES, FP16, BF16, ...).
bool ParseDataType(const std::string& name, DataType* out);
const char* DataTypeName(DataType t);
size_t ElementSize(DataType t);

struct Tensor {
  std::string name;
  DataType datatype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::vector<std::byte> data;  // ElementCount() * ElementSize(datatype) bytes

  int64_t ElementCount() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  template <typename T>
  const T* As() const { return reinterpret_cast<const T*>(data.data()); }
  template <typename T>
  T* As() { return reinterpret_cast<T*>(data.data()); }
  // A tensor of `shape` holding `values` (of the C++ type of `datatype`).
  template <typename T>
  static Tensor Of(std::string name, DataType datatype, std::vector<int64_t> shape, const std::vector<T>& values) {
    Tensor t{std::move(name), datatype, std::move(shape), std::vector<std::byte>(values.size() * sizeof(T))};
    std::memcpy(t.data.data(), values.data(), t.data.size());
    return t;
  }
};

}  // namespace mlkube::serving
