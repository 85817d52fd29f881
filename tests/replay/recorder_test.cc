// The recorder's crash safety: a process killed with SIGKILL at any point leaves a dataset
// that recovers to exactly the acknowledged chunks (none lost, none twice).
#include "replay/recorder.h"
#include "replay/shard_reader.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <hdf5.h>

#include <gtest/gtest.h>

#include "common/crc32c.h"
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
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("wal-00000.log"), std::string::npos) << r.status().ToString();
  // the log is not deleted, and verify fails on it (a dataset of nothing but a bad log)
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/wal-00000.log"));
  auto report = InspectDataset(dir.path());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->ok());
  ASSERT_EQ(report->logs.size(), 1u);
  EXPECT_NE(report->logs[0].problems.at(0).find("checkpoint"), std::string::npos);
}

// Byte offsets of the records of a log: the checkpoint first, then one per chunk.
std::vector<size_t> RecordOffsets(const std::string& data) {
  std::vector<size_t> out;
  size_t pos = 0;
  while (pos + kWalRecordHeader <= data.size()) {
    out.push_back(pos);
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= uint32_t{static_cast<uint8_t>(data[pos + 4 + i])} << (8 * i);
    pos += 12 + len;
  }
  return out;
}

// 16 bytes overwritten in the middle of the open shard's log (the case: before,
// recovery stopped at the damage, called it a torn tail at info level, and the chunks
// after it were dropped without a word). Now: the chunks after the damage are kept, the
// damage is reported as data loss, and the damaged log is kept aside.
TEST(RecorderTest, DamageInsideTheLogLosesOnlyTheDamagedRecords) {
  testing::TempDir dir;
  InKilledChild([&] {
    auto r = Recorder::Open(Options(dir.path(), 0));
    for (uint64_t s = 0; s < 10; ++s) (void)Add(**r, Chunk(0, s));
    (void)r->release();
  });
  const std::string wal = dir.path() + "/wal-00000.log";
  std::string data = testing::ReadFile(wal);
  const std::vector<size_t> at = RecordOffsets(data);
  ASSERT_EQ(at.size(), 11u);  // checkpoint + 10 chunks
  // inside chunk 4's record (its payload): that record fails its CRC
  data.replace(at[5] + 40, 16, std::string(16, '\x5a'));
  std::ofstream(wal, std::ios::trunc | std::ios::binary) << data;

  auto contents = ReadWal(wal);
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->chunks.size(), 9u);
  EXPECT_FALSE(contents->torn_tail);
  ASSERT_EQ(contents->damage.size(), 1u);
  EXPECT_EQ(contents->damage[0].begin, at[5]);
  EXPECT_EQ(contents->damage[0].end, at[6]);
  auto before = InspectDataset(dir.path());
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->ok());  // verify fails on the damaged log

  auto r = Recorder::Open(Options(dir.path(), 0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RecoveryReport& rep = (*r)->recovery();
  EXPECT_TRUE(rep.damaged());
  EXPECT_EQ(rep.replayed_chunks, 9u);
  EXPECT_EQ(rep.kept_log, wal + ".damaged");
  EXPECT_NE(rep.DescribeDamage().find("DATA LOSS"), std::string::npos);
  EXPECT_EQ(testing::ReadFile(wal + ".damaged"), data);  // kept byte for byte
  // the fresh log holds the 9 readable chunks: a second crash now loses none of them
  auto fresh = ReadWal(wal);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->chunks.size(), 9u);
  EXPECT_FALSE(fresh->damaged());
  ASSERT_TRUE((*r)->Close().ok());
  auto per_chunk = StepsPerChunk(dir.path());
  EXPECT_EQ(per_chunk.size(), 9u);
  EXPECT_EQ(per_chunk.count({0, 4}), 0u);
  EXPECT_EQ(per_chunk.count({0, 9}), 1u);
  // verify still fails while the damaged log is there: the loss is not forgotten
  auto after = InspectDataset(dir.path());
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->ok());
  std::filesystem::remove(wal + ".damaged");
  EXPECT_TRUE(InspectDataset(dir.path())->ok());
}

// A damaged length field (the record's extent is unknown) and garbage between records:
// the reader finds the next record by its sync marker.
TEST(RecorderTest, TheReaderResynchronisesAfterABadLengthAndGarbage) {
  testing::TempDir dir;
  InKilledChild([&] {
    auto r = Recorder::Open(Options(dir.path(), 0));
    for (uint64_t s = 0; s < 6; ++s) (void)Add(**r, Chunk(0, s));
    (void)r->release();
  });
  const std::string wal = dir.path() + "/wal-00000.log";
  std::string data = testing::ReadFile(wal);
  const std::vector<size_t> at = RecordOffsets(data);
  data[at[2] + 7] = '\x7f';                           // chunk 1: length now ~2 GB
  data.insert(at[5], std::string(4096, '\x00'));      // 4 KB of zeros before chunk 4
  std::ofstream(wal, std::ios::trunc | std::ios::binary) << data;
  auto c = ReadWal(wal);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->chunks.size(), 5u);  // all but chunk 1
  EXPECT_EQ(c->damage.size(), 2u);
  EXPECT_FALSE(c->torn_tail);
  // a torn tail is still just a torn tail: not damage
  std::string torn = testing::ReadFile(wal);
  const std::string rec = EncodeWalRecord(kWalChunk, Chunk(0, 6).SerializeAsString());
  torn += rec.substr(0, rec.size() - 10);
  std::ofstream(wal, std::ios::trunc | std::ios::binary) << torn;
  c = ReadWal(wal);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->chunks.size(), 5u);
  EXPECT_TRUE(c->torn_tail);
  EXPECT_EQ(c->damage.size(), 2u);
}

// Logs written before sync markers (format 1: u32 length | u32 CRC | u8 type | payload)
// are read as they were and rewritten in the current format; every clean store left one.
TEST(RecorderTest, ALogOfTheFormerFormatIsReadAndRewritten) {
  testing::TempDir dir;
  const auto legacy = [](uint8_t type, const std::string& payload) {
    std::string body(1, static_cast<char>(type));
    body += payload;
    const uint32_t crc = Crc32c({reinterpret_cast<const uint8_t*>(body.data()), body.size()});
    std::string out;
    for (uint32_t v : {static_cast<uint32_t>(body.size()), crc}) {
      for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
    }
    return out + body;
  };
  proto::WalCheckpoint cp;
  cp.set_shard_index(0);
  std::string log = legacy(kWalCheckpoint, cp.SerializeAsString());
  for (uint64_t s = 0; s < 3; ++s) log += legacy(kWalChunk, Chunk(0, s).SerializeAsString());
  std::ofstream(dir.path() + "/wal-00000.log", std::ios::binary) << log;
  auto r = Recorder::Open(Options(dir.path(), 0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE((*r)->recovery().damaged());
  EXPECT_EQ((*r)->recovery().replayed_chunks, 3u);
  auto now = ReadWal(dir.path() + "/wal-00000.log");
  ASSERT_TRUE(now.ok());
  EXPECT_FALSE(now->legacy_format);
  EXPECT_EQ(now->chunks.size(), 3u);
  EXPECT_TRUE(*Add(**r, Chunk(0, 3)));
  ASSERT_TRUE((*r)->Close().ok());
  ExpectExactlyOnce(dir.path(), 1, 4);
}

// A power loss can leave the log longer than what reached the disk, zero-filled: a torn
// tail, not damage (which would stop the store with DATA_LOSS).
TEST(RecorderTest, ZerosAtTheEndAreATornTail) {
  testing::TempDir dir;
  InKilledChild([&] {
    auto r = Recorder::Open(Options(dir.path(), 0));
    for (uint64_t s = 0; s < 3; ++s) (void)Add(**r, Chunk(0, s));
    (void)r->release();
  });
  std::ofstream(dir.path() + "/wal-00000.log", std::ios::app | std::ios::binary)
      << std::string(4096, '\0');
  auto c = ReadWal(dir.path() + "/wal-00000.log");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->torn_tail);
  EXPECT_FALSE(c->damaged());
  EXPECT_EQ(c->chunks.size(), 3u);
}

// A full disk (here the file size limit: write(2) fails with EFBIG, as it fails with
// ENOSPC on a full file system): Add reports "disk full", nothing more is written, and
// recovery where there is room finds every chunk that was acknowledged, once.
TEST(RecorderTest, AFullDiskStopsAcknowledgingAndLosesNothingAcknowledged) {
  testing::TempDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    auto r = Recorder::Open(Options(dir.path(), 0));
    if (!r.ok()) ::_exit(2);
    uint32_t acked = 0;
    StatusOr<bool> added = true;
    for (uint64_t s = 0; s < 5000 && added.ok(); ++s) {
      added = Add(**r, Chunk(0, s));
      if (added.ok()) ++acked;
    }
    const bool disk_full = !added.ok() &&
                           added.status().code() == StatusCode::kResourceExhausted &&
                           added.status().message().find("disk full") != std::string::npos;
    (*r)->Abandon();
    (void)r->release();
    const uint32_t msg[2] = {acked, disk_full ? 1u : 0u};
    (void)!::write(fds[1], msg, sizeof(msg));
    ::_exit(0);
  }
  ::close(fds[1]);
  uint32_t msg[2] = {0, 0};
  ASSERT_EQ(::read(fds[0], msg, sizeof(msg)), static_cast<ssize_t>(sizeof(msg)));
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(msg[1], 1u) << "the failing Add should say disk full";
  ASSERT_GT(msg[0], 20u);
  auto r = Recorder::Open(Options(dir.path(), 0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE((*r)->Close().ok());
  auto per_chunk = StepsPerChunk(dir.path());
  // every acknowledged chunk, once; the one that failed was never acknowledged, and is
  // in the dataset only if its log record was whole (then its resend is a duplicate)
  EXPECT_GE(per_chunk.size(), msg[0]);
  EXPECT_LE(per_chunk.size(), msg[0] + 1);
  for (uint32_t s = 0; s < msg[0]; ++s) {
    EXPECT_EQ(per_chunk[std::make_pair(uint32_t{0}, uint64_t{s})], 20) << s;
  }
  auto report = InspectDataset(dir.path());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

}  // namespace
}  // namespace fleet::replay
