//===- BuildOptionsFor.h - Build options in one call ------------*- C++ -*-===//

#ifndef TEST_UNIT_COMPILER_REFERENCE_BUILDOPTIONSFOR_H
#define TEST_UNIT_COMPILER_REFERENCE_BUILDOPTIONSFOR_H

#include "compiler/builder/CacheLayout.h"

namespace gemma {

inline BuildOptions BuildOptionsFor(uint32_t context,
                                    std::vector<int64_t> prefill,
                                    std::vector<int64_t> decode) {
  BuildOptions options;
  options.context = context;
  options.prefill_buckets = std::move(prefill);
  options.decode_buckets = std::move(decode);
  return options;
}

} // namespace gemma

#endif // TEST_UNIT_COMPILER_REFERENCE_BUILDOPTIONSFOR_H
