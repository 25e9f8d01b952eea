//===- Server.h - gemma-serve's HTTP endpoints ------------------*- C++ -*-===//
//
// OpenAI's endpoints over cpp-httplib: POST /v1/chat/completions and
// /v1/completions (whole, or streamed as server-sent events ending in
// `data: [DONE]`), GET /v1/models, /health (503 while the model loads)
// and /metrics (Prometheus text). The server listens before the model is
// loaded, so that /health can say so; requests go to a BatchEngine, and
// each one's text is made on its own HTTP thread as its ids arrive.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_SERVE_SERVER_H
#define TOOLS_GEMMA_SERVE_SERVER_H

#include "runtime/exec/BatchEngine.h"
#include "runtime/formats/ModelSpec.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"
#include "tools/gemma-serve/Api.h"

#include "absl/status/status.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace gemma::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string api_key; // "" for none
  size_t max_body = 1 << 20;
  int http_threads = 16;
};

// What the endpoints serve once the model is loaded.
struct LoadedModel {
  BatchEngine *engine = nullptr;
  const SentencePieceTokenizer *tokenizer = nullptr;
  ServedModel served;
  ChatFormat chat_format = ChatFormat::kNone;
  int32_t bos_id = 2;
};

class Server {
public:
  explicit Server(ServerOptions options);
  ~Server();

  // Binds the address (one line naming it when that fails) and serves on
  // a thread of its own; /health answers 503 until Ready.
  absl::Status Start();
  // The port bound (the one asked for, or the one the system chose for 0).
  int port() const { return port_; }
  void Ready(const LoadedModel &model);
  // New completion requests get 503 from now on; the running ones go on.
  void BeginDrain();
  // Waits (at most `seconds`) for the requests being answered, then stops
  // listening.
  void Stop(double seconds);

private:
  void Route();
  struct Shared;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
  int port_ = 0;
};

} // namespace gemma::serve

#endif // TOOLS_GEMMA_SERVE_SERVER_H
