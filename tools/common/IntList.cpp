//===- IntList.cpp - Comma-separated integers on command lines ------------===//

#include "tools/common/IntList.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string>

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

absl::StatusOr<std::vector<int32_t>>
ParseTokenIds(const std::string &text, uint32_t vocab, const char *flag) {
  std::vector<int32_t> ids;
  size_t at = 0;
  while ((at = text.find_first_not_of(", \t\n", at)) != std::string::npos) {
    const size_t end = std::min(text.find_first_of(", \t\n", at), text.size());
    int64_t id = -1;
    auto [ptr, error] =
        std::from_chars(text.data() + at, text.data() + end, id);
    if (error != std::errc() || ptr != text.data() + end || id < 0 ||
        id >= int64_t(vocab))
      return absl::InvalidArgumentError(
          fmt::format("--{}: '{}' is not a token id in 0..{}", flag,
                      text.substr(at, end - at), vocab - 1));
    ids.push_back(int32_t(id));
    at = end;
  }
  if (ids.empty())
    return absl::InvalidArgumentError(fmt::format("--{}: no ids", flag));
  return ids;
}

std::string FormatIds(const std::vector<int32_t> &ids) {
  std::string line;
  for (int32_t id : ids) {
    if (!line.empty())
      line += ' ';
    line += std::to_string(id);
  }
  return line;
}

} // namespace gemma
