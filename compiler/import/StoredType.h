//===- StoredType.h - How a tensor's elements are stored -------*- C++ -*-===//

#ifndef COMPILER_IMPORT_STOREDTYPE_H
#define COMPILER_IMPORT_STOREDTYPE_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace gemma {

// gemma.cpp's `Type` enum (SBS.md section 4.5). The numeric values are
// serialized in `.sbs` files: never renumber.
enum class StoredType : uint32_t {
  kUnknown = 0,
  kF32 = 1,
  kBF16 = 2,
  kSFP = 3,
  kNUQ = 4,
  kF64 = 5,
  kU32 = 6,
  kU64 = 7,
  kI8 = 8,
};

// True for the values a file may carry (< 9).
bool IsValidStoredType(uint32_t value);

// "f32", "bf16", "sfp", "nuq", "f64", "u32", "u64", "i8", or "unknown".
std::string_view StoredTypeName(StoredType type);

// The inverse of StoredTypeName for the weight types we encode
// (f32, bf16, sfp, nuq, i8); nullopt for anything else.
std::optional<StoredType> ParseWeightType(std::string_view name);

// True for the types a weight may use: f32, bf16, sfp, nuq, i8.
bool IsWeightType(StoredType type);

// Bits per element as gemma.cpp counts them when it picks a file's weight
// type (the smallest-bit type of the toc): f32 32, bf16 16, sfp 8, nuq 4, i8 8.
int StoredTypeBits(StoredType type);

// Bytes of one element for MatPtr::element_bytes: ceil(bits / 8).
uint32_t ElementBytes(StoredType type);

// Bytes of a packed tensor of `n` elements (SBS.md section 5.1), which is
// also MatPtr::num_elements * element_bytes. 0 for non-weight types.
uint64_t PackedBytes(StoredType type, uint64_t n);

} // namespace gemma

#endif // COMPILER_IMPORT_STOREDTYPE_H
