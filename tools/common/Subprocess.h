//===- Subprocess.h - Tools that run the tools beside them ------*- C++ -*-===//
//
// gemma-exec and gemma-serve hand work to gemma-compile and gemma-fetch of
// the same build or installation, found beside the running binary (not on
// PATH, which may hold another version).
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_COMMON_SUBPROCESS_H
#define TOOLS_COMMON_SUBPROCESS_H

#include <string>
#include <sys/types.h>

namespace gemma {

// The path of the tool `name` beside the running binary, or "" when the
// running binary's own path is unknown.
std::string SiblingTool(const char *name);

// Waits for `pid` (through EINTR); its exit status, or -1 when it died of
// a signal or could not be waited for.
int WaitForExit(pid_t pid);

} // namespace gemma

#endif // TOOLS_COMMON_SUBPROCESS_H
