//===- PlanOps.h - Ops of the plan dialect ----------------------*- C++ -*-===//

#ifndef DIALECTS_PLAN_PLANOPS_H
#define DIALECTS_PLAN_PLANOPS_H

#include "dialects/plan/PlanDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/plan/PlanOps.h.inc"

#endif // DIALECTS_PLAN_PLANOPS_H
