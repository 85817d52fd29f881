// What a run starts, built once from the config and shared by every launcher (local
// processes today; Slurm and Kubernetes render the same plan): the roles with their
// program, arguments, instance count, restart and exit policies and resources, the order
// to stop them in. `fleet run` and `fleet collect` differ only in the plan they build.
//
// Arguments may contain "{index}", replaced by the instance's index (0..count-1) when it
// starts; Slurm and Kubernetes map it to their own task index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/experiment_config.h"
#include "common/status.h"
#include "orchestrator/endpoints.h"

namespace fleet::orchestrator {

enum class RestartPolicy {
  kNever,
  kAlways,     // restart after any exit, up to max_restarts (the recording store of a collect)
  kOnFailure,  // restart after a non-zero exit or a kill, up to max_restarts (actors)
};

// What an instance's exit means for the run when it is not restarted.
enum class OnExit {
  kEndsRun,          // a clean exit finishes the run (the learner); a failure fails it
  kFailsRun,         // any exit fails the run (a store the run cannot do without)
  kFailsIfNonZero,   // a clean exit is expected (an actor told to stop), a failure fails it
};

struct Resources {
  int cpus = 1;
  int gpus = 0;
  // the local launcher's CPU affinity for every instance (common/process.h's
  // ParseCpuList syntax, from the role's `cpus` config key); empty: not pinned.
  std::string cpu_list;
};

struct RoleSpec {
  std::string role;     // "store", "learner", "actor"
  int count = 1;
  std::string program;  // "fleet" or "fleet-learner", found next to the running `fleet`
  std::vector<std::string> args;  // may contain "{index}"
  // appended to args when an instance is started again after a crash (the learner's
  // --restarted: resume from its checkpoint)
  std::vector<std::string> restart_args;
  std::string log_name;           // logs/<log_name>.log; may contain "{index}"
  RestartPolicy restart = RestartPolicy::kNever;
  int max_restarts = 0;
  // wait before restart n (1, 2, ...): restart_backoff_ms * 2^(n-1), at most 30 s
  int restart_backoff_ms = 0;
  // a file the instance touches while alive (may contain "{index}"; common/heartbeat.h);
  // untouched for heartbeat_timeout_ms, the instance is killed. Empty: not watched.
  std::string heartbeat_file;
  int64_t heartbeat_timeout_ms = 0;
  // before its first beat since it (re)started, an instance is given
  // max(heartbeat_timeout_ms, startup_timeout_ms): starting up is not a hang.
  int64_t startup_timeout_ms = 0;
  // an exit by the stop signal itself (128 + SIGTERM: stopped before it installed its
  // handlers) is a clean stop: true for roles with nothing to finish at exit (actors);
  // a store or learner that dies of it did not seal or save, and has failed
  bool stop_signal_exit_is_clean = false;
  std::string HeartbeatFileFor(int index) const;
  OnExit on_exit = OnExit::kFailsIfNonZero;
  Resources resources;

  // args / log_name with "{index}" replaced.
  std::vector<std::string> ArgsFor(int index) const;
  std::string LogNameFor(int index) const;
  // "store", "actor 3"
  std::string InstanceName(int index) const;
};

struct LaunchPlan {
  std::vector<RoleSpec> roles;          // in start order
  std::vector<std::string> stop_order;  // role names

  const RoleSpec* Find(const std::string& role) const;
};

// fleet run: the store (recording the columns the algorithm's actors report, when
// store.record), the learner, the actors. Each is restarted after a crash, within its
// section's max_restarts: the store recovers its dataset, the learner resumes from its
// latest checkpoint. Stopped learner first (it writes its summary and checkpoint and
// tells the actors to stop), then actors, then the store.
// `start_unix_ms` is passed to the learner as the run's start.
StatusOr<LaunchPlan> BuildRunPlan(const ExperimentConfig& config, const std::string& run_dir,
                                  const Endpoints& endpoints, bool resume, int64_t start_unix_ms);

// fleet train-offline: the learner alone, training from learner.dataset (it publishes
// progress on the stats endpoint).
StatusOr<LaunchPlan> BuildOfflinePlan(const ExperimentConfig& config, const std::string& run_dir,
                                      const Endpoints& endpoints, bool resume, int64_t start_unix_ms);

// fleet collect: a recording store, restarted up to store.max_restarts times (it recovers
// its dataset from its log), and actors with collect.policy writing their acknowledgement
// counts to logs/actor-K.stats.json. Stopped actors first (they drain), then the store.
StatusOr<LaunchPlan> BuildCollectPlan(const ExperimentConfig& config, const std::string& run_dir,
                                      const Endpoints& endpoints);

// where `fleet collect`'s actor K writes its counts.
std::string ActorStatsPath(const std::string& run_dir, int index);

}  // namespace fleet::orchestrator
