// End-to-end: `fleet run` starting the store, the learner and actors as real processes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <algorithm>
#include <map>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fleet {
namespace {

using testing::CommandResult;
using testing::RunCommand;

std::string Fleet() { return std::string(FLEET_BIN_DIR) + "/fleet"; }
std::string Config() { return std::string(FLEET_SOURCE_DIR) + "/configs/cartpole_ppo.yaml"; }

// 2 actors x 8 envs, 60k steps: a few seconds, enough for CartPole to learn visibly.
const char* kShortRun =
    " --set learner.total_env_steps=60000 --set env.num_envs=8 --set actors.steps_per_chunk=64"
    " --set learner.ppo.learning_rate=1e-3 --set learner.ppo.num_minibatches=2";

TEST(EndToEndTest, ShortRunLearnsAndWritesTheRunDirectory) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  auto r = RunCommand(Fleet() + " run " + Config() + " --run-dir " + run + kShortRun +
                      " --set store.record=true");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"config.yaml", "metrics.csv", "summary.json", "logs/store.log",
                        "logs/learner.log", "logs/actor-0.log", "logs/actor-1.log",
                        "checkpoints/final_model.pt", "checkpoints/final_policy.pb",
                        "dataset/shard-00000.h5", "dataset/shard-00000.h5.json"}) {
    EXPECT_TRUE(std::filesystem::exists(run + "/" + f)) << f;
  }
  auto m = testing::ReadCsv(run + "/metrics.csv");
  const auto& ret = m["mean_return_100"];
  ASSERT_GT(ret.size(), 10u);
  // the first updates see a random policy (~20); learning must at least triple that.
  EXPECT_LT(ret.front(), 40.0);
  EXPECT_GT(ret.back(), 3 * ret.front()) << "return did not improve";
  EXPECT_GT(ret.back(), 80.0);
  // synchronous mode: every chunk was made by the current policy.
  for (double lag : m["policy_lag"]) ASSERT_EQ(lag, 0.0);

  const Json summary = testing::ReadJson(run + "/summary.json");
  for (const char* key : {"env_steps", "wall_seconds", "episodes", "mean_return_100", "threshold",
                          "threshold_step", "threshold_seconds"}) {
    EXPECT_TRUE(summary.contains(key)) << key << "\n" << summary.dump(2);
  }
  EXPECT_GE(summary["env_steps"].get<int64_t>(), 60000);
  EXPECT_LT(summary["env_steps"].get<int64_t>(), 70000);
  EXPECT_EQ(summary["threshold"], 475.0);
  // `fleet eval` runs the saved policy without libtorch: better than random (~22).
  auto eval = RunCommand(Fleet() + " eval " + run + " --episodes 10");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  auto result = ParseJson(eval.output, "fleet eval's output");
  ASSERT_TRUE(result.ok()) << result.status().ToString() << "\n" << eval.output;
  EXPECT_GT((*result)["deterministic"]["mean"].get<double>(), 60.0) << eval.output;
  auto wrong_env = RunCommand(Fleet() + " eval " + run + "/checkpoints/final_policy.pb --env Acrobot-v1");
  EXPECT_NE(wrong_env.exit_code, 0);
  EXPECT_NE(wrong_env.output.find("does not fit Acrobot-v1"), std::string::npos) << wrong_env.output;

  // `fleet plot` draws the curve; an unknown column is named.
  auto plot = RunCommand(Fleet() + " plot " + run + " " + run + " --metric mean_return_100");
  ASSERT_EQ(plot.exit_code, 0) << plot.output;
  const std::string svg = testing::ReadFile(run + "/curves.svg");
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("2 runs, mean and min-max"), std::string::npos);
  auto bad_plot = RunCommand(Fleet() + " plot " + run + " --metric no_such_column");
  EXPECT_NE(bad_plot.exit_code, 0);
  EXPECT_NE(bad_plot.output.find("no_such_column"), std::string::npos) << bad_plot.output;

  // the recorded dataset opens with h5py and is consistent (Debian's python3-h5py).
  auto check = RunCommand("/usr/bin/python3 " + std::string(FLEET_SOURCE_DIR) +
                          "/tests/replay/check_dataset.py " + run + "/dataset/shard-00000.h5");
  EXPECT_EQ(check.exit_code, 0) << check.output;

  // `fleet dataset verify` agrees, and catches a tampered and a truncated copy.
  auto verify = RunCommand(Fleet() + " dataset verify " + run + "/dataset");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("verify: OK"), std::string::npos) << verify.output;
  auto info = RunCommand(Fleet() + " dataset info " + run + "/dataset");
  EXPECT_NE(info.output.find("env CartPole-v1"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("optional columns: infos/logprob, infos/value"), std::string::npos)
      << info.output;  // what PPO's actors report
  const std::string shard = run + "/dataset/shard-00000.h5";
  const std::string tampered = dir.path() + "/tampered.h5", truncated = dir.path() + "/trunc.h5";
  std::filesystem::copy_file(shard, tampered);
  std::filesystem::copy_file(shard + ".json", tampered + ".json");
  auto flip = RunCommand("/usr/bin/python3 -c \"import h5py,sys; f=h5py.File(sys.argv[1],'r+'); "
                         "t=f['terminals']; t[0]=1-t[0]\" " + tampered);
  ASSERT_EQ(flip.exit_code, 0) << flip.output;
  auto bad = RunCommand(Fleet() + " dataset verify " + tampered);
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("disagree with the episode index"), std::string::npos) << bad.output;
  std::filesystem::copy_file(shard, truncated);
  std::filesystem::copy_file(shard + ".json", truncated + ".json");
  std::filesystem::resize_file(truncated, 4096);
  auto cut = RunCommand(Fleet() + " dataset verify " + truncated);
  EXPECT_EQ(cut.exit_code, 1) << cut.output;
  EXPECT_NE(cut.output.find("truncated or corrupt"), std::string::npos) << cut.output;
}

TEST(EndToEndTest, SynchronousRunsAreDeterministicUnderASeed) {
  testing::TempDir dir;
  const std::string flags =
      " --set learner.total_env_steps=16384 --set env.num_envs=4 --set actors.steps_per_chunk=64";
  auto a = RunCommand(Fleet() + " run " + Config() + " --run-dir " + dir.path() + "/a" + flags);
  auto b = RunCommand(Fleet() + " run " + Config() + " --run-dir " + dir.path() + "/b" + flags);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  auto ma = testing::ReadCsv(dir.path() + "/a/metrics.csv"), mb = testing::ReadCsv(dir.path() + "/b/metrics.csv");
  for (const char* col : {"env_steps", "episodes", "mean_return_100", "policy_loss",
                          "value_loss", "entropy", "approx_kl"}) {
    ASSERT_FALSE(ma[col].empty()) << col;
    EXPECT_EQ(ma[col], mb[col]) << col;
  }
  auto c = RunCommand(Fleet() + " run " + Config() + " --run-dir " + dir.path() + "/c" + flags +
                      " --set run.seed=2");
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_NE(testing::ReadCsv(dir.path() + "/c/metrics.csv")["policy_loss"], ma["policy_loss"]);
}

// Continuous actions (Gaussian policy), observation and reward normalization, MuJoCo:
// two PPO updates through the whole pipeline, recorded.
TEST(EndToEndTest, ContinuousControlRunsEndToEnd) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  auto r = RunCommand(Fleet() + " run " + std::string(FLEET_SOURCE_DIR) +
                      "/configs/halfcheetah_ppo_cleanrl.yaml --run-dir " + run +
                      " --set learner.total_env_steps=4096 --set learner.ppo.update_epochs=2"
                      " --set store.record=true");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto m = testing::ReadCsv(run + "/metrics.csv");
  ASSERT_EQ(m["update"].size(), 2u);
  for (double v : m["policy_loss"]) EXPECT_TRUE(std::isfinite(v));
  EXPECT_EQ(testing::ReadJson(run + "/summary.json")["env_id"], "HalfCheetah-v5");
  // HalfCheetah never terminates: 1000-step episodes ending in a timeout, plus the episode
  // still open at the end, stored cut (every accepted step is kept: whole 2048-step chunks).
  auto check = RunCommand(
      "/usr/bin/python3 -c \"import h5py,sys; f=h5py.File(sys.argv[1]); "
      "n=f['actions'].shape[0]; assert n>=4096 and n%2048==0, n; "
      "assert f['actions'].shape[1]==6; assert f['observations'].shape==(n,17); "
      "L=f['episodes/length'][:]; cut=f['episodes/cut'][:]; "
      "assert (L[cut==0]==1000).all(), L; assert cut.sum()==1, cut; "
      "assert f['timeouts'][:].sum()==len(L); assert f['terminals'][:].sum()==0\" " +
      run + "/dataset/shard-00000.h5");
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

int CsvRows(const std::string& path) {
  std::istringstream in(testing::ReadFile(path));
  int rows = -1;  // header
  for (std::string line; std::getline(in, line);) ++rows;
  return std::max(rows, 0);
}

// Kill -9 every process of a run midway, resume it, and compare with the same run
// uninterrupted: the learning curve continues where the checkpoint left it.
TEST(EndToEndTest, KilledRunResumesFromItsCheckpoint) {
  testing::TempDir dir;
  const std::string flags =
      " --set learner.total_env_steps=250000 --set learner.checkpoint_every=10";
  const std::string killed = dir.path() + "/killed", full = dir.path() + "/full";
  const std::string cmd = Fleet() + " run " + Config() + " --run-dir " + killed + flags +
                          " > /dev/null 2>&1";
  const pid_t pid = testing::StartInOwnGroup(cmd);
  for (int i = 0; i < 1200 && CsvRows(killed + "/metrics.csv") < 105; ++i) ::usleep(25000);
  ASSERT_GE(CsvRows(killed + "/metrics.csv"), 105) << "the run did not get far enough";
  ::kill(-pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::usleep(200000);  // children get SIGTERM from PDEATHSIG or die with the group
  ASSERT_TRUE(std::filesystem::exists(killed + "/checkpoints/latest/model.pt"));
  EXPECT_FALSE(std::filesystem::exists(killed + "/summary.json"));

  auto resumed = RunCommand(Fleet() + " run --resume " + killed);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  auto m = testing::ReadCsv(killed + "/metrics.csv");
  const auto& update = m["update"];
  ASSERT_EQ(update.size(), 245u);  // ceil(250000 / 1024) updates, each exactly once
  for (size_t i = 0; i < update.size(); ++i) ASSERT_EQ(update[i], static_cast<double>(i + 1));
  for (size_t i = 1; i < m["env_steps"].size(); ++i) {
    ASSERT_GT(m["env_steps"][i], m["env_steps"][i - 1]);
  }
  EXPECT_NE(testing::ReadFile(killed + "/logs/learner.log").find("resumed from"),
            std::string::npos);

  auto uninterrupted = RunCommand(Fleet() + " run " + Config() + " --run-dir " + full + flags);
  ASSERT_EQ(uninterrupted.exit_code, 0) << uninterrupted.output;
  const double a = testing::ReadCsv(killed + "/metrics.csv")["mean_return_100"].back();
  const double b = testing::ReadCsv(full + "/metrics.csv")["mean_return_100"].back();
  RecordProperty("resumed_mean_return_100", std::to_string(a));
  RecordProperty("uninterrupted_mean_return_100", std::to_string(b));
  // near convergence (CartPole's maximum is 500) both runs should be close.
  EXPECT_GT(a, 350.0);
  EXPECT_GT(b, 350.0);
  EXPECT_LT(std::abs(a - b), 120.0) << "resumed " << a << " vs uninterrupted " << b;

  auto no_checkpoint = RunCommand(Fleet() + " run --resume " + dir.path() + "/nothing");
  EXPECT_NE(no_checkpoint.exit_code, 0);
  EXPECT_NE(no_checkpoint.output.find("no checkpoint"), std::string::npos) << no_checkpoint.output;
}

// An actor killed in the middle of a run is started again (actors.max_restarts) and the
// run finishes: the learner keeps getting its chunks from the new process.
TEST(EndToEndTest, KilledActorIsRestartedAndTheRunFinishes) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run", out = dir.path() + "/out.txt";
  const std::string cmd = Fleet() + " run " + Config() + " --run-dir " + run +
                          " --set learner.total_env_steps=150000 --set actors.restart_backoff_ms=200"
                          " > " + out + " 2>&1";
  const pid_t pid = testing::StartInOwnGroup(cmd);
  for (int i = 0; i < 1200 && CsvRows(run + "/metrics.csv") < 20; ++i) ::usleep(25000);
  ASSERT_GE(CsvRows(run + "/metrics.csv"), 20) << testing::ReadFile(out);
  const pid_t actor = std::stoi(testing::ReadFile(run + "/logs/actor-0.pid"));
  ASSERT_EQ(::kill(actor, SIGKILL), 0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string output = testing::ReadFile(out);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_NE(output.find("actor 0 exited (code 137); restarting it (1 of 3)"), std::string::npos)
      << output;
  EXPECT_GE(testing::ReadJson(run + "/summary.json").value("env_steps", int64_t{0}), 150000);
  // the log holds both processes: the killed one and its replacement
  const std::string log = testing::ReadFile(run + "/logs/actor-0.log");
  size_t starts = 0;
  for (auto at = log.find("actor 0 on "); at != std::string::npos; at = log.find("actor 0 on ", at + 1)) {
    ++starts;
  }
  EXPECT_EQ(starts, 2u) << log;
}

// The store and then the learner killed mid-run (synchronous actors, recording on): the
// store is restarted and recovers, the learner asks again for its batch and republishes
// under a new weights epoch so that actors whose chunks died with the store send again;
// the learner is restarted from its checkpoint and actors take its older version. The
// run finishes. (The full fault test, on LunarLander, is tests/e2e/fault_test.cc.)
TEST(EndToEndTest, KilledStoreAndLearnerAreRestartedAndTheRunFinishes) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run", out = dir.path() + "/out.txt";
  const std::string cmd = Fleet() + " run " + Config() + " --run-dir " + run +
                          " --set learner.total_env_steps=150000 --set learner.checkpoint_every=10"
                          " --set store.record=true --set actors.weights_timeout_ms=10000 > " + out +
                          " 2>&1";
  const pid_t pid = testing::StartInOwnGroup(cmd);
  auto pid_of = [&](const std::string& name) {
    return std::stoi(testing::ReadFile(run + "/logs/" + name + ".pid"));
  };
  auto kill_and_wait_for_restart = [&](const std::string& name) {
    const pid_t victim = pid_of(name);
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    for (int i = 0; i < 400 && pid_of(name) == victim; ++i) ::usleep(25000);
    ASSERT_NE(pid_of(name), victim) << name << " was not restarted";
  };
  for (int i = 0; i < 2400 && CsvRows(run + "/metrics.csv") < 20; ++i) ::usleep(25000);
  ASSERT_GE(CsvRows(run + "/metrics.csv"), 20) << testing::ReadFile(out);
  // actor 1 held still: actor 0's chunk of the round waits in the store's queue (it was
  // acknowledged) for actor 1's, and actor 0 waits for newer weights. The store dies
  // with that chunk; without a new weights epoch the learner would wait forever for a
  // chunk actor 0 will not send again.
  const pid_t actor1 = pid_of("actor-1");
  ASSERT_EQ(::kill(actor1, SIGSTOP), 0);
  ::usleep(700000);
  kill_and_wait_for_restart("store");
  ASSERT_EQ(::kill(actor1, SIGCONT), 0);
  for (int i = 0; i < 2400 && CsvRows(run + "/metrics.csv") < 45; ++i) ::usleep(25000);
  ASSERT_GE(CsvRows(run + "/metrics.csv"), 45) << testing::ReadFile(out);
  kill_and_wait_for_restart("learner");
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string output = testing::ReadFile(out);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_NE(output.find("store exited (code 137); restarting it (1 of 3)"), std::string::npos) << output;
  EXPECT_NE(output.find("learner exited (code 137); restarting it (1 of 3) from its latest checkpoint"),
            std::string::npos) << output;
  const std::string learner_log = testing::ReadFile(run + "/logs/learner.log");
  EXPECT_NE(learner_log.find("the store's connection came back"), std::string::npos) << learner_log;
  EXPECT_NE(learner_log.find("resumed from"), std::string::npos) << learner_log;
  EXPECT_NE(testing::ReadFile(run + "/logs/actor-0.log").find("of a new epoch"), std::string::npos);
  // no actor waited out its weights timeout: the new epoch set them going again
  EXPECT_EQ(output.find("actor 0 exited"), std::string::npos) << output;
  EXPECT_EQ(output.find("actor 1 exited"), std::string::npos) << output;
  EXPECT_GE(testing::ReadJson(run + "/summary.json").value("env_steps", int64_t{0}), 150000);
  // metrics.csv was cut back to the checkpoint: every update once, in order
  const auto update = testing::ReadCsv(run + "/metrics.csv")["update"];
  for (size_t i = 0; i < update.size(); ++i) ASSERT_EQ(update[i], static_cast<double>(i + 1));
  const CommandResult check = RunCommand(
      "/usr/bin/python3 " + std::string(FLEET_SOURCE_DIR) + "/tests/replay/check_exactly_once.py"
      " --contiguous " + run + "/dataset 512 1 4");
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

// A stopped (SIGSTOP) learner gives no sign of life: it is killed after
// learner.heartbeat_timeout_s and started again from its checkpoint, and training goes on.
// The run is far longer than the test (it never ends on its own, however fast the
// machine), and the test stops it with SIGINT once the restarted learner has updated.
TEST(EndToEndTest, StoppedLearnerIsNoticedAndRestarted) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run", out = dir.path() + "/out.txt";
  const std::string cmd = Fleet() + " run " + Config() + " --run-dir " + run +
                          " --set learner.total_env_steps=500000000"
                          " --set learner.checkpoint_every=10"
                          " --set learner.heartbeat_timeout_s=4 > " + out + " 2>&1";
  const pid_t pid = testing::StartInOwnGroup(cmd);
  auto stop = [&] {
    ::kill(-pid, SIGINT);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
  };
  for (int i = 0; i < 2400 && CsvRows(run + "/metrics.csv") < 25; ++i) ::usleep(25000);
  const int started = CsvRows(run + "/metrics.csv");
  if (started < 25) stop();
  ASSERT_GE(started, 25) << testing::ReadFile(out);
  // a working learner beats: longer than the timeout passes without a restart
  ::usleep(5500000);
  const int before_stop = CsvRows(run + "/metrics.csv");
  if (testing::ReadFile(out).find("no sign of life") != std::string::npos) stop();
  ASSERT_EQ(testing::ReadFile(out).find("no sign of life"), std::string::npos) << testing::ReadFile(out);
  ASSERT_GT(before_stop, started);
  const pid_t learner = std::stoi(testing::ReadFile(run + "/logs/learner.pid"));
  ASSERT_EQ(::kill(learner, SIGSTOP), 0);
  // noticed within the timeout (plus the supervisor's poll), restarted, and updating again:
  // the restarted learner cuts metrics.csv back to its checkpoint and appends from there.
  const std::string restarted =
      "learner exited (code 137); restarting it (1 of 3) from its latest checkpoint";
  for (int i = 0; i < 1200 && testing::ReadFile(out).find(restarted) == std::string::npos; ++i) {
    ::usleep(25000);
  }
  const bool noticed = testing::ReadFile(out).find(restarted) != std::string::npos;
  if (!noticed) stop();
  ASSERT_TRUE(noticed) << testing::ReadFile(out);
  for (int i = 0; i < 2400 && CsvRows(run + "/metrics.csv") <= before_stop + 5; ++i) {
    ::usleep(25000);
  }
  const int after = CsvRows(run + "/metrics.csv");
  stop();
  ASSERT_GT(after, before_stop + 5) << "the restarted learner did not train";
  const std::string output = testing::ReadFile(out);
  EXPECT_NE(output.find("run interrupted"), std::string::npos) << output;
  EXPECT_NE(output.find("learner gave no sign of life"), std::string::npos) << output;
  EXPECT_NE(testing::ReadFile(run + "/logs/learner.log").find("resumed from"), std::string::npos);
  EXPECT_EQ(output.find("restarting it (2 of 3)"), std::string::npos) << output;
  // every update once, in order, across the restart
  const auto update = testing::ReadCsv(run + "/metrics.csv")["update"];
  for (size_t i = 0; i < update.size(); ++i) ASSERT_EQ(update[i], static_cast<double>(i + 1));
}

// A stopped (SIGSTOP) actor gives no sign of life: the orchestrator kills it after
// actors.heartbeat_timeout_s, starts a new one, and the run finishes.
TEST(EndToEndTest, StoppedActorIsNoticedAndReplaced) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run", out = dir.path() + "/out.txt";
  const std::string cmd = Fleet() + " run " + Config() + " --run-dir " + run +
                          " --set learner.total_env_steps=150000 --set actors.restart_backoff_ms=200"
                          " --set actors.heartbeat_timeout_s=2 > " + out + " 2>&1";
  const pid_t pid = testing::StartInOwnGroup(cmd);
  for (int i = 0; i < 1200 && CsvRows(run + "/metrics.csv") < 20; ++i) ::usleep(25000);
  ASSERT_GE(CsvRows(run + "/metrics.csv"), 20) << testing::ReadFile(out);
  const pid_t actor = std::stoi(testing::ReadFile(run + "/logs/actor-1.pid"));
  ASSERT_EQ(::kill(actor, SIGSTOP), 0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string output = testing::ReadFile(out);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_NE(output.find("actor 1 gave no sign of life"), std::string::npos) << output;
  EXPECT_NE(output.find("actor 1 exited (code 137); restarting it (1 of 3)"), std::string::npos)
      << output;
  EXPECT_GE(testing::ReadJson(run + "/summary.json").value("env_steps", int64_t{0}), 150000);
}

TEST(EndToEndTest, UnknownConfigKeyFailsBeforeAnyProcessStarts) {
  testing::TempDir dir;
  auto r = RunCommand(Fleet() + " run " + Config() + " --run-dir " + dir.path() +
                      "/run --set learner.ppo.learning_rat=0.1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown config key 'learner.ppo.learning_rat'"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/run"));
}

// TCP with the binding roles on every interface and the others connecting to a named
// address: the launch plan's bind and connect sides, with real processes.
TEST(EndToEndTest, TcpBindsEverywhereAndConnectsToTheNamedHost) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  auto r = RunCommand(Fleet() + " run " + Config() + " --run-dir " + run +
                      " --set learner.total_env_steps=4096 --set run.transport=tcp"
                      " --set run.tcp_bind_host=* --set run.tcp_connect_host=127.0.0.1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(testing::ReadJson(run + "/summary.json").value("env_steps", int64_t{0}), 4096);
  const std::string store_log = testing::ReadFile(run + "/logs/store.log");
  EXPECT_NE(store_log.find("serving ingest at tcp://*:"), std::string::npos) << store_log;
}

TEST(EndToEndTest, UnknownEnvIdListsKnownIds) {
  testing::TempDir dir;
  auto r = RunCommand(Fleet() + " run " + Config() + " --run-dir " + dir.path() +
                      "/run --set env.id=CartPole-v9");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown env id 'CartPole-v9'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("CartPole-v1"), std::string::npos) << r.output;
}

TEST(EndToEndTest, FailingComponentIsNamedAndEverythingStops) {
  testing::TempDir dir;
  // actors give up after 1 ms without weights, long before the learner has started.
  auto r = RunCommand(Fleet() + " run " + Config() + " --run-dir " + dir.path() +
                      "/run --set actors.weights_timeout_ms=1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("actor"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("failed (exit code 1)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no weights from the learner"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fleet
