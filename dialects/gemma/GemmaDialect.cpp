//===- GemmaDialect.cpp - Dialect registration and types ---------===//

#include "dialects/gemma/GemmaDialect.h"

#include "dialects/gemma/GemmaOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace gemma::ir;

#include "dialects/gemma/GemmaDialect.cpp.inc"
#include "dialects/gemma/GemmaEnums.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/gemma/GemmaTypes.cpp.inc"

void GemmaDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/gemma/GemmaTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/gemma/GemmaOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// WeightType
//===----------------------------------------------------------------------===//

int64_t gemma::ir::BlockElementsOf(StorageType storage) {
  switch (storage) {
  case StorageType::Q4_0:
  case StorageType::Q4_1:
  case StorageType::Q5_0:
  case StorageType::Q5_1:
  case StorageType::Q8_0:
    return 32;
  case StorageType::Q2_K:
  case StorageType::Q3_K:
  case StorageType::Q4_K:
  case StorageType::Q5_K:
  case StorageType::Q6_K:
    return 256;
  default:
    return 1;
  }
}

LogicalResult WeightType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ArrayRef<int64_t> shape, StorageType storage) {
  if (shape.empty() || shape.size() > 3)
    return emitError() << "weight must have 1 to 3 dimensions, got "
                       << shape.size();
  for (int64_t dim : shape)
    if (dim <= 0)
      return emitError() << "weight dimensions must be positive, got " << dim;
  const int64_t block = BlockElementsOf(storage);
  if (shape.back() % block != 0)
    return emitError() << "rows of " << stringifyStorageType(storage)
                       << " are blocks of " << block << " values, got rows of "
                       << shape.back();
  return success();
}

int64_t WeightType::getNumElements() const {
  int64_t n = 1;
  for (int64_t dim : getShape())
    n *= dim;
  return n;
}
