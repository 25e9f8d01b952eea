//===- Errors.cpp - The one-line error every tool prints ------------------===//

#include "tools/common/Errors.h"

#include <fmt/format.h>

#include <cstdio>

namespace gemma {

std::string EscapeControlBytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const unsigned char b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f)
      out += fmt::format("\\x{:02x}", b);
    else
      out += c;
  }
  return out;
}

int ReportError(const char *tool, std::string_view message) {
  std::fprintf(stderr, "%s: error: %s\n", tool,
               EscapeControlBytes(message).c_str());
  return 1;
}

} // namespace gemma
