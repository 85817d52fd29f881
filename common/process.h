// A child process started by fork + immediate exec of a Fleet binary (nothing but prctl,
// dup2 and execv run in the child, so a parent that has started threads, libtorch or a
// ZeroMQ context may use it), with its stdout and stderr sent to a log file. The child
// asks the kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG), so no role outlives
// its run. The destructor kills a child still running. Used by the orchestrator's local
// launcher and by the learner's evaluations. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace fleet {

class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`; `name` labels it in messages ("store", "actor 1"). With
  // `cpus` non-empty the child runs on those CPUs only (sched_setaffinity before exec); each
  // must be one this process may run on, else an error naming it and nothing starts.
  static StatusOr<ChildProcess> Spawn(const std::string& name, const std::vector<std::string>& argv,
                                      const std::string& log_path, const std::vector<int>& cpus = {});
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  const std::string& name() const { return name_; }
  const std::string& log_path() const { return log_path_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !exit_code_; }

  // Non-blocking: the exit code once the child has ended (128 + signal if killed).
  std::optional<int> Poll();
  void Signal(int sig);
  // Waits up to `timeout` for the child to end; true if it did.
  bool Wait(std::chrono::milliseconds timeout);

 private:
  ChildProcess() = default;

  std::string name_, log_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// A CPU list in the kernel's cpuset syntax ("1", "0-3", "0,2-3"), as taskset -c takes it:
// the CPUs in ascending order, or an error naming what is wrong with it. Empty text is an
// empty list.
StatusOr<std::vector<int>> ParseCpuList(const std::string& text);

// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> AllowedCpus();

// The last `lines` lines of a text file (for failure reports).
std::string TailFile(const std::string& path, int lines);

}  // namespace fleet
