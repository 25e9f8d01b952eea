//===- PlanFuzzer.cpp - Fuzz target: the .plan reader ---------------------===//
//
// Every input must either decode (header, sections, checksum, metadata,
// programs, ValidateProgram) or be refused with a status; a decoded plan's
// programs must then bind or be refused; nothing may crash or read outside
// the input (run under ASan).
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/CpuExecutor.h"
#include "runtime/plan/PlanFile.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  absl::StatusOr<gemma::plan::PlanFile> plan =
      gemma::plan::DecodePlan({data, size}, "fuzz.plan");
  if (!plan.ok())
    return 0;
  // Bind against one small f32 tensor under every name: shapes that do not
  // fit must be refused, never run.
  static std::vector<uint8_t> bytes(64 * 64 * 4, 0);
  for (const gemma::plan::Program &program : plan->programs)
    (void)gemma::cpu::CpuExecutor::Create(
        program,
        [](const std::string &) -> absl::StatusOr<gemma::cpu::WeightView> {
          return gemma::cpu::WeightView{gemma::StoredType::kF32, bytes.data(),
                                        64, 64, 1.0f};
        });
  return 0;
}
