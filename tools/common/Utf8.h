//===- Utf8.h - Checking text given on command lines ------------*- C++ -*-===//

#ifndef TOOLS_COMMON_UTF8_H
#define TOOLS_COMMON_UTF8_H

#include <cstddef>
#include <optional>
#include <string_view>

namespace gemma {

// The offset of the first byte that is not valid UTF-8, if any.
std::optional<size_t> InvalidUtf8At(std::string_view text);

} // namespace gemma

#endif // TOOLS_COMMON_UTF8_H
