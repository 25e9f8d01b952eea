//===- Kaggle.cpp - Kaggle models: resolve, download, unpack, search ------===//

#include "tools/gemma-fetch/Kaggle.h"

#include "tools/gemma-fetch/Environment.h"

#include "tools/gemma-fetch/Archive.h"
#include "tools/gemma-fetch/JsonFields.h"
#include "tools/gemma-fetch/Transfer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace gemma::fetch {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool IsSlug(const std::string &part) {
  if (part.empty() || part == "." || part == ".." || part.size() > 128)
    return false;
  for (unsigned char c : part)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

std::string Base64(const std::string &text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(
      reinterpret_cast<unsigned char *>(out.data()),
      reinterpret_cast<const unsigned char *>(text.data()), int(text.size()));
  out.resize(size_t(written));
  return out;
}

// KAGGLE_API_TOKEN=... from a .env file in the working directory (quotes
// and `export ` allowed, as shells and dotenv loaders write them).
std::string DotEnvToken() {
  std::ifstream in(".env");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("export "))
      line.erase(0, 7);
    if (!line.starts_with("KAGGLE_API_TOKEN="))
      continue;
    std::string value = line.substr(17);
    while (!value.empty() &&
           std::isspace(static_cast<unsigned char>(value.back())))
      value.pop_back();
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return "";
}

fs::path KaggleCacheRoot() {
  if (std::string root = Env("KAGGLEHUB_CACHE"); !root.empty())
    return root;
  return fs::path(HomeDir()) / ".cache" / "kagglehub";
}

} // namespace

std::string KaggleHandle::Name() const {
  return fmt::format("{}/{}/{}/{}", owner, model, framework, variation);
}

absl::StatusOr<KaggleHandle> ParseKaggleHandle(const std::string &text) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (size_t slash; (slash = text.find('/', begin)) != std::string::npos;
       begin = slash + 1)
    parts.push_back(text.substr(begin, slash - begin));
  parts.push_back(text.substr(begin));
  const auto bad = [&] {
    return absl::InvalidArgumentError(fmt::format(
        "--kaggle '{}' is not OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION] (for "
        "example google/gemma-3/gemmaCpp/3.0-270m-sfp)",
        text));
  };
  if (parts.size() != 4 && parts.size() != 5)
    return bad();
  for (size_t i = 0; i < 4; ++i)
    if (!IsSlug(parts[i]))
      return bad();
  KaggleHandle handle{parts[0], parts[1], parts[2], parts[3], 0};
  if (parts.size() == 5) {
    const std::string &version = parts[4];
    if (version.empty() || version.size() > 6 ||
        version.find_first_not_of("0123456789") != std::string::npos ||
        std::atoi(version.c_str()) <= 0)
      return bad();
    handle.version = std::atoi(version.c_str());
  }
  return handle;
}

std::string KaggleEndpoint() {
  std::string endpoint = Env("GEMMA_KAGGLE_ENDPOINT");
  if (endpoint.empty())
    endpoint = "https://www.kaggle.com";
  while (endpoint.ends_with('/'))
    endpoint.pop_back();
  return endpoint;
}

absl::StatusOr<std::string> KaggleAuthorization() {
  std::string token = Env("KAGGLE_API_TOKEN");
  if (token.empty())
    token = DotEnvToken();
  if (!token.empty())
    return "Authorization: Bearer " + token;
  std::string user = Env("KAGGLE_USERNAME"), key = Env("KAGGLE_KEY");
  if (user.empty() || key.empty()) {
    std::string dir = Env("KAGGLE_CONFIG_DIR");
    if (dir.empty())
      dir = Env("HOME") + "/.kaggle";
    const fs::path path = fs::path(dir) / "kaggle.json";
    std::ifstream in(path);
    if (!in)
      return std::string();
    const json config = json::parse(in, nullptr, false);
    user = StringField(config, "username");
    key = StringField(config, "key");
    if (user.empty() || key.empty())
      return absl::InvalidArgumentError(fmt::format(
          "{} holds no \"username\" and \"key\" strings", path.string()));
  }
  return "Authorization: Basic " + Base64(user + ":" + key);
}

fs::path KaggleCacheDir(const KaggleHandle &h) {
  return KaggleCacheRoot() / "models" / h.owner / h.model / h.framework /
         h.variation;
}

fs::path CachedKaggleVersion(const KaggleHandle &handle) {
  const fs::path dir = KaggleCacheDir(handle);
  std::error_code error;
  if (handle.version > 0) {
    const fs::path version = dir / std::to_string(handle.version);
    return fs::is_directory(version, error) ? version : fs::path();
  }
  int best = 0;
  // (Incremented with an error code: the range-for's ++ throws.)
  for (auto it = fs::directory_iterator(dir, error);
       !error && it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory(error) && !name.empty() && name.size() <= 6 &&
        name.find_first_not_of("0123456789") == std::string::npos)
      best = std::max(best, std::atoi(name.c_str()));
  }
  return best > 0 ? dir / std::to_string(best) : fs::path();
}

Kaggle::Kaggle(HttpClient &client, std::string endpoint, bool has_credentials)
    : client_(client), api_(std::move(endpoint) + "/api/v1"),
      has_credentials_(has_credentials) {}

std::string Kaggle::ApiError(const HttpResponse &response,
                             const std::string &what) const {
  if (response.status == 401 || response.status == 403) {
    if (has_credentials_)
      return fmt::format(
          "Kaggle refused the credentials for {} (answer {}): check them, "
          "and accept the model's license on its Kaggle page with that "
          "account",
          what, response.status);
    return fmt::format(
        "Kaggle needs credentials for {} (answer {}): set KAGGLE_API_TOKEN "
        "(or KAGGLE_USERNAME and KAGGLE_KEY, or ~/.kaggle/kaggle.json), and "
        "accept the model's license on its Kaggle page",
        what, response.status);
  }
  if (response.status == 404)
    return fmt::format("Kaggle has no {}", what);
  std::string message;
  if (const std::string text =
          StringField(json::parse(response.body, nullptr, false), "message");
      !text.empty())
    message = ": " + text;
  return fmt::format("{} answered {} for {}{}", OriginOf(response.url),
                     response.status, what, message);
}

absl::Status Kaggle::ApiStatus(const HttpResponse &response,
                               const std::string &what) const {
  return AnswerStatus(response, ApiError(response, what));
}

absl::StatusOr<int> Kaggle::LatestVersion(const KaggleHandle &handle) {
  HttpRequest request;
  request.url = fmt::format("{}/models/{}/get", api_, handle.Name());
  absl::StatusOr<HttpResponse> response = client_.Send(request);
  if (!response.ok())
    return response.status();
  const std::string what = "model " + handle.Name();
  if (response->status != 200)
    return ApiStatus(*response, what);
  const int64_t version = IntField(json::parse(response->body, nullptr, false),
                                   "versionNumber", -1);
  if (version <= 0 || version > 999999)
    return absl::DataLossError(fmt::format("{} named no version number for {}",
                                           OriginOf(response->url), what));
  return int(version);
}

absl::StatusOr<fs::path> Kaggle::Download(const KaggleHandle &handle) {
  const fs::path dir = KaggleCacheDir(handle);
  const std::string version = std::to_string(handle.version);
  const fs::path target = dir / version;
  std::error_code error;
  if (fs::is_directory(target, error))
    return target;
  const std::string label =
      fmt::format("{} version {}", handle.Name(), version);
  // One process at a time downloads and unpacks a version; the archive's
  // own lock (inside DownloadBlob) is then never contended.
  absl::StatusOr<std::unique_ptr<FileLock>> lock =
      FileLock::Acquire(dir / (version + ".lock"), label);
  if (!lock.ok())
    return lock.status();
  BlobDownload download;
  download.url =
      fmt::format("{}/models/{}/{}/download", api_, handle.Name(), version);
  download.blob = dir / (version + ".archive");
  download.incomplete = dir / (version + ".archive.incomplete");
  download.lock = dir / (version + ".archive.lock");
  download.label = label;
  if (fs::is_directory(target, error)) {
    fs::remove(download.blob, error); // left by a run stopped after unpacking
    return target;
  }
  if (absl::Status sized = ArchiveSize(handle, download); !sized.ok())
    return sized;
  if (absl::Status fetched = DownloadBlob(client_, download); !fetched.ok())
    return fetched;
  absl::Status unpacked = UnpackArchive(download.blob, target);
  // A damaged archive is fetched afresh next time, not unpacked again.
  fs::remove(download.blob, error);
  if (!unpacked.ok())
    return unpacked;
  return target;
}

absl::Status Kaggle::ArchiveSize(const KaggleHandle &handle,
                                 BlobDownload &download) {
  // The size, when a HEAD of the download tells it (through the redirect
  // to the archive), is what a resumed transfer must reach. The API's own
  // refusal is the answer the download would get; the storage behind the
  // redirect may not answer HEAD at all, which leaves the size unknown.
  HttpRequest head;
  head.method = "HEAD";
  head.url = download.url;
  absl::StatusOr<HttpResponse> meta = client_.Send(head);
  if (!meta.ok())
    return meta.status();
  if (meta->hops.empty() &&
      (meta->status == 401 || meta->status == 403 || meta->status == 404))
    return absl::NotFoundError(
        ApiError(*meta, fmt::format("model {} version {}", handle.Name(),
                                    handle.version)));
  if (const auto it = meta->headers.find("content-length");
      meta->status == 200 && it != meta->headers.end())
    download.size = ParseCount(it->second);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<KaggleModel>>
Kaggle::Search(const std::string &words, int limit) {
  HttpRequest request;
  request.url = fmt::format("{}/models/list?search={}&pageSize={}", api_,
                            UrlEncode(words), limit);
  absl::StatusOr<HttpResponse> response = client_.Send(request);
  if (!response.ok())
    return response.status();
  if (response->status != 200)
    return ApiStatus(*response, "the model search");
  const json body = json::parse(response->body, nullptr, false);
  if (!body.is_object() || !body.contains("models") ||
      !body["models"].is_array())
    return absl::DataLossError("Kaggle's search answer holds no model list");
  std::vector<KaggleModel> models;
  for (const json &entry : body["models"]) {
    KaggleModel model;
    model.ref = StringField(entry, "ref");
    model.title = StringField(entry, "title");
    model.updated = StringField(entry, "updateTime");
    model.votes = IntField(entry, "voteCount", -1);
    if (!model.ref.empty())
      models.push_back(std::move(model));
  }
  return models;
}

} // namespace gemma::fetch
