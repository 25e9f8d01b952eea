// What every CUDA kernel shares: operand access, reductions, activations.
//
// Kernels are templates over a shape class S whose static members are the
// call's shapes and static parameters (I0..I13, F0..F1), its weight's stored
// type (WTYPE) and its block size (BLOCK). The runtime generates one such
// class per distinct call of a program, with constexpr members, so NVRTC
// compiles every bucket's shapes in as constants (kernels/cuda/Kernels.cpp).
// No headers: NVRTC gets this source alone (after the unary function
// table, kernels/common/ElementwiseFunctions.h), and the host emulator
// (kernels/cuda/host) compiles the same text as C++.
namespace gk {

typedef unsigned long long u64;

__device__ __forceinline__ float *Op(const KernelArgs &a, int k) {
  return reinterpret_cast<float *>(a.op[k]);
}
__device__ __forceinline__ const int *Ids(const KernelArgs &a) {
  return reinterpret_cast<const int *>(a.ids);
}
__device__ __forceinline__ const int *Positions(const KernelArgs &a) {
  return reinterpret_cast<const int *>(a.positions);
}
__device__ __forceinline__ float Inf() { return __int_as_float(0x7f800000); }
__device__ __forceinline__ int Min(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ int Max(int a, int b) { return a > b ? a : b; }

// The linear block index of a 1-D launch folded into y when wider than the
// 65535 blocks y and z allow (x allows 2^31 - 1, but the runtime folds all
// grids alike).
__device__ __forceinline__ unsigned BlockIndex() {
  return blockIdx.x + blockIdx.y * gridDim.x;
}
template <class S> __device__ __forceinline__ unsigned ThreadIndex() {
  return BlockIndex() * unsigned(S::BLOCK) + threadIdx.x;
}

__device__ __forceinline__ float WarpSum(float v) {
  for (int m = 16; m > 0; m >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, m);
  return v;
}
__device__ __forceinline__ float WarpMax(float v) {
  for (int m = 16; m > 0; m >>= 1)
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, m));
  return v;
}

// Sum (or max) over the block's threads, returned to every thread. `scratch`
// holds one value per warp; the trailing barrier lets it be reused.
template <class S>
__device__ __forceinline__ float BlockReduce(float v, bool is_max,
                                             float *scratch) {
  const unsigned warp = threadIdx.x / 32u, lane = threadIdx.x % 32u;
  v = is_max ? WarpMax(v) : WarpSum(v);
  if (lane == 0u)
    scratch[warp] = v;
  __syncthreads();
  float r = scratch[0];
  for (int w = 1; w < S::BLOCK / 32; ++w)
    r = is_max ? fmaxf(r, scratch[w]) : r + scratch[w];
  __syncthreads();
  return r;
}

// The unary function table's rows (kernels/common/ElementwiseFunctions.h, which
// comes before this text) that fused kernels apply.
__device__ __forceinline__ float Gelu(float x) {
  return gemma::ApplyUnary<float>(gemma::UnaryFn::kGeluTanh, x, 0.0f);
}
__device__ __forceinline__ float Softcap(float x, float cap) {
  return gemma::ApplyUnary<float>(gemma::UnaryFn::kSoftcap, x, cap);
}

} // namespace gk
