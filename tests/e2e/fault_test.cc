// Issue 12's fault test: a LunarLander-v3 PPO run with recording on, in which actors are
// killed with SIGKILL three times, the store once and the learner once. The run must
// finish on its own, reach the env's threshold (200) within its step budget (1M steps),
// and the recorded dataset must hold every chunk a store acknowledged exactly once
// (checked independently with h5py: tests/replay/check_exactly_once.py).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fleet {
namespace {

std::string Fleet() { return std::string(FLEET_BIN_DIR) + "/fleet"; }
std::string Source(const std::string& rel) { return std::string(FLEET_SOURCE_DIR) + "/" + rel; }

pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = -1;
  in >> pid;
  return pid;
}

int CsvRows(const std::string& path) {
  std::istringstream in(testing::ReadFile(path));
  int rows = -1;  // header
  for (std::string line; std::getline(in, line);) ++rows;
  return std::max(rows, 0);
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(FaultTest, LunarLanderRunSurvivesKilledActorsStoreAndLearner) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run", out = dir.path() + "/out.txt";
  const std::string cmd = Fleet() + " run " + Source("configs/lunarlander_ppo.yaml") +
                          " --run-dir " + run +
                          " --set run.seed=2 --set store.record=true --set learner.checkpoint_every=10"
                          " --set actors.restart_backoff_ms=200 --set run.status_interval_s=10 > " +
                          out + " 2>&1";
  // Seed 2: on the Gymnasium-faithful LunarLander (since the Box2D fixes of 2026-12-02)
  // seed 1 ends a plain run short of 200 (docs/RESULTS.md: 128.9 at 1M), and with the kills'
  // timing it passed or failed by chance; seeds 2 and 3 reach 200 at about half the budget.
  const pid_t pid = testing::StartInOwnGroup(cmd);
  // (metrics.csv rows = learner updates of 4096 steps, process to kill); the learner's
  // kill comes after its checkpoint at update 40, so it resumes from there.
  const std::pair<int, std::string> faults[] = {
      {8, "actor-0"}, {20, "store"}, {32, "actor-1"}, {45, "learner"}, {60, "actor-0"}};
  for (const auto& [rows, name] : faults) {
    for (int i = 0; i < 4000 && CsvRows(run + "/metrics.csv") < rows; ++i) ::usleep(50000);
    ASSERT_GE(CsvRows(run + "/metrics.csv"), rows) << name << "\n" << testing::ReadFile(out);
    const std::string pid_file = run + "/logs/" + name + ".pid";
    const pid_t victim = ReadPid(pid_file);
    ASSERT_GT(victim, 0) << pid_file;
    ASSERT_EQ(::kill(victim, SIGKILL), 0) << name;
    // the next fault only once this one's replacement runs
    pid_t replacement = victim;
    for (int i = 0; i < 600 && (replacement == victim || replacement <= 0); ++i) {
      ::usleep(50000);
      replacement = ReadPid(pid_file);
    }
    ASSERT_NE(replacement, victim) << name << " was not restarted\n" << testing::ReadFile(out);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const std::string output = testing::ReadFile(out);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(Count(output, "actor 0 exited (code 137); restarting it"), 2) << output;
  EXPECT_EQ(Count(output, "actor 1 exited (code 137); restarting it"), 1) << output;
  EXPECT_NE(output.find("store exited (code 137); restarting it (1 of 3)"), std::string::npos) << output;
  EXPECT_NE(output.find("learner exited (code 137); restarting it (1 of 3)"), std::string::npos)
      << output;
  const std::string learner_log = testing::ReadFile(run + "/logs/learner.log");
  EXPECT_NE(learner_log.find("resumed from"), std::string::npos) << learner_log;
  EXPECT_NE(learner_log.find("the store's connection came back"), std::string::npos) << learner_log;

  const Json summary = testing::ReadJson(run + "/summary.json");
  RecordProperty("threshold_step", summary.value("threshold_step", Json()).dump());
  RecordProperty("mean_return_100", std::to_string(summary.value("mean_return_100", 0.0)));
  ASSERT_FALSE(summary["threshold_step"].is_null()) << "200 never reached\n" << summary.dump(2);
  EXPECT_LE(summary["threshold_step"].get<int64_t>(), 1000000) << summary.dump(2);

  // every chunk of 8 envs x 256 steps stored exactly once, each (actor, epoch) stream
  // without a gap (a lost acknowledged chunk), episodes seeded from the actors' streams
  const testing::CommandResult check =
      testing::RunCommand("/usr/bin/python3 " + Source("tests/replay/check_exactly_once.py") +
                          " --contiguous " + run + "/dataset 2048 2 8");  // chunk steps, seed, envs
  EXPECT_EQ(check.exit_code, 0) << check.output;
  const testing::CommandResult verify = testing::RunCommand(Fleet() + " dataset verify " + run + "/dataset");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

}  // namespace
}  // namespace fleet
