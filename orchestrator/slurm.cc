#include "orchestrator/slurm.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/process.h"
#include "common/signals.h"
#include "learner/algorithm_registry.h"
#include "orchestrator/local_launcher.h"
#include "orchestrator/run_setup.h"

namespace fleet::orchestrator {
namespace {

namespace fs = std::filesystem;

const char* CommandName(SlurmCommand c) {
  switch (c) {
    case SlurmCommand::kRun: return "run";
    case SlurmCommand::kTrainOffline: return "train-offline";
    case SlurmCommand::kCollect: return "collect";
  }
  return "run";
}

bool WantsGpu(const ExperimentConfig& cfg) { return cfg.learner.device == "cuda"; }

// Runs argv, returns its stdout (stderr goes to ours); an error names the command and its
// exit status.
StatusOr<std::string> Capture(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return InternalError("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) return InternalError("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf, n);
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code != 0) {
    return UnavailableError(argv[0] + (code == 127 ? std::string(": not found (is Slurm installed?)")
                                                   : " exited with status " + std::to_string(code)));
  }
  return out;
}

// "Key=Value" from `scontrol show job -o` output.
std::string Field(const std::string& line, const std::string& key) {
  const std::string k = " " + key + "=";
  auto at = (" " + line).find(k);
  if (at == std::string::npos) return "";
  at += k.size() - 1;  // index in `line`
  const auto end = line.find(' ', at);
  return line.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

StatusOr<std::string> RenderSlurmScript(const ExperimentConfig& cfg, const SlurmScriptOptions& o) {
  if (!o.run_dir.starts_with("/")) return InvalidArgumentError("the Slurm run directory must be absolute");
  const SlurmSection& s = cfg.slurm;
  const bool offline = o.command == SlurmCommand::kTrainOffline;
  const bool collect = o.command == SlurmCommand::kCollect;
  const std::string yaml = ExperimentConfigToYaml(cfg);
  if (yaml.find("FLEET_CONFIG_EOF") != std::string::npos) {
    return InvalidArgumentError("the config contains the text FLEET_CONFIG_EOF");
  }
  std::ostringstream out;
  auto common_opts = [&](std::ostringstream& os) {
    if (!s.partition.empty()) os << "#SBATCH --partition=" << s.partition << "\n";
    if (!s.account.empty()) os << "#SBATCH --account=" << s.account << "\n";
    if (s.mem_per_cpu_mb > 0) os << "#SBATCH --mem-per-cpu=" << s.mem_per_cpu_mb << "\n";
  };
  out << "#!/bin/bash\n"
      << "# Fleet " << CommandName(o.command) << " '" << cfg.run.name
      << "' as a Slurm batch job, written by `fleet slurm script` (orchestrator/slurm.h).\n"
      << "# Component 0: " << (collect ? "the store" : offline ? "the learner" : "store and learner")
      << " on one node; component 1: " << cfg.actors.count
      << " actor(s).\n"
      << "#SBATCH --job-name=fleet-" << cfg.run.name << "\n"
      << "#SBATCH --output=" << o.run_dir << "/logs/slurm-%j.out\n"
      << "#SBATCH --open-mode=append\n";
  if (!s.time_limit.empty()) out << "#SBATCH --time=" << s.time_limit << "\n";
  if (s.signal_lead_s > 0) out << "#SBATCH --signal=B:USR1@" << s.signal_lead_s << "\n";
  out << (s.requeue ? "#SBATCH --requeue\n" : "#SBATCH --no-requeue\n");
  // the store: one cpu (none in train-offline); the learner: its threads (none in collect).
  const int head_cpus = collect ? 1 : cfg.learner.threads + (offline ? 0 : 1);
  out << "#SBATCH --nodes=1 --ntasks=1 --cpus-per-task=" << head_cpus << "\n";
  if (!collect && WantsGpu(cfg) && !s.gpu_gres.empty()) out << "#SBATCH --gres=" << s.gpu_gres << "\n";
  common_opts(out);
  for (const auto& opt : s.sbatch_options) out << "#SBATCH " << opt << "\n";
  if (!offline) {
    out << "#SBATCH hetjob\n"
        << "#SBATCH --ntasks=" << cfg.actors.count << " --cpus-per-task=" << s.cpus_per_actor << "\n";
    if (s.actor_nodes > 0) out << "#SBATCH --nodes=" << s.actor_nodes << "\n";
    common_opts(out);
  }
  out << "set -uo pipefail\n"
      << "run_dir=" << ShellQuote(o.run_dir) << "\n"
      << "fleet=" << ShellQuote(o.fleet_binary) << "\n"
      << "mkdir -p \"$run_dir/logs\"\n"
      << "# the store's and learner's node (the first of component 0) and its address\n"
      << "head=$(scontrol show hostnames \"${SLURM_JOB_NODELIST_HET_GROUP_0:-$SLURM_JOB_NODELIST}\" | head -n 1)\n"
      << "addr=$(scontrol show node \"$head\" | sed -n 's/.*NodeAddr=\\([^ ]*\\).*/\\1/p')\n"
      << "[ -n \"$addr\" ] || addr=$head\n"
      << "if [ ! -f \"$run_dir/submitted-config.yaml\" ]; then\n"
      << "cat > \"$run_dir/submitted-config.yaml\" <<'FLEET_CONFIG_EOF'\n"
      << yaml << (yaml.ends_with("\n") ? "" : "\n") << "FLEET_CONFIG_EOF\n"
      << "fi\n"
      << "endpoints=(--set run.transport=tcp --set \"run.tcp_bind_host=$addr\" --set \"run.tcp_connect_host=$addr\")\n"
      // a collect needs no --resume: run again into the same folder, it continues the dataset
      << "if [ -d \"$run_dir/checkpoints/latest\" ]" << (collect ? " && false" : "") << "; then\n"
      << "  args=(" << CommandName(o.command) << " --resume \"$run_dir\")\n"
      << "else\n"
      << "  args=(" << CommandName(o.command)
      << " \"$run_dir/submitted-config.yaml\" --run-dir \"$run_dir\")\n"
      << "fi\n"
      << "echo \"fleet: Slurm job $SLURM_JOB_ID (start $((${SLURM_RESTART_COUNT:-0} + 1))): "
         << (collect ? "the store" : offline ? "the learner" : "store and learner")
      << " on $head ($addr), actors on ${SLURM_JOB_NODELIST_HET_GROUP_1:--}\"\n"
      << "requeue=0\n"
      << "trap 'echo \"fleet: Slurm time limit near: stopping with a checkpoint\"; requeue=1; "
         "kill -TERM \"$pid\" 2>/dev/null' USR1\n"
      << "\"$fleet\" \"${args[@]}\" --launcher slurm \"${endpoints[@]}\" &\n"
      << "pid=$!\n"
      << "# wait returns early when the trap runs; wait again until fleet has ended\n"
      << "while :; do wait \"$pid\"; rc=$?; kill -0 \"$pid\" 2>/dev/null || break; done\n"
      << "if [ \"$requeue\" = 1 ]" << (s.requeue ? "" : " && false") << "; then\n"
      << "  echo \"fleet: requeueing job $SLURM_JOB_ID to resume from the checkpoint\"\n"
      << "  scontrol requeue \"$SLURM_JOB_ID\"\n"
      << "fi\n"
      << "exit $rc\n";
  return out.str();
}

std::vector<std::string> SrunArgv(const RoleSpec& role, int index, bool heterogeneous,
                                  int mem_per_cpu_mb, const std::string& gpu_gres) {
  std::vector<std::string> argv{"srun"};
  if (heterogeneous) argv.push_back(role.role == "actor" ? "--het-group=1" : "--het-group=0");
  argv.insert(argv.end(), {"--nodes=1", "--ntasks=1", "--exact", "--kill-on-bad-exit=1", "--quiet",
                           "--cpus-per-task=" + std::to_string(std::max(1, role.resources.cpus)),
                           "--job-name=" + role.LogNameFor(index)});
  if (mem_per_cpu_mb > 0) argv.push_back("--mem-per-cpu=" + std::to_string(mem_per_cpu_mb));
  if (role.resources.gpus > 0 && !gpu_gres.empty()) argv.push_back("--gres=" + gpu_gres);
  return argv;
}

namespace {

// A role instance started by srun. srun answers a SIGTERM by cancelling its step (the
// task is killed, not asked to stop), so signals go to the step's task through scancel
// instead: the step is found by its name among the job's running steps.
class SrunHandle : public RoleHandle {
 public:
  SrunHandle(std::unique_ptr<RoleHandle> srun, std::string step_name)
      : srun_(std::move(srun)), step_name_(std::move(step_name)) {}

  std::optional<int> Poll() override {
    std::optional<int> code = srun_->Poll();
    // a stop signal that had to go to srun (the step was not running yet) cancels the
    // step: the instance ended by the signal before it could handle it, as a local
    // process dies of a signal sent before it installed its handlers
    if (code && *code != 0 && signalled_srun_ != 0) return 128 + signalled_srun_;
    return code;
  }
  bool Wait(std::chrono::milliseconds timeout) override { return srun_->Wait(timeout); }
  std::string log_path() const override { return srun_->log_path(); }
  std::string LogTail(int lines) const override { return srun_->LogTail(lines); }

  void Signal(int sig) override {
    if (srun_->Poll()) return;
    const std::string step = FindStep();
    if (step.empty()) {  // not started yet or already gone: srun itself
      if (sig != SIGKILL) signalled_srun_ = sig;
      srun_->Signal(sig);
      return;
    }
    if (sig == SIGKILL) {
      (void)Capture({"scancel", "--quiet", step});
      srun_->Signal(SIGKILL);
    } else {
      (void)Capture({"scancel", "--quiet", "--signal=" + std::to_string(sig), step});
    }
  }

 private:
  // "JOB.STEP" of the running step named step_name_, or "". A heterogeneous job's
  // components are separate job ids (SLURM_JOB_ID_HET_GROUP_K): the actors' steps run
  // under the second one, which `--jobs $SLURM_JOB_ID` does not list.
  std::string FindStep() const {
    const char* job = std::getenv("SLURM_JOB_ID");
    if (job == nullptr) return "";
    std::string jobs = job;
    for (int k = 0; k < 64; ++k) {
      const char* id = std::getenv(("SLURM_JOB_ID_HET_GROUP_" + std::to_string(k)).c_str());
      if (id == nullptr) break;
      if (std::string(id) != job) jobs += std::string(",") + id;
    }
    auto out = Capture({"squeue", "--noheader", "--steps", "--jobs", jobs, "--format=%i %j"});
    if (!out.ok()) return "";
    std::istringstream lines(*out);
    std::string id, name;
    while (lines >> id >> name) {
      if (name == step_name_) return id;
    }
    return "";
  }

  std::unique_ptr<RoleHandle> srun_;
  std::string step_name_;
  int signalled_srun_ = 0;  // a stop signal sent to srun itself, not to the step's task
};

class SlurmLauncher : public Launcher {
 public:
  SlurmLauncher(std::string bin_dir, std::string logs_dir, bool het)
      : local_(bin_dir, logs_dir), bin_dir_(std::move(bin_dir)), het_(het) {}

  StatusOr<std::unique_ptr<RoleHandle>> Start(const RoleSpec& role, int index) override {
    // srun with the role's own command line after it, started as a local child.
    RoleSpec step = role;
    const std::string program =
        role.program.starts_with("/") ? role.program : bin_dir_ + "/" + role.program;
    step.args = SrunArgv(role, index, het_, mem_per_cpu_mb_, gpu_gres_);
    step.args.push_back(program);
    for (const auto& a : role.ArgsFor(index)) step.args.push_back(a);
    step.args.erase(step.args.begin());  // "srun" is the program
    step.program = srun_;
    FLEET_ASSIGN_OR_RETURN(std::unique_ptr<RoleHandle> h, local_.Start(step, index));
    return std::unique_ptr<RoleHandle>(new SrunHandle(std::move(h), role.LogNameFor(index)));
  }

  void set_step_options(int mem_per_cpu_mb, std::string gpu_gres) {
    mem_per_cpu_mb_ = mem_per_cpu_mb;
    gpu_gres_ = std::move(gpu_gres);
  }
  void set_srun(std::string srun) { srun_ = std::move(srun); }

 private:
  LocalLauncher local_;
  std::string bin_dir_;
  bool het_;
  int mem_per_cpu_mb_ = 0;
  std::string gpu_gres_;
  std::string srun_ = "/usr/bin/srun";
};

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  }
  return "";
}

}  // namespace

StatusOr<std::unique_ptr<Launcher>> MakeSlurmLauncher(const std::string& bin_dir,
                                                      const std::string& logs_dir) {
  if (std::getenv("SLURM_JOB_ID") == nullptr) {
    return FailedPreconditionError(
        "--launcher slurm starts roles as steps of a Slurm job and runs inside one (the batch "
        "script of `fleet slurm script`); to launch on Slurm, use `fleet slurm submit CONFIG`");
  }
  const std::string srun = FindOnPath("srun");
  if (srun.empty()) return FailedPreconditionError("--launcher slurm: srun is not on PATH");
  const char* het_size = std::getenv("SLURM_HET_SIZE");
  auto launcher = std::make_unique<SlurmLauncher>(bin_dir, logs_dir,
                                                  het_size != nullptr && std::atoi(het_size) > 1);
  launcher->set_srun(srun);
  return std::unique_ptr<Launcher>(std::move(launcher));
}

StatusOr<std::unique_ptr<Launcher>> MakeLauncher(const std::string& name, const std::string& bin_dir,
                                                 const std::string& logs_dir) {
  if (name == "slurm") return MakeSlurmLauncher(bin_dir, logs_dir);
  return std::unique_ptr<Launcher>(std::make_unique<LocalLauncher>(bin_dir, logs_dir));
}

namespace {

StatusOr<std::pair<ExperimentConfig, std::string>> ScriptFor(const SlurmSubmitOptions& o,
                                                             std::string* run_dir_out) {
  FLEET_ASSIGN_OR_RETURN(ExperimentConfig cfg, learner::LoadRunConfig(o.config_path, o.overrides));
  FLEET_RETURN_IF_ERROR(CheckEnv(cfg));
  const std::string run_dir =
      fs::absolute(o.run_dir.empty() ? DefaultRunDir(cfg.run.name) : o.run_dir).lexically_normal().string();
  SlurmScriptOptions so;
  so.command = o.command;
  so.run_dir = run_dir;
  so.fleet_binary = fs::absolute(o.bin_dir + "/fleet").lexically_normal().string();
  FLEET_ASSIGN_OR_RETURN(std::string script, RenderSlurmScript(cfg, so));
  *run_dir_out = run_dir;
  return std::pair{cfg, script};
}

}  // namespace

Status PrintSlurmScript(const SlurmSubmitOptions& o) {
  std::string run_dir;
  FLEET_ASSIGN_OR_RETURN(auto cs, ScriptFor(o, &run_dir));
  std::fputs(cs.second.c_str(), stdout);
  return OkStatus();
}

Status SubmitSlurmJob(const SlurmSubmitOptions& o) {
  std::string run_dir;
  FLEET_ASSIGN_OR_RETURN(auto cs, ScriptFor(o, &run_dir));
  if (fs::exists(run_dir + "/submitted-config.yaml") || fs::exists(run_dir + "/config.yaml")) {
    return FailedPreconditionError("run directory " + run_dir +
                              " holds a run already; resubmit its slurm.sh with sbatch to continue it");
  }
  std::error_code ec;
  fs::create_directories(run_dir + "/logs", ec);
  if (ec) return InternalError("cannot create " + run_dir + "/logs: " + ec.message());
  const std::string script = run_dir + "/slurm.sh";
  {
    std::ofstream f(script, std::ios::trunc);
    f << cs.second;
    if (!f) return InternalError("cannot write " + script);
  }
  fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  FLEET_ASSIGN_OR_RETURN(std::string sb, Capture({"sbatch", "--parsable", script}));
  std::string job = sb.substr(0, sb.find_first_of(";\n"));
  if (job.empty()) return InternalError("sbatch printed no job id");
  std::printf("fleet: submitted %s as Slurm job %s; run directory %s\n", script.c_str(), job.c_str(),
              run_dir.c_str());
  std::fflush(stdout);
  if (!o.follow) return OkStatus();

  // follow: the batch output (the run's status lines) and the job's state.
  const std::string output = run_dir + "/logs/slurm-" + job + ".out";
  std::streamoff printed = 0;
  auto print_new = [&] {
    std::ifstream in(output);
    if (!in) return;
    in.seekg(printed);
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // a partial line: next time
      std::printf("%s\n", line.c_str());
      printed = in.tellg();
    }
    std::fflush(stdout);
  };
  std::string last_state;
  while (true) {
    if (StopRequested()) {
      std::printf("fleet: cancelling Slurm job %s\n", job.c_str());
      (void)Capture({"scancel", job});
      return CancelledError("cancelled; partial results in " + run_dir);
    }
    print_new();
    auto show = Capture({"scontrol", "show", "job", "-o", job});
    if (!show.ok()) {
      // gone from the controller's memory (MinJobAge): the run's summary tells.
      print_new();
      return fs::exists(run_dir + "/summary.json")
                 ? OkStatus()
                 : UnavailableError("Slurm job " + job + " is gone and left no summary.json");
    }
    // a heterogeneous job has one line per component; the first is the leader.
    const std::string line = show->substr(0, show->find('\n'));
    const std::string state = Field(line, "JobState");
    if (state != last_state) {
      if (state != "RUNNING") std::printf("fleet: Slurm job %s %s\n", job.c_str(), state.c_str());
      std::fflush(stdout);
      last_state = state;
    }
    if (state == "COMPLETED" || state == "FAILED" || state == "CANCELLED" || state == "TIMEOUT" ||
        state == "NODE_FAIL" || state == "OUT_OF_MEMORY" || state == "BOOT_FAIL" ||
        state == "DEADLINE" || state == "PREEMPTED") {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      print_new();
      const std::string exit_code = Field(line, "ExitCode");  // "rc:signal"
      if (state == "COMPLETED") {
        PrintSummary("finished", run_dir);
        return OkStatus();
      }
      return InternalError("Slurm job " + job + " ended " + state + " (exit " + exit_code +
                          "); its output: " + output);
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
}

}  // namespace fleet::orchestrator
