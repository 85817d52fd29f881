// The recorder's crash safety: a process killed with SIGKILL at any point leaves a dataset
// that recovers to exactly the acknowledged chunks (none lost, none twice).
#include "replay/recorder.h"
#include "replay/shard_reader.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <hdf5.h>

#include <gtest/gtest.h>

#include "replay/dataset_reader.h"
#include "tests/test_util.h"

namespace fleet::replay {
namespace {

constexpr uint64_t kEpoch = 1234;

RecorderOptions Options(const std::string& dir, int64_t max_shard_steps) {
  RecorderOptions o;
  o.writer.dir = dir;
  o.writer.env_id = "CartPole-v1";
  o.writer.obs_dim = 4;
  o.writer.max_shard_steps = max_shard_steps;
  o.writer.flush_steps = 16;
  return o;
}

proto::TrajectoryChunk Chunk(uint32_t actor, uint64_t seq, uint64_t epoch = kEpoch) {
  proto::TrajectoryChunk c = testing::CartPoleChunk(actor, seq, 10, 2);
  c.set_actor_epoch(epoch);
  return c;
}

StatusOr<bool> Add(Recorder& r, const proto::TrajectoryChunk& c) {
  const std::string bytes = c.SerializeAsString();
  return r.Add(bytes, c);
}

// Runs `body` in a child process that is then killed with SIGKILL (no destructors, no
// flushing: what a kill -9 of the store leaves behind). Bodies leak their recorder so
// that nothing closes it.
void InKilledChild(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    body();
    ::kill(::getpid(), SIGKILL);
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child should have been killed";
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
}

// (actor, chunk_sequence) -> steps, over every shard of a dataset, read back from HDF5.
std::map<std::pair<uint32_t, uint64_t>, int> StepsPerChunk(const std::string& dir) {
  std::map<std::pair<uint32_t, uint64_t>, int> out;
  auto shards = ListShards(dir);
  EXPECT_TRUE(shards.ok()) << shards.status().ToString();
  for (const std::string& path : shards.ok() ? *shards : std::vector<std::string>{}) {
    auto shard = ReadShard(path, {{kActorId.name, kChunkSequence.name}});
    EXPECT_TRUE(shard.ok()) << shard.status().ToString();
    if (!shard.ok()) continue;
    const StepColumns& st = shard->steps;
    for (size_t i = 0; i < st.chunk_sequence.size(); ++i) ++out[{st.actor_id[i], st.chunk_sequence[i]}];
  }
  return out;
}

void ExpectExactlyOnce(const std::string& dir, int actors, int chunks_per_actor) {
  auto per_chunk = StepsPerChunk(dir);
  EXPECT_EQ(per_chunk.size(), static_cast<size_t>(actors * chunks_per_actor));
  for (const auto& [key, steps] : per_chunk) {
    EXPECT_EQ(steps, 20) << "actor " << key.first << " chunk " << key.second;
  }
  auto report = InspectDataset(dir);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const auto& s : report->shards) {
    for (const auto& p : s.problems) ADD_FAILURE() << s.path << ": " << p;
  }
  EXPECT_EQ(report->steps, int64_t{20} * actors * chunks_per_actor);
}

TEST(RecorderTest, CleanCloseAndReopenKeepsDeduplication) {
  testing::TempDir dir;
  {
    auto r = Recorder::Open(Options(dir.path(), 0));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (uint64_t s = 0; s < 3; ++s) EXPECT_TRUE(*Add(**r, Chunk(0, s)));
    EXPECT_FALSE(*Add(**r, Chunk(0, 1)));  // a resend
    ASSERT_TRUE((*r)->Close().ok());
  }
  auto r = Recorder::Open(Options(dir.path(), 0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->recovery().sealed_shards, 1);
  EXPECT_FALSE(*Add(**r, Chunk(0, 2)));  // still known after the restart
  EXPECT_TRUE(*Add(**r, Chunk(0, 3)));
  // totals continue: 60 sealed steps, then the 4th chunk's 20 (19 in ended episodes).
  EXPECT_EQ((*r)->steps_written() + (*r)->open_steps(), 80u);
  ASSERT_TRUE((*r)->Close().ok());
  ExpectExactlyOnce(dir.path(), 1, 4);
}

TEST(RecorderTest, KilledMidShardRecoversEveryAcknowledgedChunk) {
  testing::TempDir dir;
  InKilledChild([&] {
    auto r = Recorder::Open(Options(dir.path(), 0));
    for (uint64_t s = 0; s < 5; ++s) {
      for (uint32_t a = 0; a < 2; ++a) (void)Add(**r, Chunk(a, s));
    }
    (void)r->release();
  });
  // the open shard exists only as .tmp: no file under a final name is half-written.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/shard-00000.h5"));
  auto r = Recorder::Open(Options(dir.path(), 0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->recovery().replayed_chunks, 10u);
  EXPECT_FALSE((*r)->recovery().torn_tail);
  // the actors resend what they may not have seen acknowledged: all duplicates now.
  for (uint32_t a = 0; a < 2; ++a) EXPECT_FALSE(*Add(**r, Chunk(a, 4)));
  for (uint32_t a = 0; a < 2; ++a) EXPECT_TRUE(*Add(**r, Chunk(a, 5)));
  ASSERT_TRUE((*r)->Close().ok());
  ExpectExactlyOnce(dir.path(), 2, 6);
}

TEST(RecorderTest, KilledAfterSeveralShardsRecoversWithoutDuplicates) {
  testing::TempDir dir;
  InKilledChild([&] {
    auto r = Recorder::Open(Options(dir.path(), 30));
    for (uint64_t s = 0; s < 9; ++s) (void)Add(**r, Chunk(0, s));
    (void)r->release();
  });
  auto r = Recorder::Open(Options(dir.path(), 30));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE((*r)->recovery().sealed_shards, 3);
  for (uint64_t s = 0; s < 12; ++s) {
    auto stored = Add(**r, Chunk(0, s));
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(*stored, s >= 9) << s;
  }
  ASSERT_TRUE((*r)->Close().ok());
  ExpectExactlyOnce(dir.path(), 1, 12);
}

TEST(RecorderTest, TornLastRecordIsCutOff) {
  testing::TempDir dir;
  InKilledChild([&] {
    auto r = Recorder::Open(Options(dir.path(), 0));
    for (uint64_t s = 0; s < 3; ++s) (void)Add(**r, Chunk(0, s));
    (void)r->release();
  });
  // the crash hit in the middle of writing a fourth record.
  const std::string wal = dir.path() + "/wal-00000.log";
  const std::string rec = EncodeWalRecord(kWalChunk, Chunk(0, 3).SerializeAsString());
  std::ofstream(wal, std::ios::app | std::ios::binary) << rec.substr(0, rec.size() / 2);
  auto r = Recorder::Open(Options(dir.path(), 0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)->recovery().torn_tail);
  EXPECT_EQ((*r)->recovery().replayed_chunks, 3u);
  EXPECT_TRUE(*Add(**r, Chunk(0, 3)));  // never acknowledged: the resend is stored
  ASSERT_TRUE((*r)->Close().ok());
  ExpectExactlyOnce(dir.path(), 1, 4);
}

TEST(RecorderTest, LeftoversOfAnInterruptedSealAreRemoved) {
  testing::TempDir dir;
  InKilledChild([&] {
    auto r = Recorder::Open(Options(dir.path(), 30));
    for (uint64_t s = 0; s < 4; ++s) (void)Add(**r, Chunk(0, s));
    (void)r->release();
  });
  // as if killed between writing the next segment and renaming the shard: a stray next
  // log segment, a half-written shard file and its manifest.
  std::ofstream(dir.path() + "/wal-00042.log") << "junk";
  std::ofstream(dir.path() + "/shard-00042.h5.tmp") << "junk";
  std::ofstream(dir.path() + "/shard-00042.h5.json") << "{}";
  auto r = Recorder::Open(Options(dir.path(), 30));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE((*r)->recovery().removed_files, 3);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/wal-00042.log"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/shard-00042.h5.json"));
  ASSERT_TRUE((*r)->Close().ok());
  ExpectExactlyOnce(dir.path(), 1, 4);
}

TEST(RecorderTest, ARestartedActorIsANewStreamNotADuplicate) {
  testing::TempDir dir;
  auto r = Recorder::Open(Options(dir.path(), 0));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*Add(**r, Chunk(0, 0, kEpoch)));
  // the same actor id restarted: sequence 0 again, new epoch.
  auto c = Chunk(0, 0, kEpoch + 1);
  EXPECT_TRUE(*Add(**r, c));
  ASSERT_TRUE((*r)->Close().ok());
  auto report = InspectDataset(dir.path());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->steps, 40);
}

TEST(RecorderTest, CorruptLogIsReportedNotReplayed) {
  testing::TempDir dir;
  {
    auto r = Recorder::Open(Options(dir.path(), 0));
    ASSERT_TRUE(r.ok());
  }
  std::ofstream(dir.path() + "/wal-00000.log", std::ios::trunc) << "not a log at all";
  auto r = Recorder::Open(Options(dir.path(), 0));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("wal-00000.log"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace fleet::replay
