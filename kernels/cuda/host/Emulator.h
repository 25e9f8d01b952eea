//===- Emulator.h - CUDA kernels run on the CPU -----------------*- C++ -*-===//
//
// The kernels of kernels/cuda compiled as host C++ and run one block at a
// time, each CUDA thread a fiber: __syncthreads and the warp shuffles are
// barriers among the block's (or warp's) fibers, __shared__ arrays are
// static (one block runs at a time). Slow, exact in its semantics where our
// kernels rely on them, and what lets the CUDA backend be tested without a
// GPU (`--device cuda-sim`). A kernel that waits on a barrier some of its
// threads never reach fails with a deadlock error instead of hanging.
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CUDA_HOST_EMULATOR_H
#define KERNELS_CUDA_HOST_EMULATOR_H

#include "kernels/cuda/Kernels.h"
#include "kernels/cuda/args.cuh"

#include "absl/status/status.h"

namespace gemma::cuda::host {

// Runs `shape`'s kernel over `blocks` blocks (linear; the kernels fold y
// into their block index as on a GPU: x = min(blocks, 65535)) of
// shape.block threads.
absl::Status Launch(const KernelShape &shape, uint32_t blocks,
                    const gk::KernelArgs &args);

// Runs `body` (host C++ in the prelude's CUDA vocabulary) over `blocks`
// blocks of `threads` threads (a multiple of 32, at most kMaxBlock): what
// Launch does with a kernel body; the emulator's own tests call it.
absl::Status LaunchBody(void (*body)(const gk::KernelArgs &), int threads,
                        uint32_t blocks, const gk::KernelArgs &args);

} // namespace gemma::cuda::host

#endif // KERNELS_CUDA_HOST_EMULATOR_H
