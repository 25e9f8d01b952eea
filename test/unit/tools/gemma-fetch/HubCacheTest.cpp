//===- HubCacheTest.cpp - Hugging Face's cache layout and safe names ------===//

#include "tools/gemma-fetch/HubCache.h"

#include "test/unit/TempPath.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace gemma::fetch {
namespace {

TEST(HubCache, NamesFromTheServerCannotLeaveTheCache) {
  EXPECT_TRUE(IsValidRepoId("google/gemma-3-270m"));
  EXPECT_TRUE(IsValidRepoId("ggml-org/gemma-3-270m-it-GGUF"));
  for (const char *bad :
       {"google", "a/b/c", "../x", "a/..", "a/", "/b", "a/b c", "a/b\n"})
    EXPECT_FALSE(IsValidRepoId(bad)) << bad;
  EXPECT_TRUE(IsSafeRepoPath("model.gguf"));
  EXPECT_TRUE(IsSafeRepoPath("sub/dir/model.gguf"));
  EXPECT_TRUE(IsSafeRepoPath("refs/pr/1"));
  for (const char *bad :
       {"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\\b", "a/"})
    EXPECT_FALSE(IsSafeRepoPath(bad)) << bad;
  EXPECT_TRUE(IsCommitHash("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(IsCommitHash("main"));
  EXPECT_FALSE(IsCommitHash("0123456789ABCDEF0123456789abcdef01234567"));
}

TEST(HubCache, RootFollowsHuggingFaceHubsVariables) {
  const auto set = [](const char *name, const char *value) {
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  };
  set("HF_HUB_CACHE", nullptr);
  set("HF_HOME", nullptr);
  set("XDG_CACHE_HOME", nullptr);
  set("HOME", "/home/u");
  EXPECT_EQ(HubCacheRoot(), "/home/u/.cache/huggingface/hub");
  set("XDG_CACHE_HOME", "/xdg");
  EXPECT_EQ(HubCacheRoot(), "/xdg/huggingface/hub");
  set("HF_HOME", "/hf");
  EXPECT_EQ(HubCacheRoot(), "/hf/hub");
  set("HF_HUB_CACHE", "/cache");
  EXPECT_EQ(HubCacheRoot(), "/cache");
  set("HF_HUB_CACHE", nullptr);
  set("HF_HOME", nullptr);
  set("XDG_CACHE_HOME", nullptr);
}

TEST(HubCache, RefsAndRelativeSnapshotLinks) {
  const fs::path root = gemma::testing::TempPath("hub");
  fs::remove_all(root);
  const RepoCache cache(root, "org/name");
  EXPECT_EQ(cache.dir(), root / "models--org--name");
  EXPECT_EQ(cache.Lock("abc"),
            root / ".locks" / "models--org--name" / "abc.lock");
  const std::string commit(40, 'a');
  EXPECT_FALSE(cache.ReadRef("main"));
  ASSERT_TRUE(cache.WriteRef("main", commit).ok());
  EXPECT_EQ(cache.ReadRef("main"), commit);
  ASSERT_TRUE(cache.WriteRef("refs/pr/1", commit).ok());
  EXPECT_EQ(cache.ReadRef("refs/pr/1"), commit);

  fs::create_directories(cache.Blob("e").parent_path());
  std::ofstream(cache.Blob("e")) << "bytes";
  ASSERT_TRUE(cache.Link(commit, "a/b/file.gguf", "e").ok());
  const fs::path link = cache.Snapshot(commit, "a/b/file.gguf");
  EXPECT_EQ(fs::read_symlink(link), "../../../../blobs/e");
  std::ifstream in(link);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "bytes");
  // Linking again replaces the link.
  ASSERT_TRUE(cache.Link(commit, "a/b/file.gguf", "e").ok());
  EXPECT_TRUE(fs::is_symlink(link));
}

} // namespace
} // namespace gemma::fetch
