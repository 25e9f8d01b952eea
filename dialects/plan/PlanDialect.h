//===- PlanDialect.h - The plan dialect and its types -----------*- C++ -*-===//

#ifndef DIALECTS_PLAN_PLANDIALECT_H
#define DIALECTS_PLAN_PLANDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/plan/PlanDialect.h.inc"
#include "dialects/plan/PlanEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/plan/PlanTypes.h.inc"

#endif // DIALECTS_PLAN_PLANDIALECT_H
