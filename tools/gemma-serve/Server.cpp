//===- Server.cpp - gemma-serve's HTTP endpoints --------------------------===//

#include "tools/gemma-serve/Server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>

namespace gemma::serve {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// One request's ids as the engine makes them, for its HTTP thread.
struct Channel {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<int32_t> ids; // not yet taken
  // With logprobs asked for, one per id of `ids`, in order.
  std::vector<TokenLogprobs> logprobs;
  bool done = false;
  GenerationResult result;
  std::atomic<bool> cancelled{false};
};

// Counts a completion request as being answered while it lives (a
// streamed one until its last chunk is written).
struct InFlight {
  explicit InFlight(std::atomic<int> &n) : n(n) { ++n; }
  ~InFlight() { --n; }
  std::atomic<int> &n;
};

void SendError(httplib::Response &res, const ApiError &error) {
  res.status = error.status;
  res.set_content(ErrorBody(error), "application/json");
}

// Equal strings, in time that does not depend on where they differ.
bool SameKey(const std::string &a, const std::string &b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    diff |= static_cast<unsigned char>((i < a.size() ? a[i] : 0) ^
                                       (i < b.size() ? b[i] : 0));
  return diff == 0;
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

struct Server::Shared {
  std::string api_key;
  std::atomic<bool> ready{false}, draining{false};
  LoadedModel model;
  std::atomic<int> in_flight{0}; // completion requests being answered
  std::atomic<uint64_t> next_id{1};
  mutable std::mutex counts_mutex;
  std::map<std::pair<std::string, int>, uint64_t> responses; // path, status
  std::mt19937_64 seeds{std::random_device()()};
  std::mutex seeds_mutex;

  uint64_t Seed() {
    std::lock_guard<std::mutex> lock(seeds_mutex);
    return seeds();
  }
  void Count(const std::string &path, int status) {
    std::lock_guard<std::mutex> lock(counts_mutex);
    ++responses[{path, status}];
  }
  // 401 unless the request carries the key (when there is one).
  bool Authorized(const httplib::Request &req, httplib::Response &res) {
    if (api_key.empty())
      return true;
    const std::string header = req.get_header_value("Authorization");
    const std::string bearer = "Bearer ";
    if (header.size() > bearer.size() && header.starts_with(bearer) &&
        SameKey(header.substr(bearer.size()), api_key))
      return true;
    SendError(res, {401,
                    "a missing or wrong API key (send 'Authorization: "
                    "Bearer KEY')",
                    "authentication_error", "invalid_api_key", ""});
    return false;
  }
  // The prompt's ids, or the error that refuses it.
  std::variant<std::vector<int32_t>, ApiError>
  PromptIds(const CompletionParams &params) const;
  void Complete(const httplib::Request &req, httplib::Response &res, bool chat);
  std::string Metrics() const;
};

std::variant<std::vector<int32_t>, ApiError>
Server::Shared::PromptIds(const CompletionParams &params) const {
  const SentencePieceTokenizer &tokenizer = *model.tokenizer;
  std::vector<int32_t> ids;
  if (params.chat) {
    if (model.chat_format == ChatFormat::kNone)
      return ApiError{400,
                      fmt::format("{} has no chat template (a base, "
                                  "pretrained model): use /v1/completions, "
                                  "or start the server with --chat-template "
                                  "gemma",
                                  model.served.id),
                      "invalid_request_error", "", "messages"};
    std::string error;
    ids = WrapConversation(tokenizer, model.chat_format, model.bos_id,
                           params.messages, &error);
    if (ids.empty())
      return ApiError{400, error, "invalid_request_error", "", "messages"};
  } else if (params.prompt_is_ids) {
    ids = params.prompt_ids;
  } else {
    ids.push_back(model.bos_id);
    for (int id : tokenizer.Encode(params.prompt))
      ids.push_back(int32_t(id));
  }
  if (ids.size() >= model.served.context)
    return ApiError{400,
                    fmt::format("the prompt is {} tokens: the context holds "
                                "{} positions, and one more is needed for "
                                "the answer",
                                ids.size(), model.served.context),
                    "invalid_request_error", "context_length_exceeded",
                    params.chat ? "messages" : "prompt"};
  return ids;
}

namespace {

using Emit = std::function<bool(const std::string &piece,
                                std::span<const TokenLogprobs> logprobs)>;

// Feeds the channel's ids through `text` as they come, handing each
// piece to `emit` (false: the client is gone) with the logprobs of the ids
// since the last piece. Returns when the engine is done with the request,
// with the logprobs of ids whose text was still held back; stops it early
// on a stop string or a lost client. `alive` is polled while no id comes.
std::vector<TokenLogprobs> Pump(Channel &channel, TextStream &text,
                                const Emit &emit,
                                const std::function<bool()> &alive) {
  std::vector<int32_t> ids;
  std::vector<TokenLogprobs> logprobs, pending;
  for (;;) {
    bool done = false;
    {
      std::unique_lock<std::mutex> lock(channel.mutex);
      channel.cv.wait_for(lock, std::chrono::milliseconds(200),
                          [&] { return channel.done || !channel.ids.empty(); });
      ids.swap(channel.ids);
      logprobs.swap(channel.logprobs);
      done = channel.done;
    }
    for (size_t k = 0; k < ids.size(); ++k) {
      if (text.stopped())
        break;
      if (k < logprobs.size())
        pending.push_back(std::move(logprobs[k]));
      const std::string piece = text.Add(ids[k]);
      if (!piece.empty()) {
        if (!emit(piece, pending))
          channel.cancelled = true;
        pending.clear();
      }
      if (text.stopped())
        channel.cancelled = true;
    }
    ids.clear();
    logprobs.clear();
    if (done)
      return pending;
    if (!alive())
      channel.cancelled = true;
  }
}

std::string Sse(const json &j) { return "data: " + Dump(j) + "\n\n"; }

// The engine's request for `params`, its ids and logprobs going to
// `channel` as they come, and its end.
GenerationRequest RequestInto(const std::shared_ptr<Channel> &channel,
                              const CompletionParams &params,
                              std::vector<int32_t> ids, int max_tokens) {
  GenerationRequest request;
  request.prompt = std::move(ids);
  request.sampling = params.sampling;
  request.max_tokens = max_tokens;
  request.ignore_eos = params.ignore_eos;
  // A token's logprobs come just before it (both on the engine's thread)
  // and join the channel with it, under one lock: the reader never sees
  // one without the other.
  auto held = std::make_shared<std::optional<TokenLogprobs>>();
  if (params.logprobs >= 0) {
    request.top_logprobs = params.logprobs;
    request.on_logprobs = [held](const TokenLogprobs &logprobs) {
      *held = logprobs;
    };
  }
  request.on_token = [channel, held](int32_t id) {
    {
      std::lock_guard<std::mutex> lock(channel->mutex);
      channel->ids.push_back(id);
      if (*held) {
        channel->logprobs.push_back(std::move(**held));
        held->reset();
      }
    }
    channel->cv.notify_one();
    return !channel->cancelled.load();
  };
  request.on_done = [channel](const GenerationResult &result) {
    {
      std::lock_guard<std::mutex> lock(channel->mutex);
      channel->done = true;
      channel->result = result;
    }
    channel->cv.notify_one();
  };
  return request;
}

} // namespace

void Server::Shared::Complete(const httplib::Request &req,
                              httplib::Response &res, bool chat) {
  auto in_flight_token = std::make_shared<InFlight>(in_flight);
  if (!Authorized(req, res))
    return;
  if (!ready || draining) {
    res.set_header("Retry-After", "1");
    return SendError(
        res,
        {503, ready ? "the server is shutting down" : "the model is loading",
         "server_error", "unavailable", ""});
  }
  std::variant<CompletionParams, ApiError> parsed =
      ParseCompletion(req.body, chat, model.served, Seed());
  if (const ApiError *e = std::get_if<ApiError>(&parsed))
    return SendError(res, *e);
  auto params = std::make_shared<CompletionParams>(
      std::get<CompletionParams>(std::move(parsed)));
  std::variant<std::vector<int32_t>, ApiError> prompt = PromptIds(*params);
  if (const ApiError *e = std::get_if<ApiError>(&prompt))
    return SendError(res, *e);
  std::vector<int32_t> &ids = std::get<std::vector<int32_t>>(prompt);
  const int room = int(model.served.context - ids.size());
  const int max_tokens = std::min(params->max_tokens.value_or(room), room);

  auto channel = std::make_shared<Channel>();
  GenerationRequest request =
      RequestInto(channel, *params, std::move(ids), max_tokens);
  if (absl::Status s = model.engine->Submit(std::move(request)); !s.ok()) {
    const bool busy = s.code() == absl::StatusCode::kResourceExhausted ||
                      s.code() == absl::StatusCode::kUnavailable;
    if (busy)
      res.set_header("Retry-After", "1");
    return SendError(res, {busy ? 503 : 400, std::string(s.message()),
                           busy ? "server_error" : "invalid_request_error",
                           busy ? "unavailable" : "", ""});
  }

  const std::string id =
      fmt::format("{}-{}", chat ? "chatcmpl" : "cmpl", next_id++);
  const int64_t created = UnixNow();
  const std::string name = model.served.id;
  auto text = std::make_shared<TextStream>(*model.tokenizer, params->stop);
  const SentencePieceTokenizer *tokenizer = model.tokenizer;
  const TokenText text_of = [tokenizer](int32_t token) {
    return TokenPieceText(*tokenizer, token);
  };
  if (!params->stream) {
    std::string answer;
    std::vector<TokenLogprobs> logprobs;
    const std::vector<TokenLogprobs> held = Pump(
        *channel, *text,
        [&](const std::string &piece, std::span<const TokenLogprobs> some) {
          answer += piece;
          logprobs.insert(logprobs.end(), some.begin(), some.end());
          return true;
        },
        [] { return true; });
    logprobs.insert(logprobs.end(), held.begin(), held.end());
    answer += text->Finish();
    const GenerationResult &result = channel->result;
    if (result.finish == FinishReason::kError)
      return SendError(res, {500, std::string(result.status.message()),
                             "server_error", "", ""});
    const char *finish =
        text->stopped() ? "stop" : FinishName(channel->result.finish);
    res.set_content(
        Dump(CompletionBody(*params, id, name, created, answer, finish, result,
                            LogprobsJson(*params, logprobs, text_of))),
        "application/json");
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [=](size_t, httplib::DataSink &sink) {
        const auto write = [&](const std::string &s) {
          return sink.write(s.data(), s.size());
        };
        if (chat && !write(Sse(ChunkBody(*params, id, name, created, "",
                                         nullptr, nullptr)))) {
          channel->cancelled = true;
          return false;
        }
        size_t sent = 0; // characters of text, for the completions' offsets
        const std::vector<TokenLogprobs> held = Pump(
            *channel, *text,
            [&](const std::string &piece, std::span<const TokenLogprobs> some) {
              const bool ok = write(Sse(
                  ChunkBody(*params, id, name, created, piece, nullptr, nullptr,
                            LogprobsJson(*params, some, text_of, sent))));
              sent += CodePoints(piece);
              return ok;
            },
            [&] { return sink.is_writable(); });
        if (channel->cancelled && !text->stopped())
          return false; // the client went away
        const std::string tail = text->Finish();
        // (Logprobs of tokens whose text a stop string cut still go out.)
        if (!tail.empty() || (params->logprobs >= 0 && !held.empty()))
          write(
              Sse(ChunkBody(*params, id, name, created, tail, nullptr, nullptr,
                            LogprobsJson(*params, held, text_of, sent))));
        const GenerationResult &result = channel->result;
        if (result.finish == FinishReason::kError) {
          write(Sse(ErrorJson({500, std::string(result.status.message()),
                               "server_error", "", ""})));
        } else {
          const char *finish =
              text->stopped() ? "stop" : FinishName(result.finish);
          write(Sse(ChunkBody(*params, id, name, created, "", finish,
                              params->include_usage ? nullptr : &result)));
          if (params->include_usage) {
            json usage =
                ChunkBody(*params, id, name, created, "", nullptr, &result);
            usage["choices"] = json::array();
            write(Sse(usage));
          }
        }
        write("data: [DONE]\n\n");
        sink.done();
        return true;
      },
      [channel, in_flight_token](bool) { channel->cancelled = true; });
}

std::string Server::Shared::Metrics() const {
  std::string out;
  const auto metric = [&](const char *name, const char *type, const char *help,
                          double value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name,
                       type, name, value);
  };
  EngineMetrics m;
  if (ready)
    m = model.engine->Metrics();
  metric("gemma_requests_total", "counter",
         "Completion requests accepted by the engine.", double(m.requests));
  metric("gemma_requests_rejected_total", "counter",
         "Completion requests refused with 503 because the queue was full.",
         double(m.rejected));
  metric("gemma_prompt_tokens_total", "counter", "Prompt tokens accepted.",
         double(m.prompt_tokens));
  metric("gemma_prompt_tokens_cached_total", "counter",
         "Prompt tokens reused from the prefix cache, not prefilled.",
         double(m.cached_tokens));
  metric("gemma_completion_tokens_total", "counter", "Tokens generated.",
         double(m.completion_tokens));
  metric("gemma_queue_depth", "gauge", "Requests waiting for a sequence.",
         double(m.queued));
  metric("gemma_active_sequences", "gauge", "Sequences being generated.",
         double(m.active));
  metric("gemma_parallel_sequences", "gauge",
         "Sequences one decode step runs (--parallel).", double(m.parallel));
  metric("gemma_kv_cache_used_ratio", "gauge",
         "Positions of the KV cache the active sequences hold.",
         m.kv_positions ? double(m.kv_positions_used) / double(m.kv_positions)
                        : 0.0);
  metric("gemma_prefill_tokens_per_second", "gauge",
         "Prefilled tokens over the time spent prefilling.",
         m.prefill_seconds > 0 ? double(m.prefill_tokens) / m.prefill_seconds
                               : 0.0);
  metric("gemma_decode_tokens_per_second", "gauge",
         "Generated tokens over the time spent in decode steps.",
         m.decode_seconds > 0 ? double(m.completion_tokens) / m.decode_seconds
                              : 0.0);
  out += "# HELP gemma_http_responses_total HTTP responses by path and "
         "status.\n# TYPE gemma_http_responses_total counter\n";
  std::lock_guard<std::mutex> lock(counts_mutex);
  for (const auto &[key, count] : responses)
    out += fmt::format(
        "gemma_http_responses_total{{path=\"{}\",status=\"{}\"}} {}\n",
        key.first, key.second, count);
  return out;
}

Server::Server(ServerOptions options)
    : options_(std::move(options)), http_(std::make_unique<httplib::Server>()),
      shared_(std::make_shared<Shared>()) {
  shared_->api_key = options_.api_key;
  Route();
}

Server::~Server() { Stop(0); }

void Server::Route() {
  httplib::Server &http = *http_;
  std::shared_ptr<Shared> shared = shared_;
  http.set_payload_max_length(options_.max_body);
  // SO_REUSEADDR only: the library's default adds SO_REUSEPORT, with which
  // a second server on a busy port binds too and takes half its requests.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  const int threads = options_.http_threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_logger(
      [shared](const httplib::Request &req, const httplib::Response &res) {
        shared->Count(req.path, res.status);
      });
  http.set_error_handler(
      [](const httplib::Request &req, httplib::Response &res) {
        if (!res.body.empty())
          return;
        ApiError e{res.status,
                   res.status == 404
                       ? fmt::format("no endpoint {} {}", req.method, req.path)
                       : fmt::format("HTTP {}", res.status),
                   "invalid_request_error", "", ""};
        if (res.status == 413)
          e.message = "the request body is too large";
        res.set_content(ErrorBody(e), "application/json");
      });
  http.Get("/health", [shared](const httplib::Request &,
                               httplib::Response &res) {
    res.status = shared->ready ? 200 : 503;
    res.set_content(Dump(json({{"status", shared->ready ? "ok" : "loading"}})),
                    "application/json");
  });
  http.Get("/metrics",
           [shared](const httplib::Request &req, httplib::Response &res) {
             if (shared->Authorized(req, res))
               res.set_content(shared->Metrics(), "text/plain; version=0.0.4");
           });
  http.Get("/v1/models",
           [shared](const httplib::Request &req, httplib::Response &res) {
             if (!shared->Authorized(req, res))
               return;
             json data = json::array();
             if (shared->ready)
               data.push_back({{"id", shared->model.served.id},
                               {"object", "model"},
                               {"created", UnixNow()},
                               {"owned_by", "gemma-serve"}});
             res.set_content(Dump(json({{"object", "list"}, {"data", data}})),
                             "application/json");
           });
  http.Post("/v1/chat/completions",
            [shared](const httplib::Request &req, httplib::Response &res) {
              shared->Complete(req, res, /*chat=*/true);
            });
  http.Post("/v1/completions",
            [shared](const httplib::Request &req, httplib::Response &res) {
              shared->Complete(req, res, /*chat=*/false);
            });
}

absl::Status Server::Start() {
  if (options_.port == 0)
    port_ = http_->bind_to_any_port(options_.host);
  else if (http_->bind_to_port(options_.host, options_.port))
    port_ = options_.port;
  if (port_ <= 0)
    return absl::UnavailableError(fmt::format("cannot listen on {}:{}: {}",
                                              options_.host, options_.port,
                                              std::strerror(errno)));
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return absl::OkStatus();
}

void Server::Ready(const LoadedModel &model) {
  shared_->model = model;
  shared_->ready = true;
}

void Server::BeginDrain() { shared_->draining = true; }

void Server::Stop(double seconds) {
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(seconds));
  while (shared_->in_flight > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (http_->is_running() || thread_.joinable())
    http_->stop();
  if (thread_.joinable())
    thread_.join();
}

} // namespace gemma::serve
