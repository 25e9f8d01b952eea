//===- Hub.h - Hugging Face Hub: resolve, list, download, search -*- C++
//-*-===//
//
// The Hub's public HTTP API, as huggingface_hub uses it:
//   GET  /api/models/ORG/NAME/revision/REV   the commit REV names
//   GET  /api/models/ORG/NAME/tree/COMMIT    the files (recursive)
//   HEAD /ORG/NAME/resolve/COMMIT/PATH       ETag, X-Linked-Etag (sha256
//        of an LFS file), X-Linked-Size, and a redirect to the CDN
//   GET  /api/models?search=WORDS            the search
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_HUB_H
#define TOOLS_GEMMA_FETCH_HUB_H

#include "tools/gemma-fetch/Http.h"
#include "tools/gemma-fetch/HubCache.h"

#include "absl/status/statusor.h"

#include <string>
#include <vector>

namespace gemma::fetch {

// The endpoint (HF_ENDPOINT, default https://huggingface.co, no trailing
// slash) and the token (HF_TOKEN, else the file huggingface_hub's login
// writes: HF_TOKEN_PATH, else HF_HOME/token), if any.
std::string HubEndpoint();
std::string HubToken();

struct HubModel {
  std::string id, last_modified;
  int64_t downloads = 0, likes = 0;
  std::vector<std::string> quants; // GGUF quantizations among its files
};

class Hub {
public:
  Hub(HttpClient &client, std::string endpoint, bool has_token);

  absl::StatusOr<std::string> ResolveCommit(const std::string &repo,
                                            const std::string &revision);
  absl::StatusOr<std::vector<std::string>> ListFiles(const std::string &repo,
                                                     const std::string &commit);
  // Downloads `path` at `commit` into the cache (blob, then snapshot link).
  absl::Status Download(const std::string &repo, const std::string &commit,
                        const std::string &path, const RepoCache &cache);
  absl::StatusOr<std::vector<HubModel>> Search(const std::string &words,
                                               int limit);

private:
  std::string ApiError(const HttpResponse &response, const std::string &repo,
                       const std::string &what) const;
  absl::Status ApiStatus(const HttpResponse &response, const std::string &repo,
                         const std::string &what) const;
  absl::StatusOr<HttpResponse> GetJson(const std::string &url,
                                       const std::string &repo,
                                       const std::string &what);

  HttpClient &client_;
  std::string endpoint_;
  bool has_token_;
};

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_HUB_H
