// Where role instances run. A Launcher starts one instance of a RoleSpec and hands back
// a RoleHandle to watch and signal it; the Supervisor (supervisor.h) works only through
// these, so that local processes, Slurm steps and Kubernetes pods can be supervised alike.
// The local launcher (fork+exec of Fleet's binaries) is local_launcher.h.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "orchestrator/launch_plan.h"

namespace fleet::orchestrator {

class RoleHandle {
 public:
  virtual ~RoleHandle() = default;
  // Non-blocking: the exit code once the instance has ended (128 + signal if killed).
  virtual std::optional<int> Poll() = 0;
  virtual void Signal(int sig) = 0;
  // Waits up to `timeout` for the instance to end; true if it did.
  virtual bool Wait(std::chrono::milliseconds timeout) = 0;
  // Where its output goes, and the last lines of it (for failure reports).
  virtual std::string log_path() const = 0;
  virtual std::string LogTail(int lines) const = 0;
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  virtual StatusOr<std::unique_ptr<RoleHandle>> Start(const RoleSpec& role, int index) = 0;
};

}  // namespace fleet::orchestrator
