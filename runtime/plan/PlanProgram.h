//===- PlanProgram.h - A bucket function as kernel calls --------*- C++ -*-===//
//
// What the compiler hands the runtime for one bucket function: an ordered
// list of kernel calls with static parameters, over the function's
// arguments and one arena whose offsets were fixed by liveness. Plain data,
// no MLIR: the runtime executes it, and the `.plan` file will store it.
//
// Each call's operand lists have a fixed layout per kernel: `buffers`
// (f32 or i32 ranges), `weights` (stored tensor names; "" for an absent
// optional weight), `ints` (shapes, row ranges as a count then [begin,
// end) pairs, flags) and `reals` (scales, epsilons, RoPE parameters). One
// row of KernelParams.h defines each kernel's, with a parameter struct
// that names the ints and reals; ValidateCall checks it.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_PLAN_PLANPROGRAM_H
#define RUNTIME_PLAN_PLANPROGRAM_H

#include "runtime/plan/KernelList.h"

#include "absl/status/status.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gemma::plan {

// The plan kernels (KernelList.h), as an enum.
enum class Kernel : uint32_t {
#define GEMMA_PLAN_KERNEL_ENUM(value, Name, mnemonic) k##Name = value,
  GEMMA_PLAN_KERNELS(GEMMA_PLAN_KERNEL_ENUM)
#undef GEMMA_PLAN_KERNEL_ENUM
};
#define GEMMA_PLAN_KERNEL_COUNT(value, Name, mnemonic) +1
inline constexpr uint32_t kKernelCount =
    0 GEMMA_PLAN_KERNELS(GEMMA_PLAN_KERNEL_COUNT);
#undef GEMMA_PLAN_KERNEL_COUNT
const char *KernelName(Kernel kernel);

// A function argument (arg >= 0), or [offset, offset + elements) of the
// arena (in 4-byte elements).
struct Buffer {
  int32_t arg = -1;
  int64_t offset = 0;
  int64_t elements = 0;
  bool operator==(const Buffer &) const = default;
};

struct Call {
  Kernel kernel = Kernel::kEmbed;
  std::vector<Buffer> buffers;
  std::vector<std::string> weights;
  std::vector<int64_t> ints;
  std::vector<double> reals;
  bool operator==(const Call &) const = default;
};

struct Program {
  std::string name;                  // e.g. "decode_1"
  std::vector<int64_t> arg_elements; // per function argument
  int64_t arena_elements = 0;
  std::vector<Call> calls;
  // Per function result: its buffer (a cache argument, or the arena).
  std::vector<Buffer> outputs;
  bool operator==(const Program &) const = default;
};

// Whether buffer `b` of `kernel` holds i32 (token ids or positions)
// rather than f32.
bool IsIndexBuffer(Kernel kernel, size_t b);

// Checks one call against its kernel's layout: operand counts, parameters,
// and that each buffer holds (`available[b]` elements) what the call's
// shapes say it reads or writes. The message does not name the call.
absl::Status ValidateCall(const Call &call, std::span<const int64_t> available);

// Checks what a runtime must not trust blindly: operand counts per kernel,
// buffers inside the arena or naming an argument, and that every buffer
// holds what the call's shapes say it reads or writes. One line naming the
// call on failure.
absl::Status ValidateProgram(const Program &program);

} // namespace gemma::plan

#endif // RUNTIME_PLAN_PLANPROGRAM_H
