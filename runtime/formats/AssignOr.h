//===- AssignOr.h - Unwrap a StatusOr or return its status -----*- C++ -*-===//

#ifndef RUNTIME_FORMATS_ASSIGNOR_H
#define RUNTIME_FORMATS_ASSIGNOR_H

// `lhs = *expr` when `expr` (an absl::StatusOr) holds a value; else returns
// its status from the enclosing function. A braced block: when it is the
// body of an if, give the if braces too.
#define GEMMA_ASSIGN(lhs, expr)                                                \
  {                                                                            \
    auto value_ = (expr);                                                      \
    if (!value_.ok())                                                          \
      return value_.status();                                                  \
    lhs = *value_;                                                             \
  }

#endif // RUNTIME_FORMATS_ASSIGNOR_H
