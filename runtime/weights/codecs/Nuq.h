//===- Nuq.h - gemma.cpp's non-uniform quantization (4.5 bits) -*- C++ -*-===//
//
// docs/formats/sbs.md section 5.5 (the "interleaved" layout read by gemma.cpp
// since 2025-01-31). Groups of 256 flat values; group g starts at byte 144 * g
// with its 16 SFP-encoded cluster centers (ascending, unused ones first as 0),
// then 128 bytes of 4-bit indices (even j in the low nibble).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_CODECS_NUQ_H
#define RUNTIME_FORMATS_CODECS_NUQ_H

#include <cstdint>
#include <span>

namespace gemma {

constexpr uint64_t kNuqGroupSize = 256;
constexpr uint64_t kNuqClusters = 16;
constexpr uint64_t kNuqGroupBytes = kNuqClusters + kNuqGroupSize / 2;

// Encodes `values` (|x| <= 1.875) into out (PackedBytes(kNUQ, n) bytes):
// per group, an exact 1-D k-means (L2) into up to 16 contiguous clusters of
// the sorted values, centers = cluster means; a partial last group is padded
// with its own maximum first. Groups are independent, so a tensor encoded in
// chunks whose sizes (all but the last) are multiples of 256 gives the same
// bytes as one call.
void NuqEncode(std::span<const float> values, std::span<uint8_t> out);

// Decodes flat value `i` of a packed NUQ tensor (without the tensor scale).
float NuqDecode(const uint8_t *packed, uint64_t i);

} // namespace gemma

#endif // RUNTIME_FORMATS_CODECS_NUQ_H
