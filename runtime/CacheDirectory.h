//===- CacheDirectory.h - Where GPU backends keep compiled code -*- C++ -*-===//

#ifndef RUNTIME_CACHEDIRECTORY_H
#define RUNTIME_CACHEDIRECTORY_H

#include <cstdlib>
#include <string>

namespace gemma {

// $XDG_CACHE_HOME/gemma, else $HOME/.cache/gemma (docs/design.md 6: pipeline
// caches and cubins live there); "" when neither is set.
inline std::string CacheDirectory() {
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/gemma";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/gemma";
  return "";
}

} // namespace gemma

#endif // RUNTIME_CACHEDIRECTORY_H
