//===- CudaBackend.h - Plan programs on an NVIDIA GPU -----------*- C++ -*-===//
//
// The Backend interface on a CUDA GPU: kernels/cuda compiled by NVRTC per
// bucket program with its shapes as constants (cubins cached in memory and
// on disk), weights uploaded once as stored and decoded in the kernels, a
// sequence's KV caches in one allocation, each program's launches captured
// once per cache set into a CUDA graph and replayed per run; greedy and
// top-k choose on the device and copy back only the chosen ids.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_CUDABACKEND_H
#define RUNTIME_CUDA_CUDABACKEND_H

#include "runtime/Backend.h"

#include <memory>

namespace gemma::cuda {

// GPU `device` of --print-backend's list; one line when there is no driver,
// no such GPU or no NVRTC. GEMMA_CUDA_GRAPH=0 launches kernel by kernel.
absl::StatusOr<std::unique_ptr<Backend>> CreateCudaBackend(int device);

// The same backend on the kernel emulator (`--device cuda-sim`): the CUDA
// kernels run on the CPU, for testing without a GPU.
std::unique_ptr<Backend> CreateCudaSimBackend();

// Their entries in the backend registry.
BackendRegistration CudaRegistration();
BackendRegistration CudaSimRegistration();

} // namespace gemma::cuda

#endif // RUNTIME_CUDA_CUDABACKEND_H
