//===- FlagCheck.h - Unknown flags as one line with a suggestion -*- C++
//-*-===//
//
// LLVM's parser reports an unknown flag on two lines and exits; our tools
// promise one line that names the closest flag. Called before
// cl::ParseCommandLineOptions, with the options already registered.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_COMMON_FLAGCHECK_H
#define TOOLS_COMMON_FLAGCHECK_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/CommandLine.h"

#include <map>
#include <string>

namespace gemma {

// Returns false after printing "TOOL: error: unknown flag '--x' (did you
// mean '--y'?)" when argv holds a flag that the tool (or its subcommand,
// when argv[1] names one) does not have.
// `hints` maps flags other tools have and this one has not (llama.cpp's,
// without the dashes) to what to use here instead; such a flag's error says
// that rather than a look-alike suggestion.
bool CheckKnownFlags(
    int argc, char **argv,
    const std::map<std::string, std::string, std::less<>> &hints = {});

// Registers -h as LLVM's --help (every tool's docs promise it, and users
// of other command lines type it first). Call once, before parsing.
void AddShortHelpFlag();

// Every tool's start: --help shows only `categories`' flags, -h and
// --version (`tool` and its commit) work, an unknown flag is one line
// (CheckKnownFlags with `hints`), then LLVM parses argv with `overview`.
// False when a flag was unknown (the line is printed: exit 1).
bool ParseToolFlags(
    int argc, char **argv, const char *tool,
    llvm::ArrayRef<const llvm::cl::OptionCategory *> categories,
    const char *overview,
    const std::map<std::string, std::string, std::less<>> &hints = {});

} // namespace gemma

#endif // TOOLS_COMMON_FLAGCHECK_H
