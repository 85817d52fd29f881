// The algorithm registry owns learner.algo and the algorithms' config sections: unknown
// algorithms and keys are named, every section is checked strictly, and the resolved
// config lists every value of the selected algorithm. No libtorch.
#include "learner/algorithm_registry.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "learner/mlp_config.h"
#include "learner/ppo_config.h"

namespace fleet::learner {
namespace {

std::string Error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  auto cfg = ParseRunConfig(yaml, overrides);
  return cfg.ok() ? "" : cfg.status().message();
}

TEST(AlgorithmRegistryTest, UnknownAlgorithmNamesTheKnownOnes) {
  const std::string e = Error("learner:\n  algo: dqn\n");
  EXPECT_NE(e.find("'learner.algo': unknown algorithm 'dqn' (known: ppo, dt, reinforce, grpo, sac)"), std::string::npos) << e;
  EXPECT_EQ(FindAlgorithm("ppo").value()->name, "ppo");
}

TEST(AlgorithmRegistryTest, SectionsAreCheckedStrictlyWithTheirPath) {
  std::string e = Error("learner:\n  ppo:\n    learning_rte: 0.1\n");
  EXPECT_NE(e.find("unknown config key 'learner.ppo.learning_rte'"), std::string::npos) << e;
  EXPECT_NE(e.find("learning_rate"), std::string::npos) << e;  // what is known there
  e = Error("learner:\n  network:\n    hidden: 64\n");
  EXPECT_NE(e.find("'learner.network.hidden' must be a list of integers"), std::string::npos) << e;
  e = Error("learner:\n  dqn:\n    tau: 0.005\n");
  EXPECT_NE(e.find("unknown config key 'learner.dqn'"), std::string::npos) << e;
  // a section of an algorithm not selected is still checked
  e = Error("learner:\n  sac:\n    tua: 0.005\n");
  EXPECT_NE(e.find("unknown config key 'learner.sac.tua'"), std::string::npos) << e;
  e = Error("", {"learner.ppo.gama=0.9"});
  EXPECT_NE(e.find("'learner.ppo.gama'"), std::string::npos) << e;
  e = Error("learner:\n  ppo: 3\n");
  EXPECT_NE(e.find("'learner.ppo' must be a mapping"), std::string::npos) << e;
}

TEST(AlgorithmRegistryTest, RangesAreNamed) {
  EXPECT_NE(Error("", {"learner.ppo.gamma=1.5"}).find("'learner.ppo.gamma' must be in (0, 1]"),
            std::string::npos);
  EXPECT_NE(Error("", {"learner.ppo.learning_rate=.nan"}).find("'learner.ppo.learning_rate'"),
            std::string::npos);
  EXPECT_NE(Error("", {"learner.network.activation=gelu"}).find("'learner.network.activation'"),
            std::string::npos);
  // 2 actors x 4 envs x 128 steps = 1024 samples: 2048 minibatches cannot be.
  EXPECT_NE(Error("", {"learner.ppo.num_minibatches=2048"}).find("batch size (1024)"),
            std::string::npos);
}

TEST(AlgorithmRegistryTest, ResolvedConfigListsEveryValueOfTheAlgorithm) {
  auto cfg = ParseRunConfig("learner:\n  ppo:\n    clip_coef: 0.3\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const std::string yaml = ExperimentConfigToYaml(*cfg);
  for (const char* key : {"clip_coef: 0.3", "learning_rate: 0.00025", "hidden:", "log_std_init:"}) {
    EXPECT_NE(yaml.find(key), std::string::npos) << key << "\n" << yaml;
  }
  PpoConfig ppo;
  ASSERT_TRUE(ReadLearnerSection(*cfg, "ppo", ppo).ok());
  EXPECT_DOUBLE_EQ(ppo.clip_coef, 0.3);
  EXPECT_EQ(ppo.num_minibatches, 4);  // CleanRL's default
  MlpConfig net;
  ASSERT_TRUE(ReadLearnerSection(*cfg, "network", net).ok());
  EXPECT_EQ(net.hidden, (std::vector<int>{64, 64}));
  // the resolved file reads back to the same config.
  auto again = ParseRunConfig(yaml);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ExperimentConfigToYaml(*again), yaml);
  // NaN and infinities are refused in an algorithm's section too, naming the key
  for (const char* v : {".inf", ".nan", "-.inf"}) {
    auto bad = ParseRunConfig("", {std::string("learner.ppo.target_kl=") + v});
    ASSERT_FALSE(bad.ok()) << v;
    EXPECT_NE(bad.status().message().find("'learner.ppo.target_kl' must be a finite number"),
              std::string::npos) << bad.status().message();
  }
}

TEST(AlgorithmRegistryTest, EveryShippedConfigLoads) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(FLEET_SOURCE_DIR) + "/configs")) {
    if (e.path().extension() != ".yaml") continue;
    auto cfg = LoadRunConfig(e.path().string());
    EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
    ++n;
  }
  EXPECT_GE(n, 10);
}

}  // namespace
}  // namespace fleet::learner
