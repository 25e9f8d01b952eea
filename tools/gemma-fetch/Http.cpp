//===- Http.cpp - One HTTP exchange through libcurl, with retries ---------===//

#include "tools/gemma-fetch/Http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <thread>

namespace gemma::fetch {
namespace {

constexpr int kMaxRedirects = 10;
constexpr size_t kMaxKeptBody = 8 << 20; // an API answer, not a weight file
constexpr double kMaxBackoffSeconds = 30;
constexpr double kMaxRetryAfterSeconds = 300;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return text;
}

std::string Trim(std::string_view text) {
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return std::string(text);
}

// What one try collects while libcurl runs.
struct Exchange {
  const HttpRequest *request;
  HttpResponse response;
  bool sink_failed = false;
};

size_t OnHeader(char *data, size_t size, size_t count, void *user) {
  auto &exchange = *static_cast<Exchange *>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new response (an interim 100 comes first): forget its headers.
    exchange.response.headers.clear();
    const size_t space = line.find(' ');
    exchange.response.status =
        space == std::string_view::npos
            ? 0
            : std::strtol(std::string(line.substr(space + 1, 3)).c_str(),
                          nullptr, 10);
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos)
    exchange.response.headers[Lower(std::string(line.substr(0, colon)))] =
        Trim(line.substr(colon + 1));
  return size * count;
}

size_t OnBody(char *data, size_t size, size_t count, void *user) {
  auto &exchange = *static_cast<Exchange *>(user);
  const size_t bytes = size * count;
  const long status = exchange.response.status;
  // Only a 200's or 206's body goes to the sink: an error page (or a 203's
  // transformed body) must never land in a weight file.
  if (exchange.request->sink && (status == 200 || status == 206)) {
    if (!exchange.request->sink(exchange.response, data, bytes)) {
      exchange.sink_failed = true;
      return 0;
    }
    return bytes;
  }
  std::string &body = exchange.response.body;
  body.append(data, std::min(bytes, kMaxKeptBody -
                                        std::min(kMaxKeptBody, body.size())));
  return bytes;
}

bool IsRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

bool IsRetryableStatus(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

bool IsRetryableError(CURLcode code) {
  switch (code) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_SSL_CONNECT_ERROR:
    return true;
  default:
    return false;
  }
}

// Seconds a Retry-After header asks for (a count or an HTTP date), or -1.
double RetryAfterSeconds(const HttpResponse &response) {
  const auto it = response.headers.find("retry-after");
  if (it == response.headers.end() || it->second.empty())
    return -1;
  const std::string &value = it->second;
  if (std::all_of(value.begin(), value.end(),
                  [](unsigned char c) { return std::isdigit(c); }))
    return std::min(kMaxRetryAfterSeconds, std::strtod(value.c_str(), nullptr));
  const time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0)
    return -1;
  return std::clamp(double(when - std::time(nullptr)), 0.0,
                    kMaxRetryAfterSeconds);
}

void Sleep(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

} // namespace

absl::Status AnswerStatus(const HttpResponse &response, std::string message) {
  if (response.status == 429 || response.status >= 500)
    return absl::UnavailableError(std::move(message));
  return absl::NotFoundError(std::move(message));
}

std::string OriginOf(const std::string &url) {
  CURLU *parsed = curl_url();
  std::string origin;
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char *scheme = nullptr, *host = nullptr, *port = nullptr;
    if (curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
            CURLUE_OK)
      origin = Lower(fmt::format("{}://{}:{}", scheme, host, port));
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(parsed);
  return origin;
}

std::string ResolveUrl(const std::string &base, const std::string &location) {
  CURLU *parsed = curl_url();
  std::string resolved = location;
  char *out = nullptr;
  if (curl_url_set(parsed, CURLUPART_URL, base.c_str(), 0) == CURLUE_OK &&
      curl_url_set(parsed, CURLUPART_URL, location.c_str(), 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_URL, &out, 0) == CURLUE_OK)
    resolved = out;
  curl_free(out);
  curl_url_cleanup(parsed);
  return resolved;
}

std::string UrlEncode(const std::string &text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += char(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

HttpClient::HttpClient(HttpOptions options, std::vector<Credential> credentials)
    : options_(options), credentials_(std::move(credentials)) {
  static CurlGlobal global;
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL *>(curl_)); }

absl::StatusOr<HttpResponse> HttpClient::SendOnce(const HttpRequest &request,
                                                  const std::string &url,
                                                  bool &retry) {
  CURL *curl = static_cast<CURL *>(curl_);
  curl_easy_reset(curl);
  Exchange exchange{&request, {}, false};
  curl_slist *headers = nullptr;
  for (const std::string &header : request.headers)
    headers = curl_slist_append(headers, header.c_str());
  const std::string origin = OriginOf(url);
  for (const Credential &credential : credentials_)
    if (!origin.empty() && credential.origin == origin)
      headers = curl_slist_append(headers, credential.header.c_str());
  std::string range;
  if (request.range_from >= 0) {
    range = fmt::format("Range: bytes={}-", request.range_from);
    headers = curl_slist_append(headers, range.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "gemma-fetch/1");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   long(options_.connect_seconds));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, long(options_.stall_seconds));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  if (request.method == "HEAD")
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  retry = false;
  if (exchange.sink_failed)
    return absl::AbortedError("the download stopped: writing it failed");
  if (code != CURLE_OK) {
    retry = IsRetryableError(code);
    const std::string host = OriginOf(url);
    std::string reason = error[0] ? error : curl_easy_strerror(code);
    if (code == CURLE_COULDNT_RESOLVE_HOST)
      reason += " (no network, or a wrong host name?)";
    else if (code == CURLE_OPERATION_TIMEDOUT)
      reason =
          fmt::format("no data for {} s ({})", options_.stall_seconds, reason);
    return absl::UnavailableError(
        fmt::format("{}: {}", host.empty() ? url : host, reason));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  exchange.response.status = status;
  exchange.response.url = url;
  retry = IsRetryableStatus(status);
  return std::move(exchange.response);
}

absl::StatusOr<HttpResponse> HttpClient::Send(HttpRequest request) {
  std::string url = request.url;
  std::vector<long> hops;
  for (int attempt = 0;;) {
    if (request.before_try)
      request.before_try(request);
    bool retry = false;
    absl::StatusOr<HttpResponse> response = SendOnce(request, url, retry);
    if (response.ok() && request.follow_redirects &&
        IsRedirect(response->status) && response->headers.count("location")) {
      if (hops.size() >= size_t(kMaxRedirects))
        return absl::UnavailableError(
            fmt::format("{}: more than {} redirects", url, kMaxRedirects));
      hops.push_back(response->status);
      url = ResolveUrl(url, response->headers["location"]);
      // libcurl could fetch file:// or others where a server points; a
      // download only ever goes to http(s).
      if (!url.starts_with("http://") && !url.starts_with("https://"))
        return absl::DataLossError(
            fmt::format("{} redirected to '{}', which is not http(s)",
                        OriginOf(request.url), url));
      continue; // a redirect is not a try
    }
    if (!retry || attempt >= options_.retries) {
      if (response.ok())
        response->hops = std::move(hops);
      return response;
    }
    double wait =
        std::min(kMaxBackoffSeconds,
                 std::ldexp(options_.backoff_seconds, std::min(attempt, 8)));
    if (response.ok())
      if (const double asked = RetryAfterSeconds(*response); asked >= 0)
        wait = asked;
    ++attempt;
    const std::string why =
        response.ok()
            ? fmt::format("{} answered {}", OriginOf(url), response->status)
            : std::string(response.status().message());
    std::fprintf(stderr, "gemma-fetch: %s; retry %d of %d in %.0f s\n",
                 why.c_str(), attempt, options_.retries, wait);
    Sleep(wait);
    // The original URL again: a signed CDN link may have expired.
    url = request.url;
    hops.clear();
  }
}

} // namespace gemma::fetch
