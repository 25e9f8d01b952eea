//===- IntList.h - Comma-separated integers on command lines ----*- C++ -*-===//

#ifndef TOOLS_COMMON_INTLIST_H
#define TOOLS_COMMON_INTLIST_H

#include "absl/status/statusor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gemma {

// "32,128" -> {32, 128}; "" -> {}. Fails naming `flag` and the bad item.
absl::StatusOr<std::vector<int64_t>> ParseIntList(const std::string &text,
                                                  const char *flag);

// Token ids separated by commas or whitespace, each in 0..vocab-1; fails
// with "--<flag>: 'X' is not a token id in 0..V" (or "no ids").
absl::StatusOr<std::vector<int32_t>>
ParseTokenIds(const std::string &text, uint32_t vocab, const char *flag);

// "2754 2455 3155": ids on one line, space-separated.
std::string FormatIds(const std::vector<int32_t> &ids);

} // namespace gemma

#endif // TOOLS_COMMON_INTLIST_H
