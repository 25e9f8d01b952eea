//===- Errors.h - The one-line error every tool prints ----------*- C++ -*-===//
//
// "TOOL: error: WHAT" on stderr, one line. WHAT often quotes a file's own
// bytes (a GGUF's tensor names and keys, a config's strings): control bytes
// in them are shown escaped (\x0a), so a damaged file can neither break the
// line nor send the terminal escape sequences.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_COMMON_ERRORS_H
#define TOOLS_COMMON_ERRORS_H

#include <string>
#include <string_view>

namespace gemma {

// `text` with each byte below 0x20 and 0x7f written as \xNN.
std::string EscapeControlBytes(std::string_view text);

// Prints "TOOL: error: MESSAGE" (escaped) and returns 1, the exit status.
int ReportError(const char *tool, std::string_view message);

} // namespace gemma

#endif // TOOLS_COMMON_ERRORS_H
