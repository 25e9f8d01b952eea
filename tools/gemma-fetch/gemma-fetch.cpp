//===- gemma-fetch.cpp - Models from Hugging Face and Kaggle --------------===//
//
//   gemma-fetch --hf-repo ORG/NAME[:QUANT] [--hf-file PATH] [--revision REV]
//   gemma-fetch --kaggle OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION]
//   gemma-fetch --search-hf WORDS | --search-kaggle WORDS [--limit N]
//
// Downloads into Hugging Face's shared cache (or kagglehub's), resumable
// and checked against the server's SHA-256, and prints the local path as
// its last line of standard output:
//
//   gemma-exec "$(gemma-fetch --hf-repo ggml-org/gemma-3-270m-it-GGUF)" -p Hi
//
// This is the one tool that uses the network; nothing else in the project
// downloads anything.
//
//===----------------------------------------------------------------------===//

#include "tools/common/Errors.h"
#include "tools/common/FlagCheck.h"
#include "tools/gemma-fetch/FilePick.h"
#include "tools/gemma-fetch/Hub.h"
#include "tools/gemma-fetch/Kaggle.h"
#include "tools/gemma-fetch/Place.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace {

namespace cl = llvm::cl;
namespace fs = std::filesystem;
using namespace gemma::fetch;

cl::OptionCategory what_cat("What to fetch");
cl::OptionCategory how_cat("How");

cl::opt<std::string> hf_repo(
    "hf-repo",
    cl::desc("Hugging Face repository ORG/NAME, with :QUANT to choose a GGUF "
             "quantization (default Q4_K_M, then Q8_0, then the only GGUF; a "
             "repository without GGUFs gives its safetensors checkpoint)"),
    cl::value_desc("org/name[:quant]"), cl::cat(what_cat));
cl::opt<std::string> hf_file("hf-file",
                             cl::desc("The file of --hf-repo to fetch (all "
                                      "parts of a split GGUF)"),
                             cl::value_desc("path"), cl::cat(what_cat));
cl::opt<std::string>
    revision("revision",
             cl::desc("Branch, tag or commit of --hf-repo; default main"),
             cl::init("main"), cl::cat(what_cat));
cl::opt<std::string> kaggle(
    "kaggle",
    cl::desc("Kaggle model OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION] (the "
             "latest version unless named), unpacked into kagglehub's cache"),
    cl::value_desc("handle"), cl::cat(what_cat));
cl::opt<int> kaggle_version(
    "kaggle-version",
    cl::desc("The version of --kaggle (as its handle's /VERSION)"), cl::init(0),
    cl::cat(what_cat));
cl::opt<std::string> search_hf("search-hf",
                               cl::desc("List Hugging Face models matching "
                                        "these words, most downloaded first"),
                               cl::value_desc("words"), cl::cat(what_cat));
cl::opt<std::string>
    search_kaggle("search-kaggle",
                  cl::desc("List Kaggle models matching these words"),
                  cl::value_desc("words"), cl::cat(what_cat));
cl::opt<int> limit("limit", cl::desc("Rows a search lists; default 20"),
                   cl::init(20), cl::cat(what_cat));

cl::opt<std::string> out_dir(
    "out",
    cl::desc("Also place the model in this folder (a hard link where it "
             "can, else a copy; an existing other file is never replaced) "
             "and print that path"),
    cl::value_desc("dir"), cl::cat(how_cat));
cl::opt<bool> offline("offline",
                      cl::desc("Use the cache only: no network at all"),
                      cl::cat(how_cat));
cl::opt<int> retries("retries",
                     cl::desc("Tries after a dropped connection, 429 or 5xx "
                              "(with backoff, honouring Retry-After); "
                              "default 5"),
                     cl::init(5), cl::cat(how_cat));
cl::opt<int> stall_timeout("stall-timeout",
                           cl::desc("Seconds without a byte before a "
                                    "transfer is retried; default 60"),
                           cl::init(60), cl::cat(how_cat));

constexpr const char *kTool = "gemma-fetch";

int Fail(const absl::Status &status) {
  return gemma::ReportError(kTool, std::string(status.message()));
}

HttpOptions Options() {
  HttpOptions options;
  options.retries = retries;
  options.stall_seconds = stall_timeout;
  return options;
}

// The credential header for requests to `endpoint`'s origin and no other
// (none when `header` is empty).
std::vector<Credential> OnlyFor(const std::string &endpoint,
                                const std::string &header) {
  if (header.empty())
    return {};
  return {{OriginOf(endpoint), header}};
}

std::string Bearer(const std::string &token) {
  return token.empty() ? "" : "Authorization: Bearer " + token;
}

// Prints the path the user runs (after --out's placing), last on stdout.
int Done(const fs::path &path, bool is_directory) {
  fs::path result = path;
  if (!out_dir.empty()) {
    const fs::path target =
        is_directory ? fs::path(out_dir.getValue())
                     : fs::path(out_dir.getValue()) / path.filename();
    absl::Status placed =
        is_directory ? PlaceTree(path, target) : PlaceFile(path, target);
    if (!placed.ok())
      return Fail(placed);
    result = target;
  }
  std::printf("%s\n", result.c_str());
  return 0;
}

// Every file under a cached snapshot, as repository paths.
std::vector<std::string> SnapshotFiles(const fs::path &snapshot) {
  std::vector<std::string> files;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(snapshot, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error))
    if (!it->is_directory(error))
      // (Lexically: fs::relative would follow the links into blobs/.)
      files.push_back(it->path().lexically_relative(snapshot).string());
  std::sort(files.begin(), files.end());
  return files;
}

// The pick from the cache alone (--offline, or the network is down).
absl::StatusOr<std::pair<std::string, Pick>>
PickCached(const RepoCache &cache, const std::string &repo,
           const std::string &quant) {
  std::optional<std::string> commit = IsCommitHash(revision)
                                          ? std::optional(revision.getValue())
                                          : cache.ReadRef(revision);
  std::error_code error;
  if (!commit || !fs::is_directory(cache.Snapshot(*commit, ""), error))
    return absl::NotFoundError(fmt::format(
        "{} at {} is not in the cache ({}): fetch it once without --offline",
        repo, revision.getValue(), cache.dir().string()));
  absl::StatusOr<Pick> pick = PickFiles(
      SnapshotFiles(cache.Snapshot(*commit, "")), repo, quant, hf_file);
  if (!pick.ok())
    return absl::NotFoundError(
        fmt::format("in the cache: {}", std::string(pick.status().message())));
  for (const std::string &file : pick->files)
    if (!fs::exists(cache.Snapshot(*commit, file), error))
      return absl::NotFoundError(fmt::format(
          "{} of {} is not in the cache: fetch it without --offline", file,
          repo));
  return std::make_pair(*commit, *pick);
}

absl::StatusOr<std::pair<std::string, Pick>>
FetchHub(const RepoCache &cache, const std::string &repo,
         const std::string &quant) {
  const std::string endpoint = HubEndpoint(), token = HubToken();
  HttpClient client(Options(), OnlyFor(endpoint, Bearer(token)));
  Hub hub(client, endpoint, !token.empty());
  absl::StatusOr<std::string> commit = hub.ResolveCommit(repo, revision);
  if (!commit.ok())
    return commit.status();
  absl::StatusOr<std::vector<std::string>> files = hub.ListFiles(repo, *commit);
  if (!files.ok())
    return files.status();
  absl::StatusOr<Pick> pick = PickFiles(*files, repo, quant, hf_file);
  if (!pick.ok())
    return pick.status();
  for (const std::string &file : pick->files)
    if (absl::Status fetched = hub.Download(repo, *commit, file, cache);
        !fetched.ok())
      return fetched;
  if (!IsCommitHash(revision))
    if (absl::Status written = cache.WriteRef(revision, *commit); !written.ok())
      return written;
  return std::make_pair(*commit, *pick);
}

// HF_HUB_OFFLINE, huggingface_hub's switch for --offline: 1, true, yes, on.
bool HubOfflineFromEnvironment() {
  const char *value = std::getenv("HF_HUB_OFFLINE");
  if (!value)
    return false;
  std::string lower = value;
  for (char &c : lower)
    c = char(std::tolower(static_cast<unsigned char>(c)));
  return lower == "1" || lower == "true" || lower == "yes" || lower == "on";
}

int RunHub() {
  std::string repo = hf_repo, quant;
  if (const size_t colon = repo.find(':'); colon != std::string::npos) {
    quant = repo.substr(colon + 1);
    repo.resize(colon);
  }
  if (!IsValidRepoId(repo))
    return gemma::ReportError(
        kTool, fmt::format("--hf-repo '{}' is not ORG/NAME[:QUANT]",
                           hf_repo.getValue()));
  if (!quant.empty() && !hf_file.empty())
    return gemma::ReportError(kTool, "give :QUANT or --hf-file, not both");
  if (!IsSafeRepoPath(revision) ||
      (!hf_file.empty() && !IsSafeRepoPath(hf_file)))
    return gemma::ReportError(kTool,
                              "--revision and --hf-file must be relative "
                              "paths without '.' or '..' parts");
  const RepoCache cache(HubCacheRoot(), repo);
  const bool cache_only = offline || HubOfflineFromEnvironment();
  absl::StatusOr<std::pair<std::string, Pick>> got =
      cache_only ? PickCached(cache, repo, quant)
                 : FetchHub(cache, repo, quant);
  if (!cache_only && absl::IsUnavailable(got.status())) {
    // No network: what the cache holds for the same request will do.
    absl::StatusOr<std::pair<std::string, Pick>> cached =
        PickCached(cache, repo, quant);
    if (!cached.ok())
      return Fail(got.status());
    std::fprintf(stderr, "gemma-fetch: %s; using the cached copy\n",
                 std::string(got.status().message()).c_str());
    got = std::move(cached);
  }
  if (!got.ok())
    return Fail(got.status());
  const auto &[commit, pick] = *got;
  if (pick.main_file.empty() && !out_dir.empty()) {
    // The picked files only: the snapshot may hold others another tool
    // fetched.
    for (const std::string &file : pick.files)
      if (absl::Status placed = PlaceFile(cache.Snapshot(commit, file),
                                          fs::path(out_dir.getValue()) / file);
          !placed.ok())
        return Fail(placed);
    std::printf("%s\n", out_dir.c_str());
    return 0;
  }
  if (pick.main_file.empty())
    return Done(cache.Snapshot(commit, ""), /*is_directory=*/true);
  if (pick.files.size() > 1 && !out_dir.empty())
    for (size_t i = 1; i < pick.files.size(); ++i)
      if (absl::Status placed =
              PlaceFile(cache.Snapshot(commit, pick.files[i]),
                        fs::path(out_dir.getValue()) /
                            fs::path(pick.files[i]).filename());
          !placed.ok())
        return Fail(placed);
  return Done(cache.Snapshot(commit, pick.main_file), /*is_directory=*/false);
}

int RunKaggle() {
  absl::StatusOr<KaggleHandle> handle = ParseKaggleHandle(kaggle);
  if (!handle.ok())
    return Fail(handle.status());
  if (kaggle_version != 0) {
    if (kaggle_version < 0 ||
        (handle->version != 0 && handle->version != kaggle_version))
      return gemma::ReportError(kTool,
                                "--kaggle-version must be a positive number "
                                "agreeing with the handle's /VERSION");
    handle->version = kaggle_version;
  }
  if (offline) {
    const fs::path cached = CachedKaggleVersion(*handle);
    if (cached.empty())
      return gemma::ReportError(
          kTool, fmt::format("{} is not in the cache ({}): fetch it once "
                             "without --offline",
                             handle->Name(), KaggleCacheDir(*handle).string()));
    return Done(cached, /*is_directory=*/true);
  }
  absl::StatusOr<std::string> authorization = KaggleAuthorization();
  if (!authorization.ok())
    return Fail(authorization.status());
  const std::string endpoint = KaggleEndpoint();
  HttpClient client(Options(), OnlyFor(endpoint, *authorization));
  Kaggle api(client, endpoint, !authorization->empty());
  absl::StatusOr<fs::path> folder = absl::UnknownError("");
  if (handle->version == 0) {
    absl::StatusOr<int> latest = api.LatestVersion(*handle);
    if (latest.ok())
      handle->version = *latest;
    else
      folder = latest.status();
  }
  if (handle->version != 0)
    folder = api.Download(*handle);
  if (absl::IsUnavailable(folder.status())) {
    const fs::path cached = CachedKaggleVersion(*handle);
    if (cached.empty())
      return Fail(folder.status());
    std::fprintf(stderr, "gemma-fetch: %s; using the cached copy\n",
                 std::string(folder.status().message()).c_str());
    folder = cached;
  }
  if (!folder.ok())
    return Fail(folder.status());
  return Done(*folder, /*is_directory=*/true);
}

std::string Day(const std::string &timestamp) {
  return timestamp.size() >= 10 ? timestamp.substr(0, 10) : timestamp;
}

int RunSearchHub() {
  const std::string token = HubToken(), endpoint = HubEndpoint();
  HttpClient client(Options(), OnlyFor(endpoint, Bearer(token)));
  Hub hub(client, endpoint, !token.empty());
  absl::StatusOr<std::vector<HubModel>> models = hub.Search(search_hf, limit);
  if (!models.ok())
    return Fail(models.status());
  std::printf("%-48s %10s %6s %-10s %s\n", "MODEL", "DOWNLOADS", "LIKES",
              "UPDATED", "GGUF");
  for (const HubModel &m : *models)
    std::printf("%-48s %10lld %6lld %-10s %s\n",
                gemma::EscapeControlBytes(m.id).c_str(),
                static_cast<long long>(m.downloads),
                static_cast<long long>(m.likes),
                gemma::EscapeControlBytes(Day(m.last_modified)).c_str(),
                fmt::format("{}", fmt::join(m.quants, " ")).c_str());
  if (models->empty())
    std::fprintf(stderr, "gemma-fetch: no Hugging Face model matches '%s'\n",
                 search_hf.c_str());
  return 0;
}

int RunSearchKaggle() {
  absl::StatusOr<std::string> authorization = KaggleAuthorization();
  if (!authorization.ok())
    return Fail(authorization.status());
  const std::string endpoint = KaggleEndpoint();
  HttpClient client(Options(), OnlyFor(endpoint, *authorization));
  Kaggle api(client, endpoint, !authorization->empty());
  absl::StatusOr<std::vector<KaggleModel>> models =
      api.Search(search_kaggle, limit);
  if (!models.ok())
    return Fail(models.status());
  std::printf("%-40s %6s %-10s %s\n", "MODEL", "VOTES", "UPDATED", "TITLE");
  for (const KaggleModel &m : *models)
    std::printf("%-40s %6s %-10s %s\n",
                gemma::EscapeControlBytes(m.ref).c_str(),
                m.votes < 0 ? "-" : std::to_string(m.votes).c_str(),
                gemma::EscapeControlBytes(Day(m.updated)).c_str(),
                gemma::EscapeControlBytes(m.title).c_str());
  if (models->empty())
    std::fprintf(stderr, "gemma-fetch: no Kaggle model matches '%s'\n",
                 search_kaggle.c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (!gemma::ParseToolFlags(
          argc, argv, kTool, {&what_cat, &how_cat},
          "gemma-fetch: models from Hugging Face and Kaggle into the shared "
          "caches, resumable and checked; prints the local path last\n",
          {{"hf", "use --hf-repo ORG/NAME[:QUANT]"},
           {"hf-token", "set HF_TOKEN in the environment"},
           {"local-dir", "use --out DIR"}}))
    return 1;
  const int modes = int(!hf_repo.empty()) + int(!kaggle.empty()) +
                    int(!search_hf.empty()) + int(!search_kaggle.empty());
  if (modes != 1)
    return gemma::ReportError(kTool,
                              "give exactly one of --hf-repo, --kaggle, "
                              "--search-hf, --search-kaggle (see --help)");
  if (limit < 1 || limit > 1000)
    return gemma::ReportError(kTool, "--limit must be 1 to 1000");
  if (retries < 0 || retries > 100 || stall_timeout < 1)
    return gemma::ReportError(
        kTool, "--retries must be 0 to 100 and --stall-timeout at least 1");
  if (offline && (!search_hf.empty() || !search_kaggle.empty()))
    return gemma::ReportError(kTool,
                              "a search needs the network: drop --offline");
  if (!hf_repo.empty())
    return RunHub();
  if (!kaggle.empty())
    return RunKaggle();
  return search_hf.empty() ? RunSearchKaggle() : RunSearchHub();
}
