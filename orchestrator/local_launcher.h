// Role instances as child processes of this one: fork + immediate exec of `fleet` or
// `fleet-learner` from `bin_dir` (nothing but prctl, dup2 and execv runs in the child
// before exec), stdout and stderr to RUN_DIR/logs/<log_name>.log, the pid in
// RUN_DIR/logs/<log_name>.pid. Children ask for SIGTERM when this process dies
// (PR_SET_PDEATHSIG), so no role outlives its run. A program given as an absolute path
// is run as it is.
#pragma once

#include <string>

#include "orchestrator/launcher.h"

namespace fleet::orchestrator {

class LocalLauncher : public Launcher {
 public:
  LocalLauncher(std::string bin_dir, std::string logs_dir)
      : bin_dir_(std::move(bin_dir)), logs_dir_(std::move(logs_dir)) {}
  StatusOr<std::unique_ptr<RoleHandle>> Start(const RoleSpec& role, int index) override;

 private:
  std::string bin_dir_, logs_dir_;
};

}  // namespace fleet::orchestrator
