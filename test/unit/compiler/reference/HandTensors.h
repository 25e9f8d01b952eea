//===- HandTensors.h - Hand-written tensors for the kernel tests -*- C++
//-*-===//

#ifndef TEST_UNIT_COMPILER_REFERENCE_HANDTENSORS_H
#define TEST_UNIT_COMPILER_REFERENCE_HANDTENSORS_H

#include "compiler/reference/Kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace gemma::reference {

inline Tensor Make(std::vector<int64_t> shape, std::vector<float> data) {
  Tensor t;
  t.shape = std::move(shape);
  t.data = std::move(data);
  EXPECT_EQ(t.NumElements(), static_cast<int64_t>(t.data.size()));
  return t;
}

// A weight whose rows are given as f32.
inline WeightRows Rows(int64_t rows, int64_t cols, std::vector<float> data) {
  auto shared = std::make_shared<std::vector<float>>(std::move(data));
  return {rows, cols, [shared, cols](int64_t r, float *out) {
            std::copy_n(shared->data() + r * cols, cols, out);
          }};
}

} // namespace gemma::reference

#endif // TEST_UNIT_COMPILER_REFERENCE_HANDTENSORS_H
