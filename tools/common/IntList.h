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

} // namespace gemma

#endif // TOOLS_COMMON_INTLIST_H
