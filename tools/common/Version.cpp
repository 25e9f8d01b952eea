//===- Version.cpp - --version: the project first, LLVM second ------------===//

#include "tools/common/Version.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace gemma {
namespace {

const char *tool_name = "gemma";

void PrintVersion(llvm::raw_ostream &out) {
  out << tool_name << " " << GEMMA_VERSION << " (commit " << GEMMA_COMMIT
      << ")\n"
      << "built with MLIR/LLVM " << LLVM_VERSION_STRING << "\n";
}

} // namespace

void SetVersionPrinter(const char *tool) {
  tool_name = tool;
  llvm::cl::SetVersionPrinter(PrintVersion);
}

} // namespace gemma
