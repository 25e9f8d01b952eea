//===- Kaggle.h - Kaggle models: resolve, download, unpack, search -*- C++
//-*-===//
//
// Kaggle's public model API (https://www.kaggle.com/api/v1), as its
// kagglehub client uses it:
//   GET models/OWNER/MODEL/FRAMEWORK/VARIATION/get               the latest
//       version (versionNumber)
//   GET models/OWNER/MODEL/FRAMEWORK/VARIATION/VERSION/download  an archive
//       of the version's files (tar.gz), through a redirect
//   GET models/list?search=WORDS&pageSize=N                     the search
// Versions unpack into kagglehub's cache folder,
// KAGGLEHUB_CACHE (default ~/.cache/kagglehub)/models/OWNER/MODEL/
// FRAMEWORK/VARIATION/VERSION, which appears only once complete.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_KAGGLE_H
#define TOOLS_GEMMA_FETCH_KAGGLE_H

#include "tools/gemma-fetch/Http.h"
#include "tools/gemma-fetch/Transfer.h"

#include "absl/status/statusor.h"

#include <filesystem>
#include <string>
#include <vector>

namespace gemma::fetch {

struct KaggleHandle {
  std::string owner, model, framework, variation;
  int version = 0; // 0: the latest

  std::string Name() const; // OWNER/MODEL/FRAMEWORK/VARIATION
};

// OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION], each part letters, digits,
// '-', '_' or '.'.
absl::StatusOr<KaggleHandle> ParseKaggleHandle(const std::string &text);

// GEMMA_KAGGLE_ENDPOINT (tests), else https://www.kaggle.com.
std::string KaggleEndpoint();

// The Authorization header line from KAGGLE_API_TOKEN (the environment,
// else a .env file in the working directory), else KAGGLE_USERNAME and
// KAGGLE_KEY, else KAGGLE_CONFIG_DIR/kaggle.json (default
// ~/.kaggle/kaggle.json); "" when there are none.
absl::StatusOr<std::string> KaggleAuthorization();

std::filesystem::path KaggleCacheDir(const KaggleHandle &handle);

// The cached folder of `handle`'s version (the highest cached when it
// names none), or "" when none is cached.
std::filesystem::path CachedKaggleVersion(const KaggleHandle &handle);

struct KaggleModel {
  std::string ref, title, updated;
  int64_t votes = -1; // -1: the listing does not say
};

class Kaggle {
public:
  Kaggle(HttpClient &client, std::string endpoint, bool has_credentials);

  absl::StatusOr<int> LatestVersion(const KaggleHandle &handle);
  // Downloads and unpacks `handle` (its version set) unless cached; returns
  // the version's folder.
  absl::StatusOr<std::filesystem::path> Download(const KaggleHandle &handle);
  absl::StatusOr<std::vector<KaggleModel>> Search(const std::string &words,
                                                  int limit);

private:
  std::string ApiError(const HttpResponse &response,
                       const std::string &what) const;
  absl::Status ApiStatus(const HttpResponse &response,
                         const std::string &what) const;
  absl::Status ArchiveSize(const KaggleHandle &handle, BlobDownload &download);

  HttpClient &client_;
  std::string api_;
  bool has_credentials_;
};

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_KAGGLE_H
