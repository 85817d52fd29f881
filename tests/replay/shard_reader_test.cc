// The shard layout declared once (replay/columns.h): optional columns recorded only when
// asked for and declared in the manifest, older manifests read with what they promised,
// and every way a shard can disagree with its manifest reported naming the dataset.
#include "replay/shard_reader.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "replay/chunk_validator.h"
#include "replay/dataset_reader.h"
#include "replay/episode_writer.h"
#include "replay/h5.h"
#include "tests/replay/writer_options.h"
#include "tests/test_util.h"

namespace fleet::replay {
namespace {

// One sealed CartPole shard in `dir` recording `optional` columns.
std::string WriteShard(const std::string& dir, std::vector<std::string> optional) {
  EpisodeWriterOptions o = testing::CartPoleWriterOptions(dir);
  o.optional_columns = std::move(optional);
  const double inf = std::numeric_limits<double>::infinity();
  o.observation_space = Json{{"type", "Box"}, {"low", {-inf, -1.5}}, {"high", {inf, 1.5}}};
  auto w = EpisodeWriter::Create(o);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE((*w)->Add(testing::CartPoleChunk(0, 0, 10, 2)).ok());
  EXPECT_TRUE((*w)->Close(CloseMode::kCutOpen).ok());
  return dir + "/shard-00000.h5";
}

TEST(ShardReaderTest, OptionalColumnsAreRecordedOnlyWhenDeclared) {
  testing::TempDir none, both;
  auto plain = ReadShard(WriteShard(none.path(), {}));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_TRUE(plain->manifest.optional_columns.empty());
  EXPECT_TRUE(plain->steps.logprob.empty());
  EXPECT_TRUE(plain->steps.value.empty());
  EXPECT_EQ(plain->steps.size(), 20);
  {
    auto file = h5::OpenFile(plain->path);
    ASSERT_TRUE(file.ok());
    EXPECT_FALSE(h5::Exists(file->get(), "infos/logprob"));
    EXPECT_TRUE(h5::Exists(file->get(), "infos/policy_version"));
  }
  auto full = ReadShard(WriteShard(both.path(), {"infos/logprob", "infos/value"}));
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->manifest.optional_columns,
            (std::vector<std::string>{"infos/logprob", "infos/value"}));
  ASSERT_EQ(full->steps.logprob.size(), 20u);
  EXPECT_FLOAT_EQ(full->steps.logprob[0], -0.69f);  // CartPoleChunk's values
  EXPECT_FLOAT_EQ(full->steps.value[0], 0.5f);
  // both verify.
  for (const std::string& d : {none.path(), both.path()}) {
    auto report = InspectDataset(d);
    ASSERT_TRUE(report.ok());
    for (const auto& s : report->shards) {
      for (const auto& p : s.problems) ADD_FAILURE() << s.path << ": " << p;
    }
  }
}

TEST(ShardReaderTest, ChunksWithoutARecordedColumnAreRefused) {
  testing::TempDir dir;
  EpisodeWriterOptions o = testing::CartPoleWriterOptions(dir.path());
  o.optional_columns = {"infos/value"};
  auto w = EpisodeWriter::Create(o);
  ASSERT_TRUE(w.ok());
  auto c = testing::CartPoleChunk(0, 0, 10, 2);
  c.clear_values();
  EXPECT_EQ((*w)->Add(c).code(), StatusCode::kInvalidArgument);
  // the store's validator catches it first, naming the field.
  ChunkExpectations e{"CartPole-v1", 4, 0, 2};
  EXPECT_TRUE(ValidateChunk(c, e).ok());  // a policy without values may send none
  e.require_values = true;
  const Status st = ValidateChunk(c, e);
  EXPECT_NE(st.message().find("'values'"), std::string::npos) << st.ToString();
  c.add_values(1.0f);  // neither none nor one per step
  e.require_values = false;
  EXPECT_FALSE(ValidateChunk(c, e).ok());
  o.optional_columns = {"infos/entropy"};
  auto bad = EpisodeWriter::Create(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("infos/entropy"), std::string::npos);
  EXPECT_NE(bad.status().message().find("infos/logprob"), std::string::npos);  // the known ones
}

TEST(ShardReaderTest, ManifestsRoundTripNonFiniteBoundsAsPythonReadsThem) {
  testing::TempDir dir;
  const std::string path = WriteShard(dir.path(), {});
  const std::string text = testing::ReadFile(path + ".json");
  EXPECT_NE(text.find("-Infinity"), std::string::npos) << text;
  auto m = Manifest::ReadFor(path);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(std::isinf(m->observation_space["low"][0].get<double>()));
  EXPECT_DOUBLE_EQ(m->observation_space["high"][1].get<double>(), 1.5);
  EXPECT_EQ(m->format_version, kDatasetFormat);
}

// A manifest rewritten with `edit` applied to its JSON.
void EditManifest(const std::string& shard, void (*edit)(Json&)) {
  auto j = ReadJsonFile(shard + ".json");
  ASSERT_TRUE(j.ok());
  edit(*j);
  ASSERT_TRUE(WriteJsonFileAtomically(shard + ".json", *j, NonFinite::kPython).ok());
}

TEST(ShardReaderTest, FormatTwoManifestsPromiseLogprobAndValue) {
  testing::TempDir dir;
  const std::string path = WriteShard(dir.path(), {"infos/logprob", "infos/value"});
  EditManifest(path, [](Json& j) {
    j["format_version"] = 2;
    j.erase("optional_columns");
  });
  auto shard = ReadShard(path);
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  EXPECT_EQ(shard->steps.value.size(), 20u);
  // a format-2 shard without them (hand-made) is missing promised data.
  testing::TempDir plain;
  const std::string p2 = WriteShard(plain.path(), {});
  EditManifest(p2, [](Json& j) {
    j["format_version"] = 2;
    j.erase("optional_columns");
  });
  auto missing = ReadShard(p2);
  ASSERT_EQ(missing.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(missing.status().message().find("infos/logprob"), std::string::npos);
  // a future format is refused, naming it.
  EditManifest(p2, [](Json& j) { j["format_version"] = 99; });
  auto future = ReadShard(p2);
  EXPECT_NE(future.status().message().find("format 99"), std::string::npos)
      << future.status().ToString();
}

TEST(ShardReaderTest, FormatOneShardsReadWithoutTheColumnsItLacked) {
  testing::TempDir dir;
  const std::string path = WriteShard(dir.path(), {"infos/logprob", "infos/value"});
  {
    h5::Id f(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    ASSERT_TRUE(f.valid());
    for (const char* name : {"infos/chunk_sequence", "episodes/cut", "episodes/final_observation",
                             "episodes/seed"}) {
      ASSERT_GE(H5Ldelete(f.get(), name, H5P_DEFAULT), 0) << name;
    }
  }
  EditManifest(path, [](Json& j) {
    j["format_version"] = 1;
    j.erase("optional_columns");
    j.erase("observation_space");
    j.erase("action_space");
  });
  auto shard = ReadShard(path);
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  EXPECT_TRUE(shard->episodes.final_observation.empty());
  EXPECT_EQ(shard->steps.value.size(), 20u);
  auto report = InspectDataset(dir.path());
  ASSERT_TRUE(report.ok());
  for (const auto& s : report->shards) {
    for (const auto& p : s.problems) ADD_FAILURE() << s.path << ": " << p;
  }
  // format 2 promised the chunk sequences, cut flags and final observations.
  EditManifest(path, [](Json& j) { j["format_version"] = 2; });
  EXPECT_NE(ReadShard(path).status().message().find("infos/chunk_sequence"), std::string::npos);
}

TEST(ShardReaderTest, ShapesDisagreeingWithTheManifestAreDataLoss) {
  testing::TempDir dir;
  const std::string path = WriteShard(dir.path(), {});
  EditManifest(path, [](Json& j) { j["obs_dim"] = 5; });
  auto shard = ReadShard(path);
  ASSERT_EQ(shard.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(shard.status().message().find("'observations' has 4 columns, the manifest says 5"),
            std::string::npos)
      << shard.status().ToString();
  // InspectDataset reports it as the shard's problem instead of failing.
  auto report = InspectDataset(dir.path());
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok());
  EditManifest(path, [](Json& j) { j.erase("env_id"); });
  EXPECT_NE(ReadShard(path).status().message().find("has no 'env_id'"), std::string::npos);
}

TEST(ShardReaderTest, AMissingDatasetIsNamed) {
  testing::TempDir dir;
  const std::string path = WriteShard(dir.path(), {});
  {
    h5::Id f(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    ASSERT_TRUE(f.valid());
    ASSERT_GE(H5Ldelete(f.get(), "episodes/return", H5P_DEFAULT), 0);
  }
  auto shard = ReadShard(path);
  ASSERT_EQ(shard.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(shard.status().message().find("'episodes/return' is missing"), std::string::npos)
      << shard.status().ToString();
  // a reader that does not ask for the column still reads the rest.
  auto partial = ReadShard(path, {{"rewards"}});
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  EXPECT_EQ(partial->steps.rewards.size(), 20u);
  EXPECT_TRUE(partial->steps.observations.empty());
}

TEST(ShardReaderTest, NoShardsIsNotFound) {
  testing::TempDir dir;
  EXPECT_EQ(ListShards(dir.path()).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace fleet::replay
