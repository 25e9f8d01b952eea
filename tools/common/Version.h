//===- Version.h - --version: the project first, LLVM second ----*- C++ -*-===//
//
// LLVM's --version names LLVM's build, which says nothing about ours: a bug
// report needs our version and commit.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_COMMON_VERSION_H
#define TOOLS_COMMON_VERSION_H

namespace gemma {

// Makes --version print "TOOL VERSION (commit HASH)" and then the LLVM/MLIR
// version the tool is linked with. Call before parsing the command line.
void SetVersionPrinter(const char *tool);

} // namespace gemma

#endif // TOOLS_COMMON_VERSION_H
