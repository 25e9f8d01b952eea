//===- Utf8.cpp - Checking text given on command lines --------------------===//

#include "tools/common/Utf8.h"

#include "llvm/Support/ConvertUTF.h"

namespace gemma {

std::optional<size_t> InvalidUtf8At(std::string_view text) {
  const auto *begin = reinterpret_cast<const llvm::UTF8 *>(text.data());
  const llvm::UTF8 *at = begin;
  if (llvm::isLegalUTF8String(&at, begin + text.size()))
    return std::nullopt;
  return size_t(at - begin);
}

} // namespace gemma
