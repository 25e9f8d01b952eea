//===- Subprocess.h - Tools that run the tools beside them ------*- C++ -*-===//
//
// gemma-exec and gemma-serve hand work to gemma-compile and gemma-fetch of
// the same build or installation, found beside the running binary (not on
// PATH, which may hold another version).
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_COMMON_SUBPROCESS_H
#define TOOLS_COMMON_SUBPROCESS_H

#include <spawn.h>
#include <string>
#include <sys/types.h>
#include <vector>

namespace gemma {

// The path of the tool `name` beside the running binary, or "" when the
// running binary's own path is unknown.
std::string SiblingTool(const char *name);

// posix_spawn of `args` (args[0] a path) with this process's environment;
// posix_spawn's result (0: started, `*pid` set).
int Spawn(const std::vector<std::string> &args,
          const posix_spawn_file_actions_t *actions,
          const posix_spawnattr_t *attributes, pid_t *pid);

// Waits for `pid` (through EINTR); its exit status, or -1 when it died of
// a signal or could not be waited for.
int WaitForExit(pid_t pid);

} // namespace gemma

#endif // TOOLS_COMMON_SUBPROCESS_H
