//===- IntList.cpp - Comma-separated integers on command lines ------------===//

#include "tools/common/IntList.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace gemma {

absl::StatusOr<std::vector<int64_t>> ParseIntList(const std::string &text,
                                                  const char *flag) {
  std::vector<int64_t> values;
  if (text.empty())
    return values;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const char *first = text.data() + at, *last = text.data() + comma;
    int64_t value = 0;
    auto [end, error] = std::from_chars(first, last, value);
    if (error != std::errc() || end != last)
      return absl::InvalidArgumentError(fmt::format(
          "--{}: '{}' is not a number", flag, std::string(first, last)));
    values.push_back(value);
    at = comma + 1;
  }
  return values;
}

} // namespace gemma
