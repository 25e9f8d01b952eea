//===- PlanFile.h - The .plan file ------------------------------*- C++ -*-===//
//
// A compiled model, version 3 (docs/design.md section 5), little-endian:
//
//   header (64 bytes): magic "GEMMAPLN", format version (u32), section
//     count (u32), file size (u64), FNV-1a 64 checksum of the section table,
//     the metadata and the programs (u64), zero padding
//   section table: per section kind (u32), zero (u32), offset (u64),
//     size (u64); sections start 64-byte aligned
//   section 1 "meta": JSON: compiler version, backend, fusions, context,
//     buckets, per-layer cache geometry, the model facts generation needs
//     (name, vocab, bos, eos ids, chat format), the weight file (path
//     relative to the plan, size, fingerprint of its config and tensor
//     table), the cache key
//   section 2 "programs": the plan programs of every bucket (binary)
//   section 3 "weights" (with --embed-weights): the whole `.sbs`, read in
//     place through the mapping
//
// By default weights stay in the `.sbs` (by reference); the reader checks
// its size and fingerprint, which also guard embedded weights. Readers
// refuse any inconsistency with one line.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_PLAN_PLANFILE_H
#define RUNTIME_PLAN_PLANFILE_H

#include "runtime/formats/ModelFile.h"

#include "runtime/formats/sbs/SbsFile.h"
#include "runtime/plan/PlanProgram.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace gemma::plan {

inline constexpr uint32_t kPlanFormatVersion = 3;

struct LayerCacheShape {
  int64_t slots = 0, kv_heads = 0, head_dim = 0;
};

struct PlanMeta {
  std::string compiler_version;
  std::string backend = "cpu";
  std::vector<std::string> fusions;
  uint32_t context = 0;
  std::vector<int64_t> prefill_buckets, decode_buckets;
  std::vector<LayerCacheShape> caches;
  // The model facts generation needs.
  std::string model_name;
  uint32_t vocab_size = 0;
  int32_t bos_id = 2;
  std::vector<int32_t> eos_ids;
  uint32_t chat_format = 0; // ChatFormat
  // The weight file, by reference.
  std::string weights_path; // relative to the plan's folder
  uint64_t weights_size = 0;
  std::string weights_fingerprint;
  bool weights_embedded = false;
  std::string cache_key;
};

struct PlanFile {
  PlanMeta meta;
  std::vector<Program> programs;
  // With embedded weights: the `.sbs` bytes, inside `mapping` when read by
  // ReadPlan (or inside the caller's bytes for DecodePlan).
  std::span<const uint8_t> embedded_weights;
  std::shared_ptr<const void> mapping;
};

// The bytes of a plan, with `weights` (a whole `.sbs`) embedded when not
// empty.
std::vector<uint8_t> EncodePlan(const PlanFile &plan,
                                std::span<const uint8_t> weights = {});

// Parses and checks `bytes` (named `name` in messages): header, sections,
// checksum, metadata, programs (ValidateProgram each).
absl::StatusOr<PlanFile> DecodePlan(std::span<const uint8_t> bytes,
                                    const std::string &name);

// Maps and decodes the file at `path`.
absl::StatusOr<PlanFile> ReadPlan(const std::string &path);

// Called as embedded weights are written: bytes so far, all of them.
using WriteProgress = std::function<void(uint64_t done, uint64_t total)>;

// Writes the plan next to `path` and renames it into place, `weights`
// streamed from where they lie (a mapping) rather than copied.
absl::Status WritePlan(const PlanFile &plan, const std::string &path,
                       std::span<const uint8_t> weights = {},
                       const WriteProgress &progress = nullptr);

} // namespace gemma::plan

#endif // RUNTIME_PLAN_PLANFILE_H
