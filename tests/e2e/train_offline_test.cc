// End-to-end: `fleet train-offline` on a dataset made by `fleet collect`, with real
// processes: a small Decision Transformer trains, is evaluated in actor processes along
// the way and at the end, resumes from its checkpoint, and bad input is named.
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fleet {
namespace {

std::string Fleet() { return std::string(FLEET_BIN_DIR) + "/fleet"; }
std::string Source(const std::string& rel) { return std::string(FLEET_SOURCE_DIR) + "/" + rel; }

const char* kDtConfig = R"(run:
  name: dt_test
  seed: 3
env:
  id: CartPole-v1
learner:
  algo: dt
  checkpoint_every: 10
  eval_every: 10
  eval_episodes: 4
  eval_actors: 2
  dt:
    n_layer: 1
    embed_dim: 16
    context_len: 5
    warmup_steps: 5
    batch_size: 8
    train_steps: 20
    log_every: 5
)";

class TrainOfflineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    // 3000 steps of random CartPole play (discrete actions: the cross-entropy head).
    auto c = testing::RunCommand(Fleet() + " collect " + Source("configs/cartpole_random_collect.yaml") +
                                 " --out " + data_ + " --set collect.episodes=0" +
                                 " --set collect.steps=3000 --set actors.count=1");
    ASSERT_EQ(c.exit_code, 0) << c.output;
    config_ = dir_.path() + "/dt.yaml";
    testing::WriteFile(config_, kDtConfig);
  }
  testing::CommandResult Train(const std::string& run, const std::string& extra = "") {
    return testing::RunCommand(Fleet() + " train-offline " + config_ + " --run-dir " + run +
                               " --set learner.dataset=" + data_ + "/dataset" + extra);
  }
  testing::TempDir dir_;
  std::string data_, config_;
};

TEST_F(TrainOfflineTest, TrainsEvaluatesAndResumes) {
  const std::string run = dir_.path() + "/run";
  auto r = Train(run);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Json summary = testing::ReadJson(run + "/summary.json");
  EXPECT_EQ(summary["algo"], "dt");
  EXPECT_EQ(summary["updates"], 20);
  EXPECT_GE(summary["dataset_steps"].get<int64_t>(), 3000);
  ASSERT_TRUE(summary.contains("eval")) << summary.dump(2);
  EXPECT_EQ(summary["eval"]["update"], 20);
  EXPECT_GT(summary["eval"]["mean_return"].get<double>(), 5.0);  // CartPole pays 1 a step
  // metrics against gradient steps, and an evaluation every 10 of them.
  const std::string csv = testing::ReadFile(run + "/metrics.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "update,wall_seconds,updates_per_second,action_loss,learning_rate,grad_norm,update_seconds");
  const std::string evals = testing::ReadFile(run + "/evals.csv");
  EXPECT_NE(evals.find("\n10,"), std::string::npos) << evals;
  EXPECT_NE(evals.find("\n20,"), std::string::npos) << evals;
  // the trained policy runs in actors through fleet eval too.
  auto e = testing::RunCommand(Fleet() + " eval " + run + " --episodes 3 --actors 1");
  ASSERT_EQ(e.exit_code, 0) << e.output;
  EXPECT_NE(e.output.find("\"policy\":\"decision_transformer\""), std::string::npos) << e.output;
  // resume: 20 more steps from the checkpoint, the metrics continue. Rows after the
  // checkpoint (as a crash leaves them: here an evaluation at 30 and a metrics row at 25)
  // are dropped and written again, once.
  testing::WriteFile(run + "/evals.csv", evals + "30,1,12345,0,,0\n");
  testing::WriteFile(run + "/metrics.csv", csv + "25,1,1,1,1,1,1\n");
  auto resumed = testing::RunCommand(Fleet() + " train-offline --resume " + run +
                                     " --set learner.dt.train_steps=40");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(testing::ReadJson(run + "/summary.json")["updates"], 40);
  EXPECT_NE(testing::ReadFile(run + "/logs/learner.log").find("resumed from"), std::string::npos);
  const std::string evals_after = testing::ReadFile(run + "/evals.csv");
  std::vector<std::string> updates;
  std::istringstream rows(evals_after);
  std::string row;
  std::getline(rows, row);  // header
  while (std::getline(rows, row)) updates.push_back(row.substr(0, row.find(',')));
  EXPECT_EQ(updates, (std::vector<std::string>{"10", "20", "30", "40"})) << evals_after;
  EXPECT_EQ(evals_after.find("12345"), std::string::npos) << evals_after;
  EXPECT_EQ(testing::ReadFile(run + "/metrics.csv").find("\n25,1,1,1"), std::string::npos);
}

TEST_F(TrainOfflineTest, BadDatasetsAreNamed) {
  // the dataset is CartPole's, the env another's.
  // Each is a bad-input exit (2) that a restart would meet again: the learner is not
  // restarted (it was, three times, before the learner exited with ExitCodeFor).
  auto wrong = Train(dir_.path() + "/a", " --set env.id=Acrobot-v1");
  EXPECT_EQ(wrong.exit_code, 2) << wrong.output;
  EXPECT_EQ(wrong.output.find("restarting"), std::string::npos) << wrong.output;
  EXPECT_NE(wrong.output.find("has observations of 4 and actions of 1 values; Acrobot-v1 has 6"),
            std::string::npos) << wrong.output;
  // no dataset at all.
  auto missing = Train(dir_.path() + "/b", " --set learner.dataset=" + dir_.path() + "/nothing");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_EQ(missing.output.find("restarting"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("no dataset shard"), std::string::npos) << missing.output;
  // a context longer than every episode (random CartPole episodes are ~20 steps).
  auto longer = Train(dir_.path() + "/c", " --set learner.dt.context_len=999");
  EXPECT_EQ(longer.exit_code, 2) << longer.output;
  EXPECT_EQ(longer.output.find("restarting"), std::string::npos) << longer.output;
  EXPECT_NE(longer.output.find("longer than every episode"), std::string::npos) << longer.output;
  // an online algorithm is not trained offline, and the other way round.
  auto ppo = Train(dir_.path() + "/d", " --set learner.algo=ppo");
  EXPECT_EQ(ppo.exit_code, 2) << ppo.output;
  EXPECT_NE(ppo.output.find("use fleet run"), std::string::npos) << ppo.output;
  auto run = testing::RunCommand(Fleet() + " run " + config_ + " --run-dir " + dir_.path() + "/e" +
                                 " --set learner.dataset=" + data_ + "/dataset");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("use fleet train-offline"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace fleet
