//===- Http.h - One HTTP exchange through libcurl, with retries -*- C++ -*-===//
//
// gemma-fetch's only door to the network. Redirects are followed here, not
// by libcurl, for two reasons: the Hub's metadata (commit, linked ETag and
// size) rides on the 302 itself, and a token may go only to the origin it
// belongs to (a CDN on another host must never see it).
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_HTTP_H
#define TOOLS_GEMMA_FETCH_HTTP_H

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace gemma::fetch {

// The transfer settings every request shares (gemma-fetch's flags).
struct HttpOptions {
  int retries = 5;          // further tries after a connection error, 429, 5xx
  int stall_seconds = 60;   // abort a transfer that moves no byte this long
  int connect_seconds = 30; // per connection attempt
  double backoff_seconds = 1; // first wait between tries; doubles, at most 30
};

// Where a credential may go: requests whose origin (scheme, host, port) is
// `origin` carry `header` ("Authorization: ..."); any other origin gets
// nothing.
struct Credential {
  std::string origin;
  std::string header;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers; // names in lower case
  std::string body;                           // unless a sink took it
  std::string url;        // the URL that answered (after redirects)
  std::vector<long> hops; // statuses of the redirects followed, in order
};

// Receives the body of a 200 or 206 as it arrives, with the response's
// status and headers (a 200 answering a Range request starts over, a 206
// says where its bytes start); returning false aborts the transfer (a disk
// error, a wrong Content-Range: the sink keeps its own message).
using BodySink = std::function<bool(const HttpResponse &head, const char *data,
                                    size_t size)>;

struct HttpRequest {
  std::string method = "GET"; // GET or HEAD
  std::string url;
  std::vector<std::string> headers; // "Name: value"
  int64_t range_from = -1;          // Range: bytes=N- when >= 0
  bool follow_redirects = true;
  BodySink sink; // else the body is kept in the response
  // Called before each try of the request (the sink's owner resets a
  // partial body; a resumed download asks again from its new length).
  std::function<void(HttpRequest &)> before_try;
};

// A refusal `response` (explained by `message`) as a status: an outage
// left after the retries (429, 5xx) is Unavailable, so the caller may
// answer from its cache as when the network is down; anything else
// NotFound.
absl::Status AnswerStatus(const HttpResponse &response, std::string message);

// The origin of a URL: "scheme://host:port" (port made explicit).
std::string OriginOf(const std::string &url);

// `location` resolved against `base` (absolute, or relative to it).
std::string ResolveUrl(const std::string &base, const std::string &location);

// Percent-encodes `text` for a query value or one path segment.
std::string UrlEncode(const std::string &text);

class HttpClient {
public:
  HttpClient(HttpOptions options, std::vector<Credential> credentials);
  ~HttpClient();
  HttpClient(const HttpClient &) = delete;
  HttpClient &operator=(const HttpClient &) = delete;

  // One request: redirects followed (at most 10, to http or https only),
  // retried with backoff on
  // connection errors, 429 and 5xx (Retry-After honoured, seconds or a
  // date). Returns the final answer whatever its status; an error only
  // when no answer came (the message names the host and libcurl's reason).
  absl::StatusOr<HttpResponse> Send(HttpRequest request);

  const HttpOptions &options() const { return options_; }

private:
  absl::StatusOr<HttpResponse> SendOnce(const HttpRequest &request,
                                        const std::string &url, bool &retry);

  HttpOptions options_;
  std::vector<Credential> credentials_;
  void *curl_ = nullptr; // one easy handle: connections are reused
};

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_HTTP_H
