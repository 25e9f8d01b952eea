//===- TempPath.h - Per-test temporary file names ---------------*- C++ -*-===//
//
// CTest runs GoogleTest cases as parallel processes; a file name shared by
// two cases would be written by both at once.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_TEMPPATH_H
#define TEST_UNIT_TEMPPATH_H

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace gemma::testing {

// A path in the test temp folder unique to the running test case.
inline std::string TempPath(const std::string &name) {
  const ::testing::TestInfo *info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = std::string(info->test_suite_name()) + "." + info->name();
  std::replace(test.begin(), test.end(), '/', '_');
  return ::testing::TempDir() + "/" + test + "." + name;
}

} // namespace gemma::testing

#endif // TEST_UNIT_TEMPPATH_H
