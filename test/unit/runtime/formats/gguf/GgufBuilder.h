//===- GgufBuilder.h - GGUF files written byte by byte for tests -*- C++
//-*-===//
//
// Tests build GGUF files here rather than ship binary fixtures: each test
// says exactly which bytes it feeds the reader, damaged ones included.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_RUNTIME_FORMATS_GGUF_GGUFBUILDER_H
#define TEST_UNIT_RUNTIME_FORMATS_GGUF_GGUFBUILDER_H

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace gemma::testing {

class GgufBuilder {
public:
  explicit GgufBuilder(uint32_t version = 3, uint32_t alignment = 32)
      : version_(version), alignment_(alignment) {}

  template <typename T> static void Put(std::vector<uint8_t> &out, T value) {
    const size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &value, sizeof(T));
  }
  static void PutString(std::vector<uint8_t> &out, std::string_view s) {
    Put<uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
  }

  // A key with its type id and the value's raw bytes (see the helpers).
  void Raw(std::string_view key, uint32_t type,
           const std::vector<uint8_t> &value) {
    PutString(kv_, key);
    Put<uint32_t>(kv_, type);
    kv_.insert(kv_.end(), value.begin(), value.end());
    ++kv_count_;
  }
  void U32(std::string_view key, uint32_t v) { Raw(key, 4, Bytes(v)); }
  void F32(std::string_view key, float v) { Raw(key, 6, Bytes(v)); }
  void Bool(std::string_view key, bool v) { Raw(key, 7, Bytes(uint8_t(v))); }
  void String(std::string_view key, std::string_view v) {
    std::vector<uint8_t> b;
    PutString(b, v);
    Raw(key, 8, b);
  }
  template <typename T>
  void Array(std::string_view key, uint32_t element, const std::vector<T> &v) {
    std::vector<uint8_t> b;
    Put<uint32_t>(b, element);
    Put<uint64_t>(b, v.size());
    for (const T &x : v)
      Put<T>(b, x);
    Raw(key, 9, b);
  }
  void StringArray(std::string_view key, const std::vector<std::string> &v) {
    std::vector<uint8_t> b;
    Put<uint32_t>(b, 8);
    Put<uint64_t>(b, v.size());
    for (const std::string &s : v)
      PutString(b, s);
    Raw(key, 9, b);
  }

  // A tensor of GGML type `type`, shape `ne` (ne[0] contiguous), data bytes
  // placed at the next aligned offset.
  void Tensor(std::string_view name, std::vector<uint64_t> ne, uint32_t type,
              const std::vector<uint8_t> &data) {
    PutString(infos_, name);
    Put<uint32_t>(infos_, uint32_t(ne.size()));
    for (uint64_t d : ne)
      Put<uint64_t>(infos_, d);
    Put<uint32_t>(infos_, type);
    while (data_.size() % alignment_ != 0)
      data_.push_back(0);
    Put<uint64_t>(infos_, data_.size());
    data_.insert(data_.end(), data.begin(), data.end());
    ++tensor_count_;
  }
  void TensorF32(std::string_view name, std::vector<uint64_t> ne,
                 const std::vector<float> &values) {
    std::vector<uint8_t> b(values.size() * 4);
    std::memcpy(b.data(), values.data(), b.size());
    Tensor(name, std::move(ne), 0, b);
  }

  std::vector<uint8_t> Build() const {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F'};
    Put<uint32_t>(out, version_);
    Put<uint64_t>(out, tensor_count_);
    Put<uint64_t>(out, kv_count_);
    out.insert(out.end(), kv_.begin(), kv_.end());
    out.insert(out.end(), infos_.begin(), infos_.end());
    while (out.size() % alignment_ != 0)
      out.push_back(0);
    out.insert(out.end(), data_.begin(), data_.end());
    return out;
  }

  template <typename T> static std::vector<uint8_t> Bytes(T v) {
    std::vector<uint8_t> b;
    Put<T>(b, v);
    return b;
  }

private:
  uint32_t version_, alignment_;
  uint64_t kv_count_ = 0, tensor_count_ = 0;
  std::vector<uint8_t> kv_, infos_, data_;
};

} // namespace gemma::testing

#endif // TEST_UNIT_RUNTIME_FORMATS_GGUF_GGUFBUILDER_H
