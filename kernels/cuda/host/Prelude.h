//===- Prelude.h - CUDA's device vocabulary as host C++ ---------*- C++ -*-===//
//
// What the kernels of kernels/cuda use of CUDA, for compiling them as host
// C++ in the emulator: qualifiers vanish (__shared__ becomes static: one
// block runs at a time), thread and block indices come from the running
// fiber, barriers and shuffles go to the emulator's scheduler, bit casts
// and math to the C library.
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CUDA_HOST_PRELUDE_H
#define KERNELS_CUDA_HOST_PRELUDE_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace gemma::cuda::host::rt {
struct Dim3 {
  unsigned x = 0, y = 0, z = 0;
};
const Dim3 &ThreadIdx();
const Dim3 &BlockIdx();
const Dim3 &GridDim();
void SyncThreads();
uint32_t ShuffleXor(uint32_t bits, int lane_mask);
} // namespace gemma::cuda::host::rt

#define __device__
#define __global__
#define __forceinline__ inline
#define __shared__ static
#define threadIdx (::gemma::cuda::host::rt::ThreadIdx())
#define blockIdx (::gemma::cuda::host::rt::BlockIdx())
#define gridDim (::gemma::cuda::host::rt::GridDim())

struct float4 {
  float x, y, z, w;
};
struct uint4 {
  unsigned x, y, z, w;
};
struct uint2 {
  unsigned x, y;
};

inline void __syncthreads() { ::gemma::cuda::host::rt::SyncThreads(); }

template <typename To, typename From> inline To HostBitCast(From v) {
  static_assert(sizeof(To) == sizeof(From));
  To out;
  std::memcpy(&out, &v, sizeof(out));
  return out;
}
inline float __int_as_float(int v) { return HostBitCast<float>(v); }
inline float __uint_as_float(unsigned v) { return HostBitCast<float>(v); }
inline int __float_as_int(float v) { return HostBitCast<int>(v); }
inline unsigned __float_as_uint(float v) { return HostBitCast<unsigned>(v); }

inline float __shfl_xor_sync(unsigned, float v, int m) {
  return __uint_as_float(
      ::gemma::cuda::host::rt::ShuffleXor(__float_as_uint(v), m));
}
inline int __shfl_xor_sync(unsigned, int v, int m) {
  return int(::gemma::cuda::host::rt::ShuffleXor(unsigned(v), m));
}

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }

#endif // KERNELS_CUDA_HOST_PRELUDE_H
