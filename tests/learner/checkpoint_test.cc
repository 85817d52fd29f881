// Checkpoint state files (learner/checkpoint.h): what a reader does with newer formats,
// missing and unknown fields, the text format of older Fleet, and atomic folder swaps;
// the run's CSVs as a resumed run finds them.
#include "learner/checkpoint.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "learner/run_metrics.h"
#include "tests/test_util.h"

namespace fleet::learner {
namespace {

proto::LearnerCheckpoint Valid() {
  proto::LearnerCheckpoint s;
  s.set_format_version(kLearnerCheckpointFormat);
  s.set_algo("ppo");
  s.set_env_id("CartPole-v1");
  s.set_updates(7);
  s.mutable_metrics()->set_env_steps(7168);
  return s;
}

TEST(CheckpointStateTest, RoundTripsAndRefusesWhatItCannotTrust) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteCheckpointState(dir.path(), Valid()).ok());
  auto cp = ReadCheckpointState(dir.path());
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->state.updates(), 7);
  EXPECT_TRUE(cp->warnings.empty());

  proto::LearnerCheckpoint newer = Valid();
  newer.set_format_version(kLearnerCheckpointFormat + 1);
  ASSERT_TRUE(WriteCheckpointState(dir.path(), newer).ok());
  EXPECT_EQ(ReadCheckpointState(dir.path()).status().code(), StatusCode::kFailedPrecondition);

  proto::LearnerCheckpoint no_metrics = Valid();
  no_metrics.clear_metrics();
  ASSERT_TRUE(WriteCheckpointState(dir.path(), no_metrics).ok());
  EXPECT_NE(ReadCheckpointState(dir.path()).status().message().find("no run metrics"),
            std::string::npos);
  proto::LearnerCheckpoint no_algo = Valid();
  no_algo.clear_algo();
  ASSERT_TRUE(WriteCheckpointState(dir.path(), no_algo).ok());
  EXPECT_EQ(ReadCheckpointState(dir.path()).status().code(), StatusCode::kDataLoss);

  testing::WriteFile(dir.path() + "/state.pb", "\xff\xff\xff garbage");
  EXPECT_EQ(ReadCheckpointState(dir.path()).status().code(), StatusCode::kDataLoss);
}

TEST(CheckpointStateTest, UnknownFieldsAreIgnoredWithAWarning) {
  testing::TempDir dir;
  // a field 99 (varint 5) and one inside the metrics (field 42), as a newer writer's.
  std::string bytes = Valid().SerializeAsString();
  bytes += std::string("\x98\x06\x05", 3);  // tag (99 << 3 | 0) = 792 as varint
  proto::RunMetricsState m;
  m.set_env_steps(1);
  std::string metrics = m.SerializeAsString() + std::string("\xd0\x02\x01", 3);  // 42 << 3
  bytes += std::string("\x32", 1) + static_cast<char>(metrics.size()) + metrics;  // field 6
  testing::WriteFile(dir.path() + "/state.pb", bytes);
  auto cp = ReadCheckpointState(dir.path());
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  ASSERT_EQ(cp->warnings.size(), 2u);
  EXPECT_NE(cp->warnings[0].find("LearnerCheckpoint.99"), std::string::npos) << cp->warnings[0];
  EXPECT_NE(cp->warnings[1].find("RunMetricsState.42"), std::string::npos) << cp->warnings[1];
}

TEST(CheckpointStateTest, MissingAndOldTextCheckpointsAreNamed) {
  testing::TempDir dir;
  EXPECT_NE(ReadCheckpointState(dir.path()).status().message().find("no checkpoint"),
            std::string::npos);
  testing::WriteFile(dir.path() + "/learner_state.txt", "version 3\n");
  const Status st = ReadCheckpointState(dir.path()).status();
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("text format"), std::string::npos) << st.message();
}

TEST(CheckpointStateTest, ResumeNeedsTheSameAlgorithmAndEnv) {
  testing::TempDir run;
  std::filesystem::create_directories(LatestCheckpointDir(run.path()));
  ASSERT_TRUE(WriteCheckpointState(LatestCheckpointDir(run.path()), Valid()).ok());
  ExperimentConfig cfg;
  EXPECT_TRUE(CheckResumable(run.path(), cfg).ok());
  cfg.env.id = "Acrobot-v1";
  EXPECT_NE(CheckResumable(run.path(), cfg).message().find("is for CartPole-v1"), std::string::npos);
}

TEST(CheckpointStateTest, ReplaceDirSwapsCompleteFolders) {
  testing::TempDir run;
  ASSERT_TRUE(MakeDirs(CheckpointsDir(run.path())).ok());
  const std::string latest = LatestCheckpointDir(run.path()), tmp = latest + ".tmp";
  for (const char* content : {"one", "two"}) {
    ASSERT_TRUE(MakeEmptyDir(tmp).ok());
    ASSERT_TRUE(WriteFile(tmp + "/f", content).ok());
    ASSERT_TRUE(ReplaceDir(tmp, latest).ok());
    EXPECT_EQ(testing::ReadFile(latest + "/f"), content);
    EXPECT_FALSE(std::filesystem::exists(tmp));
    EXPECT_FALSE(std::filesystem::exists(latest + ".old"));
  }
  EXPECT_EQ(FindLatestCheckpoint(run.path()), latest);
  // a crash between the two renames of a file system without RENAME_EXCHANGE leaves only
  // latest.old: resume uses it.
  std::filesystem::rename(latest, latest + ".old");
  EXPECT_EQ(FindLatestCheckpoint(run.path()), latest + ".old");
}

// Rows are written every log_every updates (here 100) and a checkpoint is taken at 350's
// stop: resuming keeps the rows of updates <= 350 (not the first 351 rows) and appends.
TEST(RunMetricsTest, ResumingKeepsTheRowsUpToTheCheckpointsUpdate) {
  testing::TempDir dir;
  const std::string metrics = dir.path() + "/metrics.csv";
  testing::WriteFile(metrics,
                     "update,wall_seconds,action_loss\n100,30,0.9\n200,60,0.5\n300,90,0.3\n"
                     "400,120,0.2\n500,150,0.15\n");
  {
    RunMetrics m(std::nullopt, std::chrono::system_clock::now());
    ASSERT_TRUE(m.OpenCsv(metrics, 350).ok());
    ASSERT_TRUE(m.WriteRow({{"update", 400}, {"wall_seconds", 121}, {"action_loss", 0.25}}).ok());
  }
  EXPECT_EQ(testing::ReadFile(metrics),
            "update,wall_seconds,action_loss\n100,30,0.9\n200,60,0.5\n300,90,0.3\n400,121,0.25\n");

  // evals.csv the same way; a missing file stays missing; keeping 0 keeps the header.
  const std::string evals = dir.path() + "/evals.csv";
  testing::WriteFile(evals, "update,mean_return\n2500,519.5\n5000,937.6\n7500,1097.1\n");
  ASSERT_TRUE(TrimCsvToUpdate(evals, 5000).ok());
  EXPECT_EQ(testing::ReadFile(evals), "update,mean_return\n2500,519.5\n5000,937.6\n");
  ASSERT_TRUE(TrimCsvToUpdate(evals, 0).ok());
  EXPECT_EQ(testing::ReadFile(evals), "update,mean_return\n");
  ASSERT_TRUE(TrimCsvToUpdate(dir.path() + "/none.csv", 10).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/none.csv"));
}

}  // namespace
}  // namespace fleet::learner
