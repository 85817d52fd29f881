// Config checks that need the env registry: env options read as finite numbers, and
// sizes bounded by the env's shapes and the machine's memory, each naming its key.
#include "orchestrator/run_setup.h"

#include <gtest/gtest.h>

#include "envs/registry.h"

namespace fleet::orchestrator {
namespace {

ExperimentConfig Config(const std::vector<std::string>& sets) {
  auto cfg = ParseExperimentConfig("env:\n  id: LunarLander-v3\n", sets);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  return *cfg;
}

TEST(RunSetupTest, NonFiniteEnvOptionsAreNamed) {
  for (const char* v : {"nan", "inf", "-inf"}) {
    const Status st = CheckEnv(Config({"env.options.enable_wind=true",
                                       std::string("env.options.wind_power=") + v}));
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << v;
    EXPECT_NE(st.message().find("option 'wind_power' = '" + std::string(v) +
                                "' is not a finite number"),
              std::string::npos) << st.message();
  }
  EXPECT_TRUE(CheckEnv(Config({"env.options.wind_power=12.5"})).ok());
}

TEST(RunSetupTest, SizesAreBoundedByTheChunkLimitAndTheMemory) {
  auto spec = envs::GetSpec("LunarLander-v3", {});
  ASSERT_TRUE(spec.ok());
  // LunarLander: 8 floats of observation, 1 discrete action: 12 x 4 + 2 bytes a step
  ExperimentConfig cfg = Config({"env.num_envs=10", "actors.steps_per_chunk=100"});
  EXPECT_EQ(EstimateChunkBytes(cfg, *spec), 1000 * 50 + 10 * 8 * 4);
  EXPECT_TRUE(CheckSizes(cfg, *spec, int64_t{1} << 30).ok());

  cfg = Config({"env.num_envs=60000", "actors.steps_per_chunk=256"});
  Status st = CheckSizes(cfg, *spec, int64_t{1} << 40);
  EXPECT_NE(st.message().find("'env.num_envs' x 'actors.steps_per_chunk' (60000 x 256)"),
            std::string::npos) << st.message();
  EXPECT_NE(st.message().find("over store.max_chunk_bytes"), std::string::npos) << st.message();

  // 1000 queued chunks of ~5 MB against 4 GiB of memory
  cfg = Config({"env.num_envs=1000", "actors.steps_per_chunk=100", "store.queue_chunks=1000"});
  st = CheckSizes(cfg, *spec, int64_t{4} << 30);
  EXPECT_NE(st.message().find("config key 'store.queue_chunks' (1000 chunks"), std::string::npos)
      << st.message();
  EXPECT_TRUE(CheckSizes(cfg, *spec, int64_t{64} << 30).ok());
  cfg = Config({"env.num_envs=1000", "actors.steps_per_chunk=100", "actors.max_in_flight=1000",
                "store.queue_chunks=1", "actors.count=1"});
  st = CheckSizes(cfg, *spec, int64_t{4} << 30);
  EXPECT_NE(st.message().find("config key 'actors.max_in_flight'"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace fleet::orchestrator
