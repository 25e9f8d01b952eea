//===- gemma-serve.cpp - An OpenAI-compatible server for a Gemma plan -----===//
//
//   gemma-serve MODEL [--host 127.0.0.1] [--port 8080] [--parallel 4]
//               [--ctx-size C] [--api-key KEY] [--device NAME]
//
// MODEL is a .plan or a weight file / checkpoint directory, compiled on
// first use into the plan cache gemma-exec shares (with @decode_1 and
// @decode_<parallel>). The address is bound first and /health answers
// 503 until the model is loaded. SIGINT or SIGTERM: new requests get 503,
// the running ones finish, then the server exits.
//
//===----------------------------------------------------------------------===//

#include "runtime/exec/BatchEngine.h"
#include "runtime/exec/PlanSession.h"
#include "runtime/tokenizer/ChatTemplate.h"
#include "tools/common/Errors.h"
#include "tools/common/FlagCheck.h"
#include "tools/common/HubModel.h"
#include "tools/common/PlanCache.h"
#include "tools/gemma-serve/Server.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <new>
#include <unistd.h>

namespace {

namespace cl = llvm::cl;

cl::OptionCategory serving("Serving");
cl::OptionCategory running("Running");

cl::opt<std::string> model_path(
    cl::Positional,
    cl::desc("<model.plan | model.gguf | model.sbs | checkpoint-dir>"));
gemma::HubModelFlags hub_model(
    running,
    "A Hugging Face repository instead of a file, as llama.cpp's -hf: "
    "gemma-fetch downloads it into Hugging Face's shared cache (or finds it "
    "there) while /health answers 503",
    "The file of --hf-repo to serve");
cl::opt<std::string> host("host",
                          cl::desc("Address to listen on; default 127.0.0.1 "
                                   "(this machine only: another address is "
                                   "your choice to expose the model)"),
                          cl::init("127.0.0.1"), cl::value_desc("address"),
                          cl::cat(serving));
cl::opt<int> port("port",
                  cl::desc("Port to listen on (0: any free one, "
                           "printed); default 8080"),
                  cl::init(8080), cl::cat(serving));
cl::opt<int> parallel("parallel",
                      cl::desc("Sequences generated together in each decode "
                               "step (the plan's @decode_N); default 4"),
                      cl::init(4), cl::cat(serving));
cl::alias parallel_short("np", cl::desc("Alias for --parallel"),
                         cl::aliasopt(parallel));
cl::opt<int> max_queue("max-queue",
                       cl::desc("Requests that may wait for a sequence; past "
                                "them a request gets 503 with Retry-After; "
                                "default 64"),
                       cl::init(64), cl::cat(serving));
cl::opt<std::string> api_key("api-key",
                             cl::desc("Require 'Authorization: Bearer KEY' "
                                      "(all endpoints but /health)"),
                             cl::value_desc("KEY"), cl::cat(serving));
cl::opt<std::string> alias("alias",
                           cl::desc("The model's name in the API (default: "
                                    "the model file's name)"),
                           cl::value_desc("name"), cl::cat(serving));
cl::opt<std::string> chat_template(
    "chat-template",
    cl::desc("Chat format for /v1/chat/completions instead of the model's: "
             "gemma (Gemma 1-3 turns), gemma4, or none (refuse chat); a "
             "pretrained model's file names none, and its turns may still "
             "be wanted"),
    cl::value_desc("gemma|gemma4|none"), cl::cat(serving));
cl::opt<int> max_body("max-body",
                      cl::desc("Largest request body in bytes; default "
                               "1048576"),
                      cl::init(1 << 20), cl::cat(serving));

cl::opt<int> threads("threads",
                     cl::desc("Compute threads (0: one per core); default 0"),
                     cl::init(0), cl::cat(running));
cl::alias threads_short("t", cl::desc("Alias for --threads"),
                        cl::aliasopt(threads));
cl::opt<uint32_t>
    ctx_size("ctx-size",
             cl::desc("KV cache positions per sequence to compile a weight "
                      "file for (default: 4096, or the model's maximum if "
                      "smaller); with a .plan, at most the plan's"),
             cl::value_desc("N"), cl::init(0), cl::cat(running));
cl::alias ctx_size_short("c", cl::desc("Alias for --ctx-size"),
                         cl::aliasopt(ctx_size));
cl::opt<std::string>
    device("device",
           cl::desc("Run on this backend instead of the plan's (the server "
                    "batches on the CPU backend)"),
           cl::value_desc("name"), cl::cat(running));
cl::opt<bool> verbose("verbose", cl::desc("Say what loading does"),
                      cl::cat(running));

// SIGINT and SIGTERM, written by the handler to a pipe the main thread
// reads: delivered to whichever thread, they reach the shutdown below (a
// blocked-signal mask does not cover threads the sanitizers or libraries
// start before main).
int signal_pipe[2] = {-1, -1};

extern "C" void OnSignal(int signal) {
  const unsigned char byte = static_cast<unsigned char>(signal);
  [[maybe_unused]] ssize_t n = write(signal_pipe[1], &byte, 1);
}

// Waits for SIGINT or SIGTERM; returns which.
int WaitForSignal() {
  unsigned char byte = 0;
  while (read(signal_pipe[0], &byte, 1) != 1) {
  }
  return byte;
}

int Fail(const std::string &message) {
  return gemma::ReportError("gemma-serve", message);
}

// What is loaded, kept alive while serving.
struct Model {
  std::unique_ptr<gemma::PlanSession> session;
  std::unique_ptr<gemma::SentencePieceTokenizer> tokenizer;
  std::unique_ptr<gemma::BatchEngine> engine;
};

absl::StatusOr<Model> Load() {
  using namespace gemma;
  if (hub_model.given()) {
    // SIGINT or SIGTERM stops the download (and the server) at once.
    absl::StatusOr<std::string> fetched =
        hub_model.Fetch("gemma-serve", signal_pipe[0]);
    if (!fetched.ok())
      return fetched.status();
    model_path.setValue(*fetched);
  }
  PlanRequest request;
  request.model = model_path;
  request.context = ctx_size;
  request.verbose = verbose;
  request.tool = "gemma-serve";
  // Powers of two up to --parallel, and --parallel: a step runs the
  // smallest that holds the running sequences.
  for (int64_t b = 1; b < parallel; b *= 2)
    request.decode_buckets.push_back(b);
  request.decode_buckets.push_back(parallel);
  absl::StatusOr<std::string> plan = ResolvePlan(request);
  if (!plan.ok())
    return plan.status();
  Model model;
  absl::StatusOr<std::unique_ptr<PlanSession>> session =
      PlanSession::Open(*plan, threads, verbose, device);
  if (!session.ok())
    return session.status();
  model.session = *std::move(session);
  const plan::PlanMeta &meta = model.session->meta();
  if (ctx_size > meta.context)
    return absl::InvalidArgumentError(fmt::format(
        "-c/--ctx-size {}: the plan holds {} positions (compile it with "
        "gemma-compile --context {})",
        uint32_t(ctx_size), meta.context, uint32_t(ctx_size)));
  std::optional<std::span<const uint8_t>> proto =
      model.session->weights().tokenizer;
  if (!proto)
    return absl::InvalidArgumentError(
        "the weight file has no tokenizer: a server needs one");
  std::string error;
  model.tokenizer = SentencePieceTokenizer::FromSerializedProto(*proto, &error);
  if (!model.tokenizer)
    return absl::InvalidArgumentError(
        fmt::format("the weight file's tokenizer: {}", error));
  absl::StatusOr<std::unique_ptr<BatchEngine>> engine =
      BatchEngine::Create(*model.session, parallel, size_t(max_queue));
  if (!engine.ok())
    return engine.status();
  model.engine = *std::move(engine);
  return model;
}

int Run() {
  using namespace gemma;
  if (model_path.empty() && !hub_model.given())
    return Fail("give the model: gemma-serve MODEL [flags] (or -hf "
                "ORG/NAME[:QUANT]); see --help");
  if (absl::Status s = hub_model.Check(model_path); !s.ok())
    return Fail(std::string(s.message()));
  if (parallel < 1 || parallel > 256)
    return Fail("--parallel must be in [1, 256]");
  if (max_queue < 0 || max_body < 1024 || port < 0 || port > 65535)
    return Fail("--max-queue must be >= 0, --max-body >= 1024 and --port in "
                "[0, 65535]");
  std::optional<ChatFormat> forced_format;
  if (!chat_template.empty()) {
    forced_format = ParseChatFormat(chat_template);
    if (!forced_format)
      return Fail(fmt::format("--chat-template '{}': gemma, gemma4 or none",
                              chat_template.getValue()));
  }
  if (pipe(signal_pipe) != 0)
    return Fail("cannot make the signal pipe");
  struct sigaction action{};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN); // a client gone mid-write is an error, not death

  serve::Server server({.host = host,
                        .port = port,
                        .api_key = api_key,
                        .max_body = size_t(max_body),
                        .http_threads = 2 * parallel + 8});
  if (absl::Status s = server.Start(); !s.ok())
    return Fail(std::string(s.message()));
  std::fprintf(
      stderr, "gemma-serve: listening on http://%s:%d (loading %s)\n",
      host.c_str(), server.port(),
      (model_path.empty() ? hub_model.repo() : model_path.getValue()).c_str());
  absl::StatusOr<Model> model = Load();
  if (!model.ok()) {
    server.Stop(0);
    if (absl::IsCancelled(model.status())) {
      std::fprintf(stderr, "gemma-serve: %s\n",
                   std::string(model.status().message()).c_str());
      return 0; // asked to stop: not an error
    }
    return Fail(std::string(model.status().message()));
  }
  const plan::PlanMeta &meta = model->session->meta();
  serve::LoadedModel loaded;
  loaded.engine = model->engine.get();
  loaded.tokenizer = model->tokenizer.get();
  loaded.served = {
      alias.empty()
          ? std::filesystem::path(model_path.getValue()).filename().string()
          : alias.getValue(),
      meta.context, meta.vocab_size};
  loaded.chat_format =
      forced_format.value_or(static_cast<ChatFormat>(meta.chat_format));
  loaded.bos_id = meta.bos_id;
  server.Ready(loaded);
  std::fprintf(stderr,
               "gemma-serve: ready: %s as '%s', %d sequences of %u positions, "
               "%s\n",
               meta.model_name.c_str(), loaded.served.id.c_str(), int(parallel),
               meta.context, model->session->backend().Describe().c_str());

  const int received = WaitForSignal();
  std::fprintf(stderr, "gemma-serve: %s: finishing the requests in flight\n",
               received == SIGINT ? "interrupted" : "terminated");
  server.BeginDrain();
  model->engine->Drain();
  server.Stop(30);
  std::fprintf(stderr, "gemma-serve: stopped\n");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (!gemma::ParseToolFlags(argc, argv, "gemma-serve", {&serving, &running},
                             "gemma-serve: an OpenAI-compatible server for a "
                             "Gemma model\n"))
    return 1;
  try {
    return Run();
  } catch (const std::bad_alloc &) {
    return Fail("out of memory (the weights and the KV caches of --parallel "
                "sequences do not fit: a smaller --ctx-size or --parallel)");
  }
}
