//===- StorageOf.h - A stored type as the dialect's storage -----*- C++ -*-===//

#ifndef COMPILER_BUILDER_STORAGEOF_H
#define COMPILER_BUILDER_STORAGEOF_H

#include "dialects/gemma/GemmaOps.h"
#include "runtime/weights/StoredType.h"

namespace gemma {

// The storage a gemma.param declares for a tensor stored as `type` (I8 for
// the stored types the dialect does not name).
ir::StorageType StorageOf(StoredType type);

} // namespace gemma

#endif // COMPILER_BUILDER_STORAGEOF_H
