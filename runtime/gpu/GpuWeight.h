//===- GpuWeight.h - A weight as the GPU kernels read it --------*- C++ -*-===//
//
// What every GPU backend keeps of a model weight besides where its bytes
// are: its stored type and the kernels' number for it (the same WTYPE in
// kernels/vulkan/common.glsl and kernels/cuda/decode.cuh), shape, scale,
// and the bytes of a scalar (read on the host).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_GPU_GPUWEIGHT_H
#define RUNTIME_GPU_GPUWEIGHT_H

#include "runtime/Backend.h"
#include "runtime/plan/LowerCalls.h"
#include "runtime/weights/codecs/Decode.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace gemma::gpu {

struct GpuWeight {
  StoredType type = StoredType::kUnknown;
  int64_t rows = 0, cols = 0;
  float scale = 1.0f;
  int32_t wtype = 0;                // the kernels' WTYPE
  std::vector<uint8_t> host_scalar; // the bytes of a [1, 1] tensor
};

// The kernels' WTYPE of a stored type: 0 f32, 1 bf16, 2 sfp, 3 nuq, 4 i8,
// 5 f16, 6 q4_0, 7 q4_1, 8 q5_0, 9 q5_1, 10 q8_0, 11 q2_k, 12 q3_k, 13 q4_k,
// 14 q5_k, 15 q6_k; -1 for a type they cannot read.
inline int32_t KernelWeightType(StoredType type) {
  switch (type) {
  case StoredType::kF32:
    return 0;
  case StoredType::kBF16:
    return 1;
  case StoredType::kSFP:
    return 2;
  case StoredType::kNUQ:
    return 3;
  case StoredType::kI8:
    return 4;
  case StoredType::kF16:
    return 5;
  case StoredType::kQ4_0:
    return 6;
  case StoredType::kQ4_1:
    return 7;
  case StoredType::kQ5_0:
    return 8;
  case StoredType::kQ5_1:
    return 9;
  case StoredType::kQ8_0:
    return 10;
  case StoredType::kQ2_K:
    return 11;
  case StoredType::kQ3_K:
    return 12;
  case StoredType::kQ4_K:
    return 13;
  case StoredType::kQ5_K:
    return 14;
  case StoredType::kQ6_K:
    return 15;
  default:
    return -1;
  }
}

// Weight `name` as `backend`'s kernels read it; refuses, naming both, a
// type they cannot decode.
inline absl::StatusOr<GpuWeight>
WeightOf(const std::string &name, const StoredTensor &t, const char *backend) {
  GpuWeight w;
  w.wtype = KernelWeightType(t.type);
  if (w.wtype < 0)
    return absl::UnimplementedError(
        fmt::format("weight '{}': {} weights cannot be read by the {} backend",
                    name, StoredTypeName(t.type), backend));
  w.type = t.type;
  w.rows = t.rows;
  w.cols = t.cols;
  w.scale = t.scale;
  if (t.rows * t.cols == 1)
    w.host_scalar.assign(t.bytes.begin(), t.bytes.end());
  return w;
}

// A matmul's shape constants as both GPU kernels read them: n, in, out,
// heads, the count of row ranges, four [begin, end) pairs (kGpuCaps
// allows no more), then 0 for y's row stride (0: OUT).
inline std::vector<int64_t> MatmulInts(const lower::MatmulShape &s) {
  std::vector<int64_t> ints = {s.n, s.in, s.out, s.heads,
                               int64_t(s.rows.size())};
  for (size_t r = 0; r < 4; ++r) {
    ints.push_back(r < s.rows.size() ? s.rows[r].begin : 0);
    ints.push_back(r < s.rows.size() ? s.rows[r].end : 0);
  }
  ints.push_back(0);
  return ints;
}

// The value of a [1, 1] weight (its bytes kept on the host), scale applied.
inline float ScalarOf(const GpuWeight &w) {
  float value = 0.0f;
  DecodeRange(w.type, w.host_scalar.data(), 0, 1, &value);
  return value * w.scale;
}

} // namespace gemma::gpu

#endif // RUNTIME_GPU_GPUWEIGHT_H
