//===- PlanDialect.cpp - Dialect registration, types, verifiers -----------===//

#include "dialects/plan/PlanDialect.h"

#include "dialects/plan/PlanOps.h"
#include "runtime/plan/PlanProgram.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace gemma::plan::ir;

#include "dialects/plan/PlanDialect.cpp.inc"
#include "dialects/plan/PlanEnums.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/plan/PlanTypes.cpp.inc"

// `reals [a, b]` with every double exact: DenseF64ArrayAttr's own
// bracketed form prints 6 significant digits (docs/build.md), which would
// change an f32 epsilon like 9.99999997e-7 when a printed plan is parsed.
static ParseResult parseReals(OpAsmParser &parser, DenseF64ArrayAttr &reals) {
  SmallVector<double> values;
  if (parser.parseCommaSeparatedList(OpAsmParser::Delimiter::Square, [&] {
        return parser.parseFloat(values.emplace_back());
      }))
    return failure();
  reals = DenseF64ArrayAttr::get(parser.getContext(), values);
  return success();
}

static void printReals(OpAsmPrinter &printer, Operation *,
                       DenseF64ArrayAttr reals) {
  printer << '[';
  llvm::interleaveComma(reals.asArrayRef(), printer,
                        [&](double v) { printer.printFloat(APFloat(v)); });
  printer << ']';
}

#define GET_OP_CLASSES
#include "dialects/plan/PlanOps.cpp.inc"

// The dialect's enum mirrors the stored one; the test
// PlanDialect.KernelNamesMatchTheStoredKernels checks names.
static_assert(static_cast<uint32_t>(Kernel::MoeExperts) + 1 ==
              gemma::plan::kKernelCount);

void PlanDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/plan/PlanTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/plan/PlanOps.cpp.inc"
      >();
}

LogicalResult BufferType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t elements, Type elementType) {
  if (elements <= 0)
    return emitError() << "buffer must hold at least one element, got "
                       << elements;
  if (!elementType.isF32() && !elementType.isSignlessInteger(32))
    return emitError() << "buffer elements must be f32 or i32, got "
                       << elementType;
  return success();
}

LogicalResult PlanDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  if (attr.getName() != kArenaSizeAttr)
    return op->emitError() << "unknown plan attribute '"
                           << attr.getName().getValue() << "'";
  auto size = dyn_cast<IntegerAttr>(attr.getValue());
  if (!isa<FunctionOpInterface>(op) || !size || size.getInt() < 0)
    return op->emitError() << "'" << kArenaSizeAttr
                           << "' must be a non-negative integer on a function";
  WalkResult result = op->walk([&](ViewOp view) {
    const int64_t end = view.getOffset() + view.getType().getElements();
    if (end > size.getInt()) {
      view.emitOpError() << "ends at element " << end << ", past the arena of "
                         << size.getInt();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

LogicalResult CallOp::verify() {
  gemma::plan::Call call;
  call.kernel = static_cast<gemma::plan::Kernel>(getKernel());
  std::vector<int64_t> available;
  for (auto [b, buffer] : llvm::enumerate(getBuffers())) {
    auto type = cast<BufferType>(buffer.getType());
    available.push_back(type.getElements());
    call.buffers.emplace_back();
    const bool index = gemma::plan::IsIndexBuffer(call.kernel, b);
    if (index != type.getElementType().isSignlessInteger(32))
      return emitOpError() << "buffer " << b << " must hold "
                           << (index ? "i32" : "f32") << " elements";
  }
  if (auto weights = getWeights())
    for (Attribute name : *weights)
      call.weights.push_back(cast<StringAttr>(name).str());
  if (auto ints = getInts())
    call.ints.assign(ints->begin(), ints->end());
  if (auto reals = getReals())
    call.reals.assign(reals->begin(), reals->end());
  if (absl::Status s = gemma::plan::ValidateCall(call, available); !s.ok())
    return emitOpError() << std::string(s.message());
  return success();
}
