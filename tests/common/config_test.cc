#include "common/experiment_config.h"

#include <gtest/gtest.h>

namespace fleet {
namespace {

TEST(ExperimentConfigTest, EmptyConfigGivesValidDefaults) {
  auto cfg = ParseExperimentConfig("");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->env.id, "CartPole-v1");
  EXPECT_EQ(cfg->learner.algo, "ppo");
  EXPECT_TRUE(cfg->learner.sections.nodes.empty());
}

// The algorithms' sections are the learner's: this schema keeps them as YAML, unchecked
// (tests/learner/algorithm_registry_test.cc checks them).
TEST(ExperimentConfigTest, AlgorithmSectionsAreKeptForTheirOwner) {
  auto cfg = ParseExperimentConfig("learner:\n  algo: ppo\n  ppo:\n    learning_rte: 0.1\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  ASSERT_TRUE(cfg->learner.sections.has("ppo"));
  EXPECT_EQ(cfg->learner.sections.nodes.at("ppo")["learning_rte"].as<double>(), 0.1);
  // written back with the resolved config.
  EXPECT_NE(ExperimentConfigToYaml(*cfg).find("learning_rte: 0.1"), std::string::npos);
}

TEST(ExperimentConfigTest, UnknownTopLevelKeyIsNamed) {
  auto cfg = ParseExperimentConfig("envv:\n  id: CartPole-v1\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(cfg.status().message().find("unknown config key 'envv'"), std::string::npos)
      << cfg.status().message();
}

TEST(ExperimentConfigTest, UnknownNestedKeyIsNamedWithItsPath) {
  auto cfg = ParseExperimentConfig("actors:\n  steps_per_chnk: 8\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("'actors.steps_per_chnk'"), std::string::npos)
      << cfg.status().message();
  // the message lists what is known at that level.
  EXPECT_NE(cfg.status().message().find("steps_per_chunk"), std::string::npos);
}

TEST(ExperimentConfigTest, WrongTypeIsNamed) {
  auto cfg = ParseExperimentConfig("env:\n  num_envs: many\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("'env.num_envs' must be an integer"), std::string::npos)
      << cfg.status().message();
  auto cfg2 = ParseExperimentConfig("learner:\n  threads: [1]\n");
  ASSERT_FALSE(cfg2.ok());
  EXPECT_NE(cfg2.status().message().find("'learner.threads' must be an integer"), std::string::npos);
}

TEST(ExperimentConfigTest, SectionThatIsNotAMappingIsRejected) {
  auto cfg = ParseExperimentConfig("learner: 3\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("'learner' must be a mapping"), std::string::npos);
}

TEST(ExperimentConfigTest, OutOfRangeValueIsNamed) {
  auto cfg = ParseExperimentConfig("actors:\n  count: 0\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("'actors.count'"), std::string::npos);
  auto cfg2 = ParseExperimentConfig("run:\n  transport: carrier-pigeon\n");
  ASSERT_FALSE(cfg2.ok());
  EXPECT_NE(cfg2.status().message().find("'run.transport'"), std::string::npos);
}

// replay: (the store's replay table) is checked only when it is on; an error buffer that
// could let inserts and samples block each other is refused with the least that works.
TEST(ExperimentConfigTest, ReplayTableSettingsAreChecked) {
  auto off = ParseExperimentConfig("replay:\n  min_size: 0\n");
  EXPECT_TRUE(off.ok()) << off.status().ToString();  // capacity 0: no table, nothing to check
  auto big_min = ParseExperimentConfig("replay:\n  capacity: 100\n  min_size: 101\n");
  ASSERT_FALSE(big_min.ok());
  EXPECT_NE(big_min.status().message().find("'replay.min_size' must be 1 to replay.capacity (100)"),
            std::string::npos) << big_min.status().message();
  // 4 actor steps x 2 envs x spi 10 + max_sample 20 = 100: at least 50
  const std::string base = "env:\n  num_envs: 2\nactors:\n  steps_per_chunk: 4\nreplay:\n"
                           "  capacity: 100\n  min_size: 10\n  samples_per_insert: 10\n  max_sample: 20\n";
  auto small = ParseExperimentConfig(base + "  error_buffer: 49\n");
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("'replay.error_buffer'"), std::string::npos);
  EXPECT_NE(small.status().message().find("= 50"), std::string::npos) << small.status().message();
  auto enough = ParseExperimentConfig(base + "  error_buffer: 50\n");
  ASSERT_TRUE(enough.ok()) << enough.status().ToString();
  EXPECT_DOUBLE_EQ(enough->ReplayErrorBuffer(), 50.0);
  auto by_default = ParseExperimentConfig(base);
  ASSERT_TRUE(by_default.ok()) << by_default.status().ToString();
  EXPECT_DOUBLE_EQ(by_default->ReplayErrorBuffer(), 100.0);  // twice the least
  auto negative = ParseExperimentConfig("replay:\n  capacity: -1\n");
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("'replay.capacity'"), std::string::npos);
}

TEST(ExperimentConfigTest, OverridesApplyAndAreCheckedLikeFileKeys) {
  auto cfg = ParseExperimentConfig("env:\n  num_envs: 4\n",
                                   {"env.num_envs=8", "env.options.sutton_barto_reward=true",
                                    "learner.network.hidden=[32, 16]"});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->env.num_envs, 8);
  EXPECT_EQ(cfg->env.options.at("sutton_barto_reward"), "true");
  EXPECT_EQ(cfg->learner.sections.nodes.at("network")["hidden"].as<std::vector<int>>(),
            (std::vector<int>{32, 16}));

  auto bad = ParseExperimentConfig("", {"env.num_envz=3"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'env.num_envz'"), std::string::npos);
  // text that is not YAML by itself is a string.
  auto star = ParseExperimentConfig("", {"run.tcp_bind_host=*"});
  ASSERT_TRUE(star.ok()) << star.status().ToString();
  EXPECT_EQ(star->run.tcp_bind_host, "*");
  auto malformed = ParseExperimentConfig("", {"no-equals-sign"});
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.status().message().find("key=value"), std::string::npos);
}

TEST(ExperimentConfigTest, ResolvedYamlRoundTrips) {
  auto cfg = ParseExperimentConfig("", {"store.queue_chunks=7", "env.options.a=1",
                                        "learner.ppo.clip_coef=0.3"});
  ASSERT_TRUE(cfg.ok());
  const std::string yaml = ExperimentConfigToYaml(*cfg);
  auto again = ParseExperimentConfig(yaml);
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << yaml;
  EXPECT_EQ(again->store.queue_chunks, 7);
  EXPECT_EQ(again->env.options.at("a"), "1");
  EXPECT_EQ(again->learner.sections.nodes.at("ppo")["clip_coef"].as<double>(), 0.3);
  EXPECT_EQ(ExperimentConfigToYaml(*again), yaml);
}

TEST(ExperimentConfigTest, MissingFileIsNotFound) {
  auto cfg = LoadExperimentConfig("/nonexistent/config.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), StatusCode::kNotFound);
}

}  // namespace
// The cases: NaN/inf in a numeric key, an empty id that silently kept the file's,
// sizes no machine holds, and actors.count refused naming an unrelated key.
TEST(ExperimentConfigTest, NonFiniteNumbersEmptyValuesAndSizesAreNamed) {
  for (const char* v : {".nan", ".inf", "-.inf"}) {
    auto cfg = ParseExperimentConfig("", {std::string("run.status_interval_s=") + v});
    ASSERT_FALSE(cfg.ok()) << v;
    EXPECT_NE(cfg.status().message().find("'run.status_interval_s' must be a finite number"),
              std::string::npos) << cfg.status().message();
  }
  auto empty = ParseExperimentConfig("env:\n  id: Pendulum-v1\n", {"env.id="});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("'env.id' must not be empty"), std::string::npos)
      << empty.status().message();
  auto empty_number = ParseExperimentConfig("env:\n  num_envs:\n");
  ASSERT_FALSE(empty_number.ok());
  EXPECT_NE(empty_number.status().message().find("'env.num_envs' must be"), std::string::npos)
      << empty_number.status().message();
  auto huge = ParseExperimentConfig("", {"env.num_envs=1000000000"});
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("'env.num_envs' must be 1 to 65536"), std::string::npos);
  auto many = ParseExperimentConfig("", {"actors.count=100000"});
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.status().message().find("'actors.count' must be 1 to 4096"), std::string::npos);
  auto queue = ParseExperimentConfig("", {"actors.count=40", "store.queue_chunks=16"});
  ASSERT_FALSE(queue.ok());
  EXPECT_NE(queue.status().message().find("'actors.count' (40) must not exceed store.queue_chunks (16)"),
            std::string::npos) << queue.status().message();
}

// Found by benchmarks/fuzz/config_fuzz: a key that is not a plain name threw out of the
// loader (std::terminate in fleet run).
TEST(ExperimentConfigTest, KeysThatAreNotPlainNamesAreAnError) {
  for (const char* text : {"? seed: 2\nenv:\n  id: CartPole-v1\n", "? [a, b]\n: 1\n",
                           "env:\n  ? {x: 1}\n  : 2\n"}) {
    auto cfg = ParseExperimentConfig(text);
    ASSERT_FALSE(cfg.ok()) << text;
    EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(cfg.status().message().find("keys must be plain names"), std::string::npos)
        << cfg.status().message();
  }
}

// Found by benchmarks/fuzz/config_fuzz: a key of bytes that are not UTF-8 did not read
// back the same from the resolved config; such text is refused.
TEST(ExperimentConfigTest, TextThatIsNotUtf8IsRefused) {
  auto cfg = ParseExperimentConfig("learner:\n  p\xff\xff: 1\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("not UTF-8 text (byte 12)"), std::string::npos)
      << cfg.status().message();
  EXPECT_TRUE(ParseExperimentConfig("run:\n  name: caf\xc3\xa9\n").ok());  // UTF-8 is fine
}

// Found by benchmarks/fuzz/config_fuzz: a key holding a carriage return came back from the
// resolved config with a space in its place (YAML folds it); keys with control
// characters are refused, naming the key with the character escaped.
TEST(ExperimentConfigTest, KeysWithControlCharactersAreRefused) {
  for (const std::string text : {std::string("env:\n  options:\n    \"wind\\rpower\": 1\n"),
                                 std::string("env:\n  options:\n    \"wind\\tpower\": 1\n")}) {
    auto cfg = ParseExperimentConfig(text);
    ASSERT_FALSE(cfg.ok()) << text;
    EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(cfg.status().message().find("config key 'env.options.wind\\x"), std::string::npos)
        << cfg.status().message();
    EXPECT_NE(cfg.status().message().find("holds a control character"), std::string::npos);
  }
  auto set = ParseExperimentConfig("", {"env.options.a\rb=1"});
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("'env.options.a\\x0db'"), std::string::npos)
      << set.status().message();
  EXPECT_TRUE(ParseExperimentConfig("env:\n  options:\n    wind_power: 1\n").ok());
}

}  // namespace fleet
