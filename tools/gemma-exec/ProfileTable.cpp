//===- ProfileTable.cpp - Per-kernel time tables for gemma-exec -----------===//

#include "tools/gemma-exec/ProfileTable.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace gemma {

void AddProfiles(std::vector<KernelProfile> &totals,
                 const std::vector<KernelProfile> &more) {
  for (const KernelProfile &k : more) {
    auto at =
        std::find_if(totals.begin(), totals.end(), [&](const KernelProfile &t) {
          return t.kernel == k.kernel;
        });
    if (at == totals.end()) {
      totals.push_back(k);
      continue;
    }
    at->calls += k.calls;
    at->seconds += k.seconds;
    at->weight_bytes += k.weight_bytes;
  }
  std::stable_sort(totals.begin(), totals.end(),
                   [](const KernelProfile &a, const KernelProfile &b) {
                     return a.seconds > b.seconds;
                   });
}

void PrintProfile(const std::string &what,
                  const std::vector<KernelProfile> &kernels) {
  double total = 0;
  for (const KernelProfile &k : kernels)
    total += k.seconds;
  std::fprintf(stderr, "gemma-exec: profile (%s)\n", what.c_str());
  std::fprintf(stderr, "  %-14s %8s %10s %7s %10s\n", "kernel", "calls", "ms",
               "share", "weight GB/s");
  for (const KernelProfile &k : kernels)
    std::fprintf(
        stderr, "  %-14s %8llu %10.1f %6.1f%% %10s\n", k.kernel.c_str(),
        static_cast<unsigned long long>(k.calls), 1e3 * k.seconds,
        total > 0 ? 100.0 * k.seconds / total : 0.0,
        k.weight_bytes && k.seconds > 0
            ? fmt::format("{:.2f}", double(k.weight_bytes) / k.seconds / 1e9)
                  .c_str()
            : "-");
  std::fprintf(stderr, "  %-14s %8s %10.1f\n", "total", "", 1e3 * total);
}

} // namespace gemma
