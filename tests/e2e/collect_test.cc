// End-to-end: `fleet collect` with real processes, and the store killed with SIGKILL
// while actors stream (issue 4's fault test).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fleet {
namespace {

std::string Fleet() { return std::string(FLEET_BIN_DIR) + "/fleet"; }
std::string Source(const std::string& rel) { return std::string(FLEET_SOURCE_DIR) + "/" + rel; }

std::string Shell(const std::string& cmd, int* code) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  const int status = ::pclose(p);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = -1;
  in >> pid;
  return pid;
}

// 2 actors x 16 envs x 256 steps = 4096 steps per chunk pair; 100k-step shards.
const char* kFlags =
    " --set collect.episodes=0 --set collect.steps=1500000 --set store.shard_max_steps=100000"
    " --set actors.ack_timeout_ms=300";

TEST(CollectTest, KilledStoreLosesNoAcknowledgedStepAndStoresNoneTwice) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string cmd = Fleet() + " collect " + Source("configs/cartpole_random_collect.yaml") +
                            " --run-dir " + run + kFlags + " > " + dir.path() + "/out.txt 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // kill the store twice while the actors stream: once after its first shard is sealed,
  // once shortly after its restart.
  const std::string pid_file = run + "/logs/store.pid";
  for (int i = 0; i < 600 && !std::filesystem::exists(run + "/dataset/shard-00000.h5"); ++i) {
    ::usleep(20000);
  }
  ASSERT_TRUE(std::filesystem::exists(run + "/dataset/shard-00000.h5"));
  const pid_t first = ReadPid(pid_file);
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  pid_t second = first;
  for (int i = 0; i < 500 && (second == first || second <= 0); ++i) {
    ::usleep(10000);
    second = ReadPid(pid_file);
  }
  ASSERT_NE(second, first) << "the store was not restarted";
  ::usleep(400000);
  ASSERT_EQ(::kill(second, SIGKILL), 0);

  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const std::string out = testing::ReadFile(dir.path() + "/out.txt");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  const Json summary = testing::ReadJson(run + "/summary.json");
  EXPECT_EQ(summary.value("store_restarts", -1), 2) << summary.dump(2);
  const int64_t acked = summary.value("acked_steps", int64_t{-1});
  const int64_t stored = summary.value("env_steps", int64_t{-2});
  EXPECT_GE(acked, 1500000);
  EXPECT_EQ(stored, acked) << summary.dump(2);
  EXPECT_EQ(summary.value("dataset_ok", false), true) << summary.dump(2);
  EXPECT_NE(testing::ReadFile(run + "/logs/store.log").find("recovered dataset"), std::string::npos);

  // independently, with h5py: every file opens, each chunk's 16 x 256 steps exactly once.
  int code = 0;
  const std::string check = Shell("/usr/bin/python3 " + Source("tests/replay/check_exactly_once.py") +
                                    " " + run + "/dataset 4096 1 16",
                                &code);
  EXPECT_EQ(code, 0) << check;
  EXPECT_NE(check.find("total_steps " + std::to_string(acked)), std::string::npos) << check;
  const Json manifest = testing::ReadJson(run + "/dataset/shard-00000.h5.json");
  EXPECT_EQ(manifest["observation_space"]["type"], "Box") << manifest.dump(2);
  EXPECT_EQ(manifest["observation_space"]["dtype"], "float32");
  EXPECT_EQ(manifest["observation_space"]["shape"], Json::array({4}));
  EXPECT_EQ(manifest["action_space"]["type"], "Discrete") << manifest.dump(2);
  // a random policy has log-probs (uniform) and no value estimates.
  EXPECT_EQ(manifest["optional_columns"], Json::array({"infos/logprob"})) << manifest.dump(2);
  const std::string verify = Shell(Fleet() + " dataset verify " + run + "/dataset", &code);
  EXPECT_EQ(code, 0) << verify;
}

// An actor killed with SIGKILL mid-collection is restarted as a new stream (new epoch),
// the collection finishes with its summary; a second sitting into the same folder
// continues the dataset, and (actor, epoch, sequence) keeps every chunk apart (the issue:
// resuming stored 434 (actor, sequence) pairs twice with nothing to tell them apart).
TEST(CollectTest, KilledActorIsRestartedAndASecondSittingContinuesTheDataset) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  const std::string flags =
      " --set collect.episodes=0 --set store.shard_max_steps=100000 --set actors.ack_timeout_ms=300"
      " --set actors.restart_backoff_ms=100";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string cmd = Fleet() + " collect " + Source("configs/cartpole_random_collect.yaml") +
                            " --run-dir " + run + flags + " --set collect.steps=1000000 > " +
                            dir.path() + "/out.txt 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 600 && !std::filesystem::exists(run + "/dataset/shard-00000.h5"); ++i) {
    ::usleep(20000);
  }
  const pid_t actor = ReadPid(run + "/logs/actor-1.pid");
  ASSERT_GT(actor, 0);
  ASSERT_EQ(::kill(actor, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const std::string out = testing::ReadFile(dir.path() + "/out.txt");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_NE(out.find("actor 1 exited (code 137); restarting it"), std::string::npos) << out;
  const Json first = testing::ReadJson(run + "/summary.json");
  EXPECT_EQ(first.value("actor_restarts", -1), 1) << first.dump(2);
  const int64_t first_steps = first.value("env_steps", int64_t{-1});
  EXPECT_GE(first_steps, 1000000);
  EXPECT_EQ(first.value("sitting_env_steps", int64_t{-1}), first_steps);
  int code = 0;
  std::string check = Shell("/usr/bin/python3 " + Source("tests/replay/check_exactly_once.py") +
                                " " + run + "/dataset 4096", &code);
  EXPECT_EQ(code, 0) << check;

  // the second sitting: the target counts the whole dataset
  check = Shell(Fleet() + " collect " + Source("configs/cartpole_random_collect.yaml") +
                    " --run-dir " + run + flags + " --set collect.steps=1500000", &code);
  ASSERT_EQ(code, 0) << check;
  const Json second = testing::ReadJson(run + "/summary.json");
  const int64_t total = second.value("env_steps", int64_t{-1});
  EXPECT_GE(total, 1500000);
  EXPECT_EQ(second.value("sitting_env_steps", int64_t{-1}), total - first_steps) << second.dump(2);
  EXPECT_EQ(second.value("acked_steps", int64_t{-1}), total - first_steps) << second.dump(2);
  EXPECT_EQ(second.value("actor_restarts", -1), 0);
  check = Shell("/usr/bin/python3 " + Source("tests/replay/check_exactly_once.py") + " " + run +
                    "/dataset 4096", &code);
  EXPECT_EQ(code, 0) << check;
  EXPECT_NE(check.find("total_steps " + std::to_string(total)), std::string::npos) << check;
  // five actor processes wrote: 2 + the restart, then 2 more
  check = Shell("/usr/bin/python3 -c \"import h5py, glob, numpy as np; print('epochs', len(set("
                "np.concatenate([h5py.File(p)['infos/actor_epoch'][:] for p in glob.glob('" +
                run + "/dataset/shard-*.h5')]).tolist())))\"", &code);
  EXPECT_NE(check.find("epochs 5"), std::string::npos) << check;
}

// A hung store (SIGSTOP: alive, silent) is noticed by its heartbeat, killed and
// restarted; it recovers from its log and the collection finishes, every chunk once.
TEST(CollectTest, AHungStoreIsNoticedKilledAndRestarted) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string cmd = Fleet() + " collect " + Source("configs/cartpole_random_collect.yaml") +
                            " --run-dir " + run + kFlags +
                            " --set store.heartbeat_timeout_s=2 > " + dir.path() + "/out.txt 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 600 && !std::filesystem::exists(run + "/dataset/shard-00000.h5"); ++i) {
    ::usleep(20000);
  }
  const pid_t store = ReadPid(run + "/logs/store.pid");
  ASSERT_GT(store, 0);
  ASSERT_EQ(::kill(store, SIGSTOP), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const std::string out = testing::ReadFile(dir.path() + "/out.txt");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_NE(out.find("store gave no sign of life for"), std::string::npos) << out;
  EXPECT_NE(out.find("the store exited (code 137); restarting it (1 of 3)"), std::string::npos) << out;
  const Json summary = testing::ReadJson(run + "/summary.json");
  EXPECT_EQ(summary.value("store_restarts", -1), 1) << summary.dump(2);
  EXPECT_EQ(summary.value("env_steps", int64_t{-1}), summary.value("acked_steps", int64_t{-2}))
      << summary.dump(2);
  int code = 0;
  const std::string check = Shell("/usr/bin/python3 " + Source("tests/replay/check_exactly_once.py") +
                                      " " + run + "/dataset 4096", &code);
  EXPECT_EQ(code, 0) << check;
}

TEST(CollectTest, ScriptedAndCheckpointPoliciesAndBadInput) {  // NOLINT
  testing::TempDir dir;
  int code = 0;
  // the LunarLander heuristic lands: its episodes score far above a random policy's.
  const std::string scripted =
      Shell(Fleet() + " collect " + Source("configs/lunarlander_random_collect.yaml") + " --run-dir " +
              dir.path() + "/ll --set collect.policy=scripted --set collect.episodes=40" +
              " --set env.num_envs=4",
          &code);
  ASSERT_EQ(code, 0) << scripted;
  const std::string info = Shell(Fleet() + " dataset info " + dir.path() + "/ll/dataset", &code);
  ASSERT_EQ(code, 0) << info;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(info, m, std::regex("return mean (-?[0-9.]+)"))) << info;
  // complete episodes average ~200; cut ones (at the stop) pull it down a little.
  EXPECT_GT(std::stod(m[1]), 50.0) << info;

  // a policy trained for a few seconds, collected deterministically: longer episodes than
  // a random policy's ~22 steps.
  const std::string trained = Shell(Fleet() + " run " + Source("configs/cartpole_ppo.yaml") +
                                        " --run-dir " + dir.path() + "/train" +
                                        " --set learner.total_env_steps=60000 --set env.num_envs=8" +
                                        " --set actors.steps_per_chunk=64 --set learner.ppo.learning_rate=1e-3" +
                                        " --set learner.ppo.num_minibatches=2",
                                    &code);
  ASSERT_EQ(code, 0) << trained;
  const std::string from_ckpt =
      Shell(Fleet() + " collect " + Source("configs/cartpole_random_collect.yaml") + " --run-dir " +
                dir.path() + "/ck --set collect.policy=checkpoint --set collect.deterministic=true" +
                " --set collect.checkpoint=" + dir.path() + "/train/checkpoints/final_policy.pb" +
                " --set collect.episodes=50 --set env.num_envs=4 --set actors.steps_per_chunk=64",
            &code);
  ASSERT_EQ(code, 0) << from_ckpt;
  // the run directory stands for its dataset folder.
  const std::string ck_info = Shell(Fleet() + " dataset info " + dir.path() + "/ck", &code);
  ASSERT_EQ(code, 0) << ck_info;
  const std::string ck_verify = Shell(Fleet() + " dataset verify " + dir.path() + "/ck", &code);
  EXPECT_EQ(code, 0) << ck_verify;
  EXPECT_NE(ck_verify.find("verify: OK"), std::string::npos) << ck_verify;
  // exactly the episodes asked for, though 4 envs were mid-episode when it stopped.
  EXPECT_NE(ck_info.find(", 50 episodes,"), std::string::npos) << ck_info;
  // the finished recording's empty last log is not reported as if chunks were pending
  EXPECT_EQ(ck_info.find("log with"), std::string::npos) << ck_info;
  ASSERT_TRUE(std::regex_search(ck_info, m, std::regex("mean length ([0-9.]+)"))) << ck_info;
  EXPECT_GT(std::stod(m[1]), 60.0) << ck_info;

  const std::string no_target = Shell(Fleet() + " collect " + Source("configs/cartpole_random_collect.yaml") +
                                        " --run-dir " + dir.path() + "/x --set collect.episodes=0",
                                    &code);
  EXPECT_EQ(code, 2) << no_target;
  EXPECT_NE(no_target.find("collect.episodes or collect.steps"), std::string::npos) << no_target;
  const std::string bad_policy = Shell(Fleet() + " collect " + Source("configs/cartpole_random_collect.yaml") +
                                         " --run-dir " + dir.path() + "/y --set collect.policy=scripted",
                                     &code);
  EXPECT_EQ(code, 2) << bad_policy;
  EXPECT_NE(bad_policy.find("no scripted controller for CartPole-v1"), std::string::npos) << bad_policy;
  const std::string missing = Shell(Fleet() + " collect " + Source("configs/cartpole_random_collect.yaml") +
                                      " --run-dir " + dir.path() + "/z --set collect.policy=checkpoint" +
                                      " --set collect.checkpoint=/nonexistent/policy.pb",
                                  &code);
  EXPECT_EQ(code, 2) << missing;
  EXPECT_NE(missing.find("/nonexistent/policy.pb"), std::string::npos) << missing;
}

}  // namespace
}  // namespace fleet
