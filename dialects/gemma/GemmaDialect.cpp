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

LogicalResult WeightType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ArrayRef<int64_t> shape, StorageType storage) {
  if (shape.empty() || shape.size() > 3)
    return emitError() << "weight must have 1 to 3 dimensions, got "
                       << shape.size();
  for (int64_t dim : shape)
    if (dim <= 0)
      return emitError() << "weight dimensions must be positive, got " << dim;
  (void)storage;
  return success();
}

int64_t WeightType::getNumElements() const {
  int64_t n = 1;
  for (int64_t dim : getShape())
    n *= dim;
  return n;
}
