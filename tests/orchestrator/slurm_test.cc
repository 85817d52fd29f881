// fleet slurm script: the batch script's job layout (a heterogeneous job: store and learner
// on one node, actors in the second component), the GPU request, time limit and requeue
// on the near-limit signal, the embedded config, shell syntax; the srun line of each role.
#include "orchestrator/slurm.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "learner/algorithm_registry.h"
#include "orchestrator/launch_plan.h"

namespace fleet::orchestrator {
namespace {

ExperimentConfig Config(const std::vector<std::string>& sets) {
  auto cfg = learner::ParseRunConfig("", sets);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  return *cfg;
}

std::string Script(const ExperimentConfig& cfg, SlurmCommand c = SlurmCommand::kRun) {
  auto s = RenderSlurmScript(cfg, {.command = c, .run_dir = "/shared/runs/r1",
                                   .fleet_binary = "/opt/fleet/bin/fleet"});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : "";
}

bool Contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

// the text between the heredoc markers
std::string EmbeddedConfig(const std::string& script) {
  const std::string open = "<<'FLEET_CONFIG_EOF'\n";
  const auto a = script.find(open);
  const auto b = script.find("\nFLEET_CONFIG_EOF\n");
  if (a == std::string::npos || b == std::string::npos) return "";
  return script.substr(a + open.size(), b - a - open.size() + 1);
}

TEST(SlurmScriptTest, HeterogeneousJobWithStoreAndLearnerFirstAndActorsSecond) {
  const std::string s = Script(Config({"actors.count=6", "learner.threads=3",
                                       "slurm.cpus_per_actor=2", "slurm.actor_nodes=3",
                                       "slurm.partition=gpu", "slurm.time_limit=04:00:00"}));
  ASSERT_TRUE(s.starts_with("#!/bin/bash\n"));
  // component 0: one node, the learner's threads + the store's cpu
  const auto het = s.find("#SBATCH hetjob\n");
  ASSERT_NE(het, std::string::npos) << s;
  const std::string first = s.substr(0, het), second = s.substr(het);
  EXPECT_TRUE(Contains(first, "#SBATCH --nodes=1 --ntasks=1 --cpus-per-task=4\n")) << first;
  EXPECT_TRUE(Contains(second, "#SBATCH --ntasks=6 --cpus-per-task=2\n")) << second;
  EXPECT_TRUE(Contains(second, "#SBATCH --nodes=3\n")) << second;
  // the partition applies to both components
  EXPECT_TRUE(Contains(first, "#SBATCH --partition=gpu\n"));
  EXPECT_TRUE(Contains(second, "#SBATCH --partition=gpu\n"));
  EXPECT_TRUE(Contains(first, "#SBATCH --time=04:00:00\n"));
  EXPECT_TRUE(Contains(first, "#SBATCH --output=/shared/runs/r1/logs/slurm-%j.out\n"));
  // no GPU for a cpu learner
  EXPECT_FALSE(Contains(s, "--gres"));
  // endpoints from the first component's first node
  EXPECT_TRUE(Contains(s, "scontrol show hostnames \"${SLURM_JOB_NODELIST_HET_GROUP_0"));
  EXPECT_TRUE(Contains(s, "--launcher slurm"));
  EXPECT_TRUE(Contains(s, "run.tcp_connect_host=$addr"));
}

TEST(SlurmScriptTest, AsksForTheLearnersGpuOnlyInTheFirstComponent) {
  const std::string s = Script(Config({"learner.device=cuda", "slurm.gpu_gres=gpu:a100:1"}));
  const auto het = s.find("#SBATCH hetjob\n");
  ASSERT_NE(het, std::string::npos);
  EXPECT_TRUE(Contains(s.substr(0, het), "#SBATCH --gres=gpu:a100:1\n")) << s;
  EXPECT_FALSE(Contains(s.substr(het), "--gres"));
}

TEST(SlurmScriptTest, SignalBeforeTheLimitCheckpointsAndRequeues) {
  const std::string s = Script(Config({"slurm.signal_lead_s=120"}));
  EXPECT_TRUE(Contains(s, "#SBATCH --signal=B:USR1@120\n"));
  EXPECT_TRUE(Contains(s, "#SBATCH --requeue\n"));
  EXPECT_TRUE(Contains(s, "trap '"));
  EXPECT_TRUE(Contains(s, "scontrol requeue \"$SLURM_JOB_ID\""));
  // a restarted job continues from the checkpoint
  EXPECT_TRUE(Contains(s, "args=(run --resume \"$run_dir\")"));
  const std::string no = Script(Config({"slurm.requeue=false"}));
  EXPECT_TRUE(Contains(no, "#SBATCH --no-requeue\n"));
  EXPECT_TRUE(Contains(no, "if [ \"$requeue\" = 1 ] && false; then"));
}

TEST(SlurmScriptTest, EmbedsTheResolvedConfig) {
  const ExperimentConfig cfg = Config({"env.id=LunarLander-v3", "learner.total_env_steps=123456",
                                       "slurm.sbatch_options=[\"--exclusive\", \"--qos=high\"]"});
  const std::string s = Script(cfg);
  auto back = learner::ParseRunConfig(EmbeddedConfig(s), {});
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << EmbeddedConfig(s);
  EXPECT_EQ(back->env.id, "LunarLander-v3");
  EXPECT_EQ(back->learner.total_env_steps, 123456);
  EXPECT_EQ(back->slurm.sbatch_options, (std::vector<std::string>{"--exclusive", "--qos=high"}));
  EXPECT_TRUE(Contains(s, "#SBATCH --exclusive\n#SBATCH --qos=high\n"));
}

TEST(SlurmScriptTest, TrainOfflineIsOneComponent) {
  const std::string s =
      Script(Config({"learner.algo=dt", "learner.dataset=/d", "learner.threads=2"}),
             SlurmCommand::kTrainOffline);
  EXPECT_FALSE(Contains(s, "hetjob"));
  EXPECT_TRUE(Contains(s, "#SBATCH --nodes=1 --ntasks=1 --cpus-per-task=2\n"));
  EXPECT_TRUE(Contains(s, "args=(train-offline \"$run_dir/submitted-config.yaml\""));
}

// fleet collect: the store alone in component 0 (one cpu, no GPU even with a cuda learner
// configured), the actors in component 1; a requeued job runs the collect again into the
// same folder (it continues the dataset), never with --resume.
TEST(SlurmScriptTest, CollectIsTheStoreThenTheActors) {
  const std::string s =
      Script(Config({"actors.count=4", "learner.threads=8", "learner.device=cuda",
                     "slurm.gpu_gres=gpu:1", "collect.steps=1000"}),
             SlurmCommand::kCollect);
  const auto het = s.find("#SBATCH hetjob\n");
  ASSERT_NE(het, std::string::npos) << s;
  EXPECT_TRUE(Contains(s.substr(0, het), "#SBATCH --nodes=1 --ntasks=1 --cpus-per-task=1\n")) << s;
  EXPECT_TRUE(Contains(s.substr(het), "#SBATCH --ntasks=4 --cpus-per-task=1\n")) << s;
  EXPECT_FALSE(Contains(s, "--gres"));
  EXPECT_TRUE(Contains(s, "args=(collect \"$run_dir/submitted-config.yaml\" --run-dir \"$run_dir\")"));
  EXPECT_TRUE(Contains(s, "if [ -d \"$run_dir/checkpoints/latest\" ] && false; then"));
  EXPECT_TRUE(Contains(s, "--launcher slurm"));
}

TEST(SlurmScriptTest, IsValidBash) {
  const std::string path = ::testing::TempDir() + "/slurm_script_test.sh";
  std::ofstream(path) << Script(Config({"slurm.time_limit=30", "slurm.account=proj1"}));
  EXPECT_EQ(std::system(("bash -n " + path).c_str()), 0);
}

TEST(SlurmScriptTest, RefusesRelativeRunDirsAndShellCharactersInOptions) {
  EXPECT_FALSE(RenderSlurmScript(Config({}), {.run_dir = "runs/x", .fleet_binary = "/f"}).ok());
  for (const char* bad : {"slurm.partition=a b", "slurm.account=x;rm", "slurm.time_limit=1h",
                          "slurm.sbatch_options=[\"exclusive\"]", "slurm.cpus_per_actor=0"}) {
    auto cfg = learner::ParseRunConfig("", {bad});
    ASSERT_FALSE(cfg.ok()) << bad;
    EXPECT_NE(cfg.status().message().find(std::string(bad).substr(0, std::string(bad).find('='))),
              std::string::npos)
        << cfg.status().message();
  }
}

TEST(SrunTest, ActorsGoToTheSecondComponentWithTheirCpus) {
  RoleSpec actor;
  actor.role = "actor";
  actor.log_name = "actor-{index}";
  actor.resources.cpus = 2;
  auto argv = SrunArgv(actor, 3, /*heterogeneous=*/true, 0, "gpu:1");
  EXPECT_EQ(argv[0], "srun");
  EXPECT_EQ(argv[1], "--het-group=1");
  auto has = [&](const std::string& a) { return std::find(argv.begin(), argv.end(), a) != argv.end(); };
  EXPECT_TRUE(has("--cpus-per-task=2"));
  EXPECT_TRUE(has("--job-name=actor-3"));
  EXPECT_TRUE(has("--ntasks=1"));
  EXPECT_FALSE(has("--gres=gpu:1"));
  RoleSpec learner;
  learner.role = "learner";
  learner.log_name = "learner";
  learner.resources.gpus = 1;
  argv = SrunArgv(learner, 0, true, 4000, "gpu:1");
  EXPECT_EQ(argv[1], "--het-group=0");
  EXPECT_TRUE(std::find(argv.begin(), argv.end(), "--gres=gpu:1") != argv.end());
  EXPECT_TRUE(std::find(argv.begin(), argv.end(), "--mem-per-cpu=4000") != argv.end());
  // not heterogeneous (train-offline): no component to name
  argv = SrunArgv(learner, 0, false, 0, "");
  EXPECT_TRUE(argv[1].starts_with("--nodes"));
}

TEST(SlurmLauncherTest, RefusesToRunOutsideAnAllocation) {
  ::unsetenv("SLURM_JOB_ID");
  auto l = MakeSlurmLauncher("/bin", "/tmp");
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("fleet slurm submit"), std::string::npos);
}

}  // namespace
}  // namespace fleet::orchestrator
