//===- StorageOf.cpp - A stored type as the dialect's storage -------------===//

#include "compiler/builder/StorageOf.h"

namespace gemma {

ir::StorageType StorageOf(StoredType type) {
  switch (type) {
  case StoredType::kF32:
    return ir::StorageType::F32;
  case StoredType::kBF16:
    return ir::StorageType::BF16;
  case StoredType::kSFP:
    return ir::StorageType::SFP;
  case StoredType::kNUQ:
    return ir::StorageType::NUQ;
  case StoredType::kF16:
    return ir::StorageType::F16;
  case StoredType::kQ4_0:
    return ir::StorageType::Q4_0;
  case StoredType::kQ4_1:
    return ir::StorageType::Q4_1;
  case StoredType::kQ5_0:
    return ir::StorageType::Q5_0;
  case StoredType::kQ5_1:
    return ir::StorageType::Q5_1;
  case StoredType::kQ8_0:
    return ir::StorageType::Q8_0;
  case StoredType::kQ2_K:
    return ir::StorageType::Q2_K;
  case StoredType::kQ3_K:
    return ir::StorageType::Q3_K;
  case StoredType::kQ4_K:
    return ir::StorageType::Q4_K;
  case StoredType::kQ5_K:
    return ir::StorageType::Q5_K;
  case StoredType::kQ6_K:
    return ir::StorageType::Q6_K;
  default:
    return ir::StorageType::I8;
  }
}

ir::ParamOp CreateParam(mlir::OpBuilder &builder, mlir::Location loc,
                        const std::string &name, const TensorInfo &t) {
  return ir::ParamOp::create(
      builder, loc, name,
      ir::WeightType::get(builder.getContext(),
                          {int64_t(t.rows), int64_t(t.cols)},
                          StorageOf(t.type)),
      t.scale == 1.0f ? mlir::FloatAttr() : builder.getF32FloatAttr(t.scale));
}

} // namespace gemma
