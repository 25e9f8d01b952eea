//===- Hub.cpp - Hugging Face Hub: resolve, list, download, search --------===//

#include "tools/gemma-fetch/Hub.h"

#include "tools/gemma-fetch/Environment.h"

#include "tools/gemma-fetch/FilePick.h"
#include "tools/gemma-fetch/JsonFields.h"
#include "tools/gemma-fetch/Transfer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

namespace gemma::fetch {
namespace {

using json = nlohmann::json;

std::string Header(const HttpResponse &response, const std::string &name) {
  const auto it = response.headers.find(name);
  return it == response.headers.end() ? "" : it->second;
}

// huggingface_hub's normalization: W/ and quotes dropped.
std::string NormalizeEtag(std::string etag) {
  if (etag.starts_with("W/"))
    etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return etag;
}

// An ETag names a file in blobs/: nothing that could leave the folder.
bool IsSafeEtag(const std::string &etag) {
  if (etag.empty() || etag.size() > 128 || etag == "." || etag == "..")
    return false;
  for (unsigned char c : etag)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

bool IsSha256(const std::string &text) {
  return text.size() == 64 &&
         text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Each segment of a repository path percent-encoded, the slashes kept.
std::string EncodePath(const std::string &path) {
  std::string out;
  size_t begin = 0;
  for (size_t slash; (slash = path.find('/', begin)) != std::string::npos;
       begin = slash + 1)
    out += UrlEncode(path.substr(begin, slash - begin)) + "/";
  return out + UrlEncode(path.substr(begin));
}

// The next page of a paginated listing: Link: <URL>; rel="next".
std::string NextPage(const HttpResponse &response) {
  const std::string link = Header(response, "link");
  const size_t rel = link.find("rel=\"next\"");
  if (rel == std::string::npos)
    return "";
  const size_t open = link.rfind('<', rel), close = link.find('>', open);
  if (open == std::string::npos || close == std::string::npos || close > rel)
    return "";
  return link.substr(open + 1, close - open - 1);
}

absl::StatusOr<json> ParseJson(const HttpResponse &response,
                               const std::string &what) {
  json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded())
    return absl::DataLossError(
        fmt::format("{} answered {} with something that is not JSON",
                    OriginOf(response.url), what));
  return parsed;
}

std::string ReadTokenFile(const std::string &path) {
  std::ifstream in(path);
  std::string token;
  std::getline(in, token);
  while (!token.empty() &&
         std::isspace(static_cast<unsigned char>(token.back())))
    token.pop_back();
  return token;
}

} // namespace

std::string HubEndpoint() {
  std::string endpoint = Env("HF_ENDPOINT");
  if (endpoint.empty())
    endpoint = "https://huggingface.co";
  while (endpoint.ends_with('/'))
    endpoint.pop_back();
  return endpoint;
}

std::string HubToken() {
  if (std::string token = Env("HF_TOKEN"); !token.empty())
    return token;
  std::string path = Env("HF_TOKEN_PATH");
  if (path.empty())
    path = HfHome() + "/token";
  return ReadTokenFile(path);
}

Hub::Hub(HttpClient &client, std::string endpoint, bool has_token)
    : client_(client), endpoint_(std::move(endpoint)), has_token_(has_token) {}

std::string Hub::ApiError(const HttpResponse &response, const std::string &repo,
                          const std::string &what) const {
  const std::string code = Header(response, "x-error-code");
  const long status = response.status;
  if (status == 401 || status == 403) {
    if (has_token_)
      return fmt::format("the Hugging Face token has no access to {} (answer "
                         "{}): accept its license at {}/{} with the account "
                         "the token belongs to",
                         repo, status, endpoint_, repo);
    return fmt::format("{} is gated or private (answer {}): accept its "
                       "license at {}/{}, then set HF_TOKEN to a token of "
                       "that account (or log in with `hf auth login`)",
                       repo, status, endpoint_, repo);
  }
  if (status == 404 && code == "RepoNotFound")
    return fmt::format("no repository {} at {}{}", repo, endpoint_,
                       has_token_ ? "" : " (a private one needs HF_TOKEN)");
  if (status == 404 && code == "RevisionNotFound")
    return fmt::format("{} has no {}", repo, what);
  if (status == 404 && code == "EntryNotFound")
    return fmt::format("{} has no file {}", repo, what);
  std::string message;
  if (const std::string error =
          StringField(json::parse(response.body, nullptr, false), "error");
      !error.empty())
    message = ": " + error;
  return fmt::format("{} answered {} for {} of {}{}", OriginOf(response.url),
                     status, what, repo, message);
}

absl::StatusOr<HttpResponse> Hub::GetJson(const std::string &url,
                                          const std::string &repo,
                                          const std::string &what) {
  HttpRequest request;
  request.url = url;
  absl::StatusOr<HttpResponse> response = client_.Send(request);
  if (!response.ok())
    return response.status();
  if (response->status != 200)
    return ApiStatus(*response, repo, what);
  return response;
}

absl::Status Hub::ApiStatus(const HttpResponse &response,
                            const std::string &repo,
                            const std::string &what) const {
  return AnswerStatus(response, ApiError(response, repo, what));
}

absl::StatusOr<std::string> Hub::ResolveCommit(const std::string &repo,
                                               const std::string &revision) {
  const std::string what = fmt::format("revision {}", revision);
  absl::StatusOr<HttpResponse> response =
      GetJson(fmt::format("{}/api/models/{}/revision/{}", endpoint_, repo,
                          UrlEncode(revision)),
              repo, what);
  if (!response.ok())
    return response.status();
  absl::StatusOr<json> body = ParseJson(*response, what);
  if (!body.ok())
    return body.status();
  const std::string commit = StringField(*body, "sha");
  if (!IsCommitHash(commit))
    return absl::DataLossError(fmt::format("{} named no commit for {} of {}",
                                           OriginOf(response->url), what,
                                           repo));
  return commit;
}

absl::StatusOr<std::vector<std::string>>
Hub::ListFiles(const std::string &repo, const std::string &commit) {
  std::vector<std::string> files;
  std::string url = fmt::format("{}/api/models/{}/tree/{}?recursive=true",
                                endpoint_, repo, commit);
  for (int page = 0; !url.empty(); ++page) {
    if (page > 1000)
      return absl::DataLossError("the file listing never ends");
    absl::StatusOr<HttpResponse> response = GetJson(url, repo, "file listing");
    if (!response.ok())
      return response.status();
    absl::StatusOr<json> body = ParseJson(*response, "the file listing");
    if (!body.ok())
      return body.status();
    if (!body->is_array())
      return absl::DataLossError("the file listing is not a JSON list");
    for (const json &entry : *body) {
      const std::string path = StringField(entry, "path");
      if (StringField(entry, "type") != "file" || path.empty())
        continue;
      if (!IsSafeRepoPath(path))
        return absl::DataLossError(fmt::format(
            "the file listing of {} names an unsafe path '{}'", repo, path));
      files.push_back(path);
    }
    url = NextPage(*response);
    if (!url.empty() &&
        OriginOf(ResolveUrl(response->url, url)) != OriginOf(endpoint_))
      return absl::DataLossError("the file listing's next page is elsewhere");
    url = url.empty() ? url : ResolveUrl(response->url, url);
  }
  return files;
}

absl::Status Hub::Download(const std::string &repo, const std::string &commit,
                           const std::string &path, const RepoCache &cache) {
  const std::string url = fmt::format("{}/{}/resolve/{}/{}", endpoint_, repo,
                                      commit, EncodePath(path));
  HttpRequest head;
  head.method = "HEAD";
  head.url = url;
  head.headers = {"Accept-Encoding: identity"};
  // The metadata rides on the Hub's own answer, before the CDN's redirect;
  // the Hub's redirects to itself (a renamed repository) are followed
  // first, as huggingface_hub does.
  head.follow_redirects = false;
  absl::StatusOr<HttpResponse> meta;
  for (int hop = 0;; ++hop) {
    meta = client_.Send(head);
    if (!meta.ok())
      return meta.status();
    const std::string location = Header(*meta, "location");
    const bool to_hub =
        meta->status >= 300 && meta->status < 400 && !location.empty() &&
        Header(*meta, "x-linked-etag").empty() &&
        OriginOf(ResolveUrl(head.url, location)) == OriginOf(endpoint_);
    if (!to_hub || hop == 5)
      break;
    head.url = ResolveUrl(head.url, location);
  }
  if (meta->status != 200 && (meta->status < 300 || meta->status >= 400))
    return ApiStatus(*meta, repo, path);
  const std::string linked = NormalizeEtag(Header(*meta, "x-linked-etag"));
  const std::string etag =
      linked.empty() ? NormalizeEtag(Header(*meta, "etag")) : linked;
  if (!IsSafeEtag(etag))
    return absl::DataLossError(fmt::format("{} gave {} no usable ETag ('{}')",
                                           OriginOf(url), path, etag));
  std::string size = Header(*meta, "x-linked-size");
  if (size.empty() && meta->status == 200)
    size = Header(*meta, "content-length");
  BlobDownload download;
  download.url = url;
  download.blob = cache.Blob(etag);
  download.incomplete = cache.Incomplete(etag);
  download.lock = cache.Lock(etag);
  download.sha256 = IsSha256(linked) ? linked : "";
  download.size = ParseCount(size);
  download.label = path;
  if (absl::Status fetched = DownloadBlob(client_, download); !fetched.ok())
    return fetched;
  return cache.Link(commit, path, etag);
}

absl::StatusOr<std::vector<HubModel>> Hub::Search(const std::string &words,
                                                  int limit) {
  absl::StatusOr<HttpResponse> response = GetJson(
      fmt::format("{}/api/models?search={}&limit={}&sort=downloads&direction=-1"
                  "&full=true",
                  endpoint_, UrlEncode(words), limit),
      "the Hub", "the search");
  if (!response.ok())
    return response.status();
  absl::StatusOr<json> body = ParseJson(*response, "the search");
  if (!body.ok())
    return body.status();
  if (!body->is_array())
    return absl::DataLossError("the search answer is not a JSON list");
  std::vector<HubModel> models;
  for (const json &entry : *body) {
    HubModel model;
    model.id = StringField(entry, "id");
    if (model.id.empty())
      model.id = StringField(entry, "modelId");
    model.downloads = IntField(entry, "downloads");
    model.likes = IntField(entry, "likes");
    model.last_modified = StringField(entry, "lastModified");
    std::vector<std::string> files;
    if (entry.is_object() && entry.contains("siblings") &&
        entry["siblings"].is_array())
      for (const json &file : entry["siblings"])
        files.push_back(StringField(file, "rfilename"));
    model.quants = ModelQuants(files);
    if (!model.id.empty())
      models.push_back(std::move(model));
  }
  return models;
}

} // namespace gemma::fetch
