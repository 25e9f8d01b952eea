//===- StoredType.h - How a tensor's elements are stored -------*- C++ -*-===//

#ifndef RUNTIME_FORMATS_STOREDTYPE_H
#define RUNTIME_FORMATS_STOREDTYPE_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace gemma {

// gemma.cpp's `Type` enum (docs/formats/sbs.md section 4.5). The numeric values
// are serialized in `.sbs` files: never renumber.
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
  // llama.cpp's GGML types, as GGUF files store them: 100 + the GGML type
  // id, clear of gemma.cpp's range. GGUF's F32 and BF16 are kF32 and kBF16.
  kF16 = 101,
  kQ4_0 = 102,
  kQ4_1 = 103,
  kQ5_0 = 106,
  kQ5_1 = 107,
  kQ8_0 = 108,
  kQ2_K = 110,
  kQ3_K = 111,
  kQ4_K = 112,
  kQ5_K = 113,
  kQ6_K = 114,
};

// True for the values a file may carry (< 9).
bool IsValidStoredType(uint32_t value);

// "f32", "bf16", "sfp", "nuq", "f64", "u32", "u64", "i8", the GGML names
// in lower case ("f16", "q4_0", ..., "q6_k"), or "unknown".
std::string_view StoredTypeName(StoredType type);

// The inverse of StoredTypeName for the weight types we encode
// (f32, bf16, sfp, nuq, i8); nullopt for anything else.
std::optional<StoredType> ParseWeightType(std::string_view name);

// True for the types a weight may use: f32, bf16, sfp, nuq, i8 and the
// GGML types.
bool IsWeightType(StoredType type);

// GGML types store blocks of `BlockElements` values in `BlockBytes` bytes
// (32 or 256 values); every other type is 1 value per block. A row of a
// block type must be a whole number of blocks.
bool IsGgmlType(StoredType type);
uint32_t BlockElements(StoredType type);
uint32_t BlockBytes(StoredType type);

// What a GGML type id means, for every id ggml defines (decodable or not):
// its name and block geometry; null for an id ggml does not define.
struct GgmlTypeInfo {
  const char *name;
  uint32_t block_elements;
  uint32_t block_bytes;
};
const GgmlTypeInfo *GgmlTypeOf(uint32_t id);

// The type of GGML type id `ggml` (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, Q2_K..Q6_K); nullopt for the others.
std::optional<StoredType> FromGgmlType(uint32_t ggml);

// Bits per element as gemma.cpp counts them when it picks a file's weight
// type (the smallest-bit type of the toc): f32 32, bf16 16, sfp 8, nuq 4, i8 8.
int StoredTypeBits(StoredType type);

// Bytes of one element for MatPtr::element_bytes: ceil(bits / 8).
uint32_t ElementBytes(StoredType type);

// Bytes of a packed tensor of `n` elements (docs/formats/sbs.md section 5.1),
// which is also MatPtr::num_elements * element_bytes; for GGML types whole
// blocks
// (`n` a multiple of the block). 0 for non-weight types.
uint64_t PackedBytes(StoredType type, uint64_t n);

} // namespace gemma

#endif // RUNTIME_FORMATS_STOREDTYPE_H
