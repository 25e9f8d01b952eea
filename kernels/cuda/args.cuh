// The one parameter of every CUDA kernel (kernels/cuda), passed by value.
// Plain C++ on purpose: the runtime includes this file to fill it, and the
// kernel source NVRTC compiles begins with it, so both sides agree on the
// layout. Every pointer is a device address, already moved to the call's
// element (operands) or tensor (weight).
#ifndef GEMMA_KERNELS_CUDA_ARGS
#define GEMMA_KERNELS_CUDA_ARGS
namespace gk {
struct KernelArgs {
  unsigned long long op[6];     // f32 operands, in the order each kernel says
  unsigned long long ids;       // int32 token ids of the program's rows
  unsigned long long positions; // int32 positions of the rows
  unsigned long long weight;    // the call's weight tensor as stored
  unsigned long long weight2;   // a second one, of the same type (GeGLU's up)
  unsigned long long lut;       // 256 f32: the SFP code table
  unsigned long long params;    // f32 per-program parameters (RoPE tables)
  float wscale;  // the weight tensor's scale (docs/formats/sbs.md 5.7)
  float wscale2; // weight2's
};
} // namespace gk
#endif
