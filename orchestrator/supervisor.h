// Supervises the instances of a LaunchPlan through a Launcher, by role name: starts them
// in plan order, restarts an instance whose role says so (with the role's restart_args), decides what an exit means
// (RoleSpec::on_exit), and stops everything in the plan's stop order (SIGTERM to every
// instance of a role, a grace period, SIGKILL to what is left, then the next role).
// Not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "orchestrator/launch_plan.h"
#include "orchestrator/launcher.h"

namespace fleet::orchestrator {

class Supervisor {
 public:
  enum class State { kRunning, kFinished, kFailed };

  Supervisor(LaunchPlan plan, Launcher& launcher) : plan_(std::move(plan)), launcher_(launcher) {}
  ~Supervisor();

  Status StartAll();
  // Looks at every instance once (those of kEndsRun roles first, so that a clean finish
  // is seen before the exits it causes): restarts those whose role says so, after the
  // role's backoff (calling `on_restart(name, exit code, restart number)` when the exit is
  // seen; an instance waiting for its restart counts as running), and returns kFinished when an
  // instance of a kEndsRun role ended cleanly, kFailed (failure() says which and why)
  // when an exit fails the run.
  State Poll(const std::function<void(const std::string&, int, int)>& on_restart = nullptr);
  // Stops every role in the plan's stop order (then any role the order leaves out);
  // `grace` per role before SIGKILL. An instance that had to be killed or that exited
  // with a failure while stopping is an error naming it, with its log tail (a store
  // that could not seal its dataset, say); instances that ended before are not judged
  // again.
  Status StopAll(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));
  // `sig` to every instance of `role` (e.g. SIGTERM: actors told to drain), no waiting.
  // A signalled instance is being stopped: it is not restarted, whatever its exit, and a
  // restart still pending for the role is dropped. An exit by the signal itself (128 + sig:
  // an instance signalled before it installed its handlers, early in its start) is a clean
  // stop for roles that say so (RoleSpec::stop_signal_exit_is_clean), a failure otherwise.
  void Signal(const std::string& role, int sig);
  // Whether instance `index` of `role` ended by a stop signal before it could handle it
  // (so wrote nothing at exit, e.g. its stats file) or was never restarted after a stop.
  bool StoppedBeforeHandling(const std::string& role, int index) const;
  // Whether every instance of `role` has exited.
  bool AllExited(const std::string& role);
  // Called with a line for the user when the supervisor acts on its own (an instance
  // killed for a missing heartbeat).
  void set_notice_handler(std::function<void(const std::string&)> f) { notice_ = std::move(f); }
  // The failure Poll found: the instance, its exit code and the tail of its log.
  const Status& failure() const { return failure_; }
  int restarts(const std::string& role) const;
  // Waits for every instance of `role` to end; false after `timeout`.
  bool Wait(const std::string& role, std::chrono::milliseconds timeout);

 private:
  struct Instance {
    const RoleSpec* role;
    int index;
    std::unique_ptr<RoleHandle> handle;
    int restarts = 0;
    bool done = false;  // ended and not to be restarted
    // ended, to be started again at this time (the role's backoff)
    std::optional<std::chrono::steady_clock::time_point> restart_at;
    std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
    std::optional<int> code;
    int stop_signal = 0;  // the signal Signal() sent it; 0 while not being stopped
    bool stopped_unhandled = false;  // ended by stop_signal's default action, or never restarted
  };
  // The exit code as judged: 0 for an exit by the stop signal this supervisor sent.
  static int Judged(Instance& i, int code);
  Status Failed(const Instance& i, int code) const;
  static bool WillRestart(const Instance& i, int code);

  // removes the instance's heartbeat file before it (re)starts
  static void ForgetHeartbeat(const RoleSpec& role, int index);
  // kills a running instance whose heartbeat file is older than its role's timeout
  void CheckHeartbeat(Instance& i);

  // the role as started again after a crash: its args with restart_args appended
  const RoleSpec& RestartSpec(const RoleSpec& role);

  LaunchPlan plan_;
  Launcher& launcher_;
  std::map<std::string, RoleSpec> restart_specs_;  // by role name, made when first needed
  std::function<void(const std::string&)> notice_;
  std::vector<Instance> instances_;  // in plan order
  Status failure_;
};

}  // namespace fleet::orchestrator
