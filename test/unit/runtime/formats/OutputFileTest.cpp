// Files written whole or not at all, and outputs that would destroy an
// input refused (runtime/formats/OutputFile.h).

#include "runtime/formats/OutputFile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace gemma {
namespace {

namespace fs = std::filesystem;

class OutputFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           (std::string("OutputFile.") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string &name) const { return dir_ / name; }
  static void Put(const std::string &path, const std::string &text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  static std::string Read(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  // Names in the directory: a temporary left behind shows up here.
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto &entry : fs::directory_iterator(dir_))
      names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

TEST_F(OutputFileTest, CommitReplacesTheDestinationWhole) {
  Put(Path("out.plan"), "old");
  absl::StatusOr<OutputFile> file = OutputFile::Create(Path("out.plan"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_NE(file->temp_path(), Path("out.plan"));
  Put(file->temp_path(), "new contents");
  // Until the commit the destination is the old file.
  EXPECT_EQ(Read(Path("out.plan")), "old");
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(Read(Path("out.plan")), "new contents");
  EXPECT_EQ(Names(), std::vector<std::string>{"out.plan"});
}

TEST_F(OutputFileTest, AnAbandonedFileLeavesNothingAndTheOldFileIntact) {
  Put(Path("out.plan"), "old");
  {
    absl::StatusOr<OutputFile> file = OutputFile::Create(Path("out.plan"));
    ASSERT_TRUE(file.ok());
    Put(file->temp_path(), "half of a new fi");
  }
  EXPECT_EQ(Read(Path("out.plan")), "old");
  EXPECT_EQ(Names(), std::vector<std::string>{"out.plan"});
  {
    absl::StatusOr<OutputFile> file = OutputFile::Create(Path("new.plan"));
    ASSERT_TRUE(file.ok());
  }
  EXPECT_EQ(Names(), std::vector<std::string>{"out.plan"});
}

TEST_F(OutputFileTest, TwoWritersOfOneDestinationHaveTheirOwnTemporaries) {
  absl::StatusOr<OutputFile> a = OutputFile::Create(Path("x"));
  absl::StatusOr<OutputFile> b = OutputFile::Create(Path("x"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->temp_path(), b->temp_path());
}

TEST_F(OutputFileTest, ANewFileGetsTheUsualPermissions) {
  const mode_t mask = ::umask(022);
  absl::StatusOr<OutputFile> file = OutputFile::Create(Path("out"));
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file->Commit().ok());
  ::umask(mask);
  struct stat st;
  ASSERT_EQ(::stat(Path("out").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(OutputFileTest, RefusesADirectoryAndAMissingDirectory) {
  absl::Status s = CheckOutputPath(dir_.string());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("is a directory"), std::string::npos)
      << s;
  s = CheckOutputPath(Path("missing/x.plan"));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(s.message()).find("does not exist"), std::string::npos)
      << s;
  EXPECT_FALSE(OutputFile::Create(dir_.string()).ok());
  EXPECT_EQ(Names(), std::vector<std::string>{});
}

TEST_F(OutputFileTest, RefusesTheInputUnderAnyName) {
  Put(Path("model.gguf"), "weights");
  fs::create_hard_link(Path("model.gguf"), Path("link.gguf"));
  for (const std::string &out : {Path("model.gguf"), Path("link.gguf"),
                                 (dir_ / "." / "model.gguf").string()}) {
    const std::string inputs[] = {Path("model.gguf")};
    absl::Status s = CheckOutputPath(out, inputs);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << out;
    EXPECT_NE(std::string(s.message()).find("is the input file"),
              std::string::npos)
        << s;
  }
  const std::string inputs[] = {Path("model.gguf")};
  EXPECT_TRUE(CheckOutputPath(Path("model.plan"), inputs).ok());
  Put(Path("model.plan"), "an older plan");
  EXPECT_TRUE(CheckOutputPath(Path("model.plan"), inputs).ok());
  EXPECT_EQ(Read(Path("model.gguf")), "weights");
}

TEST_F(OutputFileTest, RefusesACheckpointsOwnFilesButNotAPlanInIt) {
  fs::create_directories(dir_ / "ckpt");
  Put(Path("ckpt/config.json"), "{}");
  Put(Path("ckpt/model.plan"), "an older plan");
  const std::string inputs[] = {Path("ckpt")};
  absl::Status s = CheckOutputPath(Path("ckpt/config.json"), inputs);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("input directory"), std::string::npos)
      << s;
  EXPECT_TRUE(CheckOutputPath(Path("ckpt/model.plan"), inputs).ok());
  EXPECT_TRUE(CheckOutputPath(Path("ckpt/new.plan"), inputs).ok());
}

TEST_F(OutputFileTest, RefusesWhatIsNotARegularFile) {
  absl::Status s = CheckOutputPath("/dev/null");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("not a regular file"),
            std::string::npos)
      << s;
}

} // namespace
} // namespace gemma
