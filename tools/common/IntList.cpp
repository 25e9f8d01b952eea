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
  // Ids are separated by whitespace or by one comma (with whitespace around
  // it or not): "2,,3" and "2,3," have an id missing, which is an error,
  // not a shorter prompt.
  bool comma = false; // a comma since the last id
  for (size_t at = 0; at < text.size();) {
    const char c = text[at];
    if (c == ' ' || c == '\t' || c == '\n') {
      ++at;
      continue;
    }
    if (c == ',') {
      if (ids.empty() || comma)
        return absl::InvalidArgumentError(fmt::format(
            "--{}: an id is missing before the comma at character {}", flag,
            at + 1));
      comma = true;
      ++at;
      continue;
    }
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
    comma = false;
    at = end;
  }
  if (comma)
    return absl::InvalidArgumentError(
        fmt::format("--{}: an id is missing after the last comma", flag));
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
