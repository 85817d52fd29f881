// Fleet's own MJCF files against Gymnasium's model files, under one MuJoCo (Debian's
// 2.2.2): the same random controls must give the same trajectories, contacts included.
// Gymnasium's XML files are read from the test venv (scripts/setup-test-venv.sh, run by
// `make test`); the test fails when they are missing.
#include <cmath>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include "envs/mujoco/mujoco_env.h"

namespace fleet::envs {
namespace {

std::filesystem::path GymnasiumAssets() {
  namespace fs = std::filesystem;
  const fs::path lib = fs::path(FLEET_SOURCE_DIR) / ".venv" / "lib";
  if (!fs::exists(lib)) return {};
  for (const auto& entry : fs::directory_iterator(lib)) {
    const fs::path p = entry.path() / "site-packages/gymnasium/envs/mujoco/assets";
    if (fs::exists(p)) return p;
  }
  return {};
}

struct Pair {
  const char* gymnasium_file;
  const char* fleet_file;
  int frame_skip;
};

class MjcfEquivalenceTest : public ::testing::TestWithParam<Pair> {};

TEST_P(MjcfEquivalenceTest, SameTrajectoriesAsGymnasiumsModel) {
  const Pair p = GetParam();
  const auto dir = GymnasiumAssets();
  ASSERT_FALSE(dir.empty()) << "gymnasium not found under .venv: run scripts/setup-test-venv.sh";
  char error[1000] = "";
  mjModel* theirs = mj_loadXML((dir / p.gymnasium_file).c_str(), nullptr, error, sizeof(error));
  ASSERT_NE(theirs, nullptr) << error;
  auto ours = LoadMujocoModel(p.fleet_file);
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  const mjModel* m = ours->get();
  ASSERT_EQ(theirs->nq, m->nq);
  ASSERT_EQ(theirs->nv, m->nv);
  ASSERT_EQ(theirs->nu, m->nu);
  EXPECT_EQ(theirs->opt.timestep, m->opt.timestep);
  for (int i = 0; i < m->nu; ++i) EXPECT_EQ(theirs->actuator_gear[6 * i], m->actuator_gear[6 * i]);
  for (int i = 0; i < m->nq; ++i) EXPECT_NEAR(theirs->qpos0[i], m->qpos0[i], 1e-12);
  EXPECT_NEAR(mj_getTotalmass(theirs), mj_getTotalmass(m), 1e-9);

  mjData* a = mj_makeData(theirs);
  mjData* b = mj_makeData(m);
  std::mt19937 rng(0);
  std::uniform_real_distribution<double> u(-1.2, 1.2);
  double max_diff = 0.0;
  int contact_steps = 0;
  for (int t = 0; t < 300; ++t) {
    for (int i = 0; i < m->nu; ++i) a->ctrl[i] = b->ctrl[i] = u(rng);
    for (int k = 0; k < p.frame_skip; ++k) {
      mj_step(theirs, a);
      mj_step(m, b);
    }
    contact_steps += b->ncon > 0;
    for (int i = 0; i < m->nq; ++i) max_diff = std::max(max_diff, std::abs(a->qpos[i] - b->qpos[i]));
    for (int i = 0; i < m->nv; ++i) max_diff = std::max(max_diff, std::abs(a->qvel[i] - b->qvel[i]));
  }
  EXPECT_LT(max_diff, 1e-8);
  // the swimmer, the pendulums and the reacher have no floor to touch.
  const std::string name = p.fleet_file;
  if (name != "swimmer.xml" && name != "inverted_pendulum.xml" &&
      name != "inverted_double_pendulum.xml" && name != "reacher.xml") {
    EXPECT_GT(contact_steps, 0) << "the comparison never touched the floor";
  }
  mj_deleteData(a);
  mj_deleteData(b);
  mj_deleteModel(theirs);
}

INSTANTIATE_TEST_SUITE_P(Models, MjcfEquivalenceTest,
                         ::testing::Values(Pair{"half_cheetah.xml", "half_cheetah.xml", 5},
                                           Pair{"hopper.xml", "hopper.xml", 4},
                                           Pair{"walker2d_v5.xml", "walker2d.xml", 4},
                                           Pair{"swimmer.xml", "swimmer.xml", 4},
                                           Pair{"ant.xml", "ant.xml", 5},
                                           Pair{"humanoid.xml", "humanoid.xml", 5},
                                           Pair{"inverted_pendulum.xml", "inverted_pendulum.xml", 2},
                                           Pair{"inverted_double_pendulum.xml",
                                                "inverted_double_pendulum.xml", 5},
                                           Pair{"reacher.xml", "reacher.xml", 2},
                                           Pair{"pusher_v5.xml", "pusher.xml", 5},
                                           Pair{"humanoidstandup.xml", "humanoidstandup.xml", 5}),
                         [](const auto& info) {
                           std::string n = info.param.fleet_file;
                           return n.substr(0, n.find('.'));
                         });

}  // namespace
}  // namespace fleet::envs
