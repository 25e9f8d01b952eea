//===- Emulator.cpp - CUDA kernels run on the CPU -------------------------===//
//
// Each CUDA thread of the running block is a fiber on its own small stack;
// a scheduler resumes them in turn. A fiber runs until it reaches a barrier
// (__syncthreads, or the warp barrier inside a shuffle) or returns. The last
// thread of a group to arrive opens the barrier (a new generation); a fiber
// is resumed only when the generation it waits on has passed. Threads that
// returned count as arrived, as the hardware lets them.
//
// Switching: a few instructions of assembly on x86-64 (swapcontext would
// make a signal-mask system call per switch, and shuffles switch often),
// ucontext elsewhere. ASan is told about every stack switch.

#include "kernels/cuda/host/Emulator.h"

#include "kernels/cuda/host/HostKernels.h"
#include "kernels/cuda/host/Prelude.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <vector>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define GEMMA_FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GEMMA_FIBER_ASAN 1
#endif
#endif
#ifdef GEMMA_FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__x86_64__)
// gemma_fiber_switch(void **save_sp, void *load_sp): pushes the callee-saved
// registers, saves the stack pointer, loads the other one, pops, returns
// into the other context.
asm(R"(
  .pushsection .text
  .globl gemma_fiber_switch
  .type gemma_fiber_switch, @function
gemma_fiber_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size gemma_fiber_switch, .-gemma_fiber_switch
  .popsection
)");
extern "C" void gemma_fiber_switch(void **save_sp, void *load_sp);
#endif

namespace gemma::cuda::host {
namespace {

#ifdef GEMMA_FIBER_ASAN
constexpr size_t kStackBytes = 512 * 1024;
#else
constexpr size_t kStackBytes = 128 * 1024;
#endif

struct Context {
#if defined(__x86_64__)
  void *sp = nullptr;
#else
  ucontext_t uc;
#endif
};

enum class Wait { kNone, kWarp, kBlock };

struct Fiber {
  Context context;
  std::unique_ptr<char[]> stack;
  rt::Dim3 thread;
  bool done = false;
  Wait wait = Wait::kNone;
  uint32_t wait_generation = 0;
#ifdef GEMMA_FIBER_ASAN
  void *fake_stack = nullptr;
#endif
};

struct Group {
  uint32_t generation = 0, arrived = 0, alive = 0;
};

// The launch in progress (one at a time: the emulator is single-threaded,
// like the static __shared__ arrays it relies on).
struct Run {
  HostBody body = nullptr;
  const gk::KernelArgs *args = nullptr;
  rt::Dim3 block, grid;
  std::vector<Fiber> fibers;
  Fiber *current = nullptr;
  Context scheduler;
  Group block_group;
  std::vector<Group> warps;
  std::vector<uint32_t> slots; // shuffle values, one per thread
#ifdef GEMMA_FIBER_ASAN
  const void *scheduler_bottom = nullptr;
  size_t scheduler_size = 0;
#endif
};

Run &Current() {
  static Run run;
  return run;
}

Group &GroupOf(Run &run, const Fiber &f, Wait kind) {
  return kind == Wait::kBlock ? run.block_group : run.warps[f.thread.x / 32u];
}

void SwitchToScheduler(Run &run, bool exiting) {
  Fiber &f = *run.current;
#ifdef GEMMA_FIBER_ASAN
  __sanitizer_start_switch_fiber(exiting ? nullptr : &f.fake_stack,
                                 run.scheduler_bottom, run.scheduler_size);
#else
  (void)exiting;
#endif
#if defined(__x86_64__)
  gemma_fiber_switch(&f.context.sp, run.scheduler.sp);
#else
  swapcontext(&f.context.uc, &run.scheduler.uc);
#endif
#ifdef GEMMA_FIBER_ASAN
  __sanitizer_finish_switch_fiber(f.fake_stack, nullptr, nullptr);
#endif
}

void Arrive(Group &g) {
  if (++g.arrived >= g.alive) {
    ++g.generation;
    g.arrived = 0;
  }
}

void Barrier(Wait kind) {
  Run &run = Current();
  Fiber &f = *run.current;
  Group &g = GroupOf(run, f, kind);
  const uint32_t generation = g.generation;
  Arrive(g);
  if (g.generation != generation)
    return; // the last to arrive goes on
  f.wait = kind;
  f.wait_generation = generation;
  SwitchToScheduler(run, false);
  f.wait = Wait::kNone;
}

void Leave(Group &g) {
  --g.alive;
  if (g.arrived > 0 && g.arrived >= g.alive) {
    ++g.generation;
    g.arrived = 0;
  }
}

[[noreturn]] void FiberMain() {
  Run &run = Current();
#ifdef GEMMA_FIBER_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &run.scheduler_bottom,
                                  &run.scheduler_size);
#endif
  run.body(*run.args);
  Fiber &f = *run.current;
  f.done = true;
  Leave(run.block_group);
  Leave(run.warps[f.thread.x / 32u]);
  SwitchToScheduler(run, true);
  __builtin_unreachable();
}

#if !defined(__x86_64__)
void FiberEntry() { FiberMain(); }
#endif

void Start(Run &run, Fiber &f) {
  if (!f.stack)
    f.stack = std::make_unique<char[]>(kStackBytes);
#if defined(__x86_64__)
  // A frame gemma_fiber_switch can "return" into FiberMain from: six
  // zeroed registers, FiberMain's address, and a null return address for
  // FiberMain itself so its stack is aligned as after a call.
  auto top =
      reinterpret_cast<uintptr_t>(f.stack.get() + kStackBytes) & ~uintptr_t(15);
  auto *slots = reinterpret_cast<void **>(top);
  slots[-1] = nullptr;
  slots[-2] = reinterpret_cast<void *>(&FiberMain);
  for (int i = 3; i <= 8; ++i)
    slots[-i] = nullptr;
  f.context.sp = &slots[-8];
  (void)run;
#else
  getcontext(&f.context.uc);
  f.context.uc.uc_stack.ss_sp = f.stack.get();
  f.context.uc.uc_stack.ss_size = kStackBytes;
  f.context.uc.uc_link = &run.scheduler.uc;
  makecontext(&f.context.uc, &FiberEntry, 0);
#endif
}

void Resume(Run &run, Fiber &f) {
  run.current = &f;
#ifdef GEMMA_FIBER_ASAN
  void *save = nullptr;
  __sanitizer_start_switch_fiber(&save, f.stack.get(), kStackBytes);
#endif
#if defined(__x86_64__)
  gemma_fiber_switch(&run.scheduler.sp, f.context.sp);
#else
  swapcontext(&run.scheduler.uc, &f.context.uc);
#endif
#ifdef GEMMA_FIBER_ASAN
  __sanitizer_finish_switch_fiber(save, nullptr, nullptr);
#endif
}

absl::Status RunBlock(Run &run, uint32_t threads) {
  run.block_group = {0, 0, threads};
  run.warps.assign((threads + 31) / 32, Group{});
  for (uint32_t w = 0; w < run.warps.size(); ++w)
    run.warps[w].alive = std::min<uint32_t>(32, threads - 32 * w);
  for (uint32_t t = 0; t < threads; ++t) {
    Fiber &f = run.fibers[t];
    f.thread = {t, 0, 0};
    f.done = false;
    f.wait = Wait::kNone;
    Start(run, f);
  }
  uint32_t remaining = threads;
  while (remaining > 0) {
    bool progressed = false;
    for (uint32_t t = 0; t < threads; ++t) {
      Fiber &f = run.fibers[t];
      if (f.done || (f.wait != Wait::kNone &&
                     GroupOf(run, f, f.wait).generation == f.wait_generation))
        continue;
      Resume(run, f);
      progressed = true;
      if (f.done)
        --remaining;
    }
    if (!progressed)
      // Every fiber left waits on a barrier that cannot open. Their stacks
      // are abandoned (restarted by the next launch).
      return absl::InternalError(fmt::format(
          "cuda-sim: kernel deadlocked in block ({}, {}): {} of {} threads "
          "wait on a barrier the others never reach",
          run.block.x, run.block.y, remaining, threads));
  }
  return absl::OkStatus();
}

} // namespace

namespace rt {
const Dim3 &ThreadIdx() { return Current().current->thread; }
const Dim3 &BlockIdx() { return Current().block; }
const Dim3 &GridDim() { return Current().grid; }
void SyncThreads() { Barrier(Wait::kBlock); }
uint32_t ShuffleXor(uint32_t bits, int lane_mask) {
  Run &run = Current();
  const uint32_t t = run.current->thread.x;
  run.slots[t] = bits;
  Barrier(Wait::kWarp);
  const uint32_t partner = (t & ~31u) | ((t & 31u) ^ uint32_t(lane_mask));
  const uint32_t out =
      partner < run.slots.size() ? run.slots[partner] : run.slots[t];
  Barrier(Wait::kWarp);
  return out;
}
} // namespace rt

absl::Status LaunchBody(void (*body)(const gk::KernelArgs &), int threads,
                        uint32_t blocks, const gk::KernelArgs &args) {
  if (threads < 1 || threads > kMaxBlock || threads % 32 != 0)
    return absl::InvalidArgumentError(
        fmt::format("cuda-sim: a block of {} threads", threads));
  Run &run = Current();
  run.body = body;
  run.args = &args;
  const uint32_t x = std::min<uint32_t>(std::max<uint32_t>(blocks, 1), 65535);
  run.grid = {x, (blocks + x - 1) / x, 1};
  if (run.fibers.size() < size_t(threads))
    run.fibers.resize(size_t(threads));
  run.slots.assign(size_t(threads), 0);
  for (uint32_t b = 0; b < blocks; ++b) {
    run.block = {b % x, b / x, 0};
    if (absl::Status s = RunBlock(run, uint32_t(threads)); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

absl::Status Launch(const KernelShape &shape, uint32_t blocks,
                    const gk::KernelArgs &args) {
  return LaunchBody(BindShape(shape), shape.block, blocks, args);
}

} // namespace gemma::cuda::host
