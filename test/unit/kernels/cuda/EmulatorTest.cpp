//===- EmulatorTest.cpp - The CUDA kernel emulator's semantics ------------===//
//
// What the kernels of kernels/cuda rely on, as the emulator provides it:
// __syncthreads orders shared-memory writes before reads across the block,
// warp shuffles exchange lanes, threads that return count as arrived, and a
// barrier that cannot open is reported instead of hanging.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/host/Emulator.h"
#include "kernels/cuda/host/Prelude.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace gemma::cuda::host {
namespace {

float *Out(const gk::KernelArgs &a) {
  return reinterpret_cast<float *>(a.op[0]);
}
const float *In(const gk::KernelArgs &a) {
  return reinterpret_cast<const float *>(a.op[1]);
}

// A tree reduction through shared memory: every step needs the previous
// step's writes from other threads.
void BlockSum(const gk::KernelArgs &a) {
  __shared__ float partial[256];
  const unsigned t = threadIdx.x;
  partial[t] = In(a)[blockIdx.x * 256 + t];
  __syncthreads();
  for (unsigned s = 128; s > 0; s >>= 1) {
    if (t < s)
      partial[t] += partial[t + s];
    __syncthreads();
  }
  if (t == 0)
    Out(a)[blockIdx.x] = partial[0];
}

// A butterfly over the warp: every lane ends with the warp's sum.
void WarpSum(const gk::KernelArgs &a) {
  float v = In(a)[threadIdx.x];
  for (int m = 16; m > 0; m >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, m);
  Out(a)[threadIdx.x] = v;
}

// Threads past 100 return before the barrier the others wait on.
void EarlyExit(const gk::KernelArgs &a) {
  __shared__ float value;
  if (threadIdx.x >= 100)
    return;
  if (threadIdx.x == 0)
    value = 7.0f;
  __syncthreads();
  Out(a)[threadIdx.x] = value;
}

// Half of warp 0 waits on the block, the other half on a shuffle with it.
void Deadlock(const gk::KernelArgs &) {
  if (threadIdx.x >= 32)
    return;
  if (threadIdx.x < 16)
    __syncthreads();
  else
    (void)__shfl_xor_sync(0xffffffffu, 1.0f, 1);
}

gk::KernelArgs Args(std::vector<float> &out, const std::vector<float> &in) {
  gk::KernelArgs a{};
  a.op[0] = reinterpret_cast<unsigned long long>(out.data());
  a.op[1] = reinterpret_cast<unsigned long long>(in.data());
  return a;
}

TEST(Emulator, SharedMemoryReductionsSeeEveryThreadsWrites) {
  std::vector<float> in(3 * 256), out(3);
  std::iota(in.begin(), in.end(), 1.0f);
  ASSERT_TRUE(LaunchBody(&BlockSum, 256, 3, Args(out, in)).ok());
  for (int b = 0; b < 3; ++b) {
    double want = 0;
    for (int i = 0; i < 256; ++i)
      want += in[size_t(b * 256 + i)];
    EXPECT_EQ(out[size_t(b)], float(want)) << "block " << b;
  }
}

TEST(Emulator, ShufflesExchangeLanesWithinEachWarp) {
  std::vector<float> in(64), out(64);
  std::iota(in.begin(), in.end(), 0.0f);
  ASSERT_TRUE(LaunchBody(&WarpSum, 64, 1, Args(out, in)).ok());
  for (int t = 0; t < 64; ++t)
    EXPECT_EQ(out[size_t(t)], t < 32 ? 496.0f : 1520.0f) << "thread " << t;
}

TEST(Emulator, ThreadsThatReturnCountAsArrived) {
  std::vector<float> in(1), out(128, -1.0f);
  ASSERT_TRUE(LaunchBody(&EarlyExit, 128, 1, Args(out, in)).ok());
  for (int t = 0; t < 128; ++t)
    EXPECT_EQ(out[size_t(t)], t < 100 ? 7.0f : -1.0f) << "thread " << t;
}

TEST(Emulator, ABarrierThatCannotOpenIsAnErrorNotAHang) {
  std::vector<float> in(1), out(1);
  absl::Status s = LaunchBody(&Deadlock, 64, 2, Args(out, in));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("deadlocked in block (0, 0)"), std::string::npos)
      << s;
  // The emulator is usable again afterwards.
  std::vector<float> in2(64, 1.0f), out2(64);
  ASSERT_TRUE(LaunchBody(&WarpSum, 64, 1, Args(out2, in2)).ok());
  EXPECT_EQ(out2[0], 32.0f);
}

TEST(Emulator, BlocksOfNoWholeWarpAreRefused) {
  std::vector<float> in(1), out(1);
  EXPECT_FALSE(LaunchBody(&WarpSum, 48, 1, Args(out, in)).ok());
  EXPECT_FALSE(LaunchBody(&WarpSum, 512, 1, Args(out, in)).ok());
}

} // namespace
} // namespace gemma::cuda::host
