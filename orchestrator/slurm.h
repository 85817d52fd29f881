// Slurm: the same launch plan as a local run, with its roles as job steps of one batch job.
//
// `fleet slurm script CONFIG` renders a batch script: a heterogeneous job whose first
// component (one node; the learner's GPU when learner.device asks for one) holds the store
// and the learner, and whose second holds the actors (slurm.* in the config). The script
// finds the first component's node and address (scontrol show hostnames / show node),
// and runs `fleet run ... --launcher slurm` there with tcp endpoints on that address; the
// orchestrator then starts each role instance with `srun --het-group=G` (SlurmLauncher),
// so supervision, restarts, the status line and summary.json are those of a local run.
// Near the time limit Slurm signals the script (--signal=B:USR1@slurm.signal_lead_s): the
// run stops, checkpointing, and the job requeues itself; the next start finds the
// checkpoint and continues with `fleet run --resume`.
//
// `fleet slurm submit CONFIG` writes the script to RUN_DIR/slurm.sh, submits it, follows
// the job (the run's status lines) and exits with its outcome. The run directory and
// Fleet's binaries must be on a filesystem every node sees.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/experiment_config.h"
#include "common/status.h"
#include "orchestrator/launcher.h"

namespace fleet::orchestrator {

// What the batch job runs.
enum class SlurmCommand { kRun, kTrainOffline, kCollect };

struct SlurmScriptOptions {
  SlurmCommand command = SlurmCommand::kRun;
  std::string run_dir;        // absolute
  std::string fleet_binary;   // absolute path of `fleet` on the nodes
};

// The batch script for `cfg` (which it embeds as YAML). Pure: no Slurm needed.
StatusOr<std::string> RenderSlurmScript(const ExperimentConfig& cfg, const SlurmScriptOptions& o);

// Starts role instances as job steps of the enclosing allocation: `srun` as a local child
// process (its exit is the step's; signals are forwarded to the step's task), actors in
// the heterogeneous job's second component, store and learner in the first. Fails to
// construct outside an allocation (no SLURM_JOB_ID).
StatusOr<std::unique_ptr<Launcher>> MakeSlurmLauncher(const std::string& bin_dir,
                                                      const std::string& logs_dir);
// The launcher `--launcher NAME` names: "slurm" (MakeSlurmLauncher) or "local".
StatusOr<std::unique_ptr<Launcher>> MakeLauncher(const std::string& name, const std::string& bin_dir,
                                                 const std::string& logs_dir);

// The srun command line that starts `role` instance `index` (exposed for tests).
std::vector<std::string> SrunArgv(const RoleSpec& role, int index, bool heterogeneous,
                                  int mem_per_cpu_mb, const std::string& gpu_gres);

struct SlurmSubmitOptions {
  SlurmCommand command = SlurmCommand::kRun;
  std::string config_path;
  std::vector<std::string> overrides;
  std::string run_dir;  // default runs/NAME-TIME, made absolute
  std::string bin_dir;
  bool follow = true;
};

// fleet slurm script: the script on stdout.
Status PrintSlurmScript(const SlurmSubmitOptions& o);
// fleet slurm submit: sbatch, then (follow) the job's output until it ends; the job's exit
// code is the result (a requeued job is followed through its restarts). Ctrl-C cancels it.
Status SubmitSlurmJob(const SlurmSubmitOptions& o);

}  // namespace fleet::orchestrator
