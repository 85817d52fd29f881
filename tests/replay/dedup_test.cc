#include "replay/dedup.h"

#include <gtest/gtest.h>

namespace fleet::replay {
namespace {

constexpr uint64_t kEpoch = 77;

TEST(DedupIndexTest, SecondInsertOfSamePairIsRefused) {
  DedupIndex d;
  EXPECT_TRUE(d.Insert(1, kEpoch, 0));
  EXPECT_FALSE(d.Insert(1, kEpoch, 0));
  EXPECT_TRUE(d.Insert(2, kEpoch, 0));  // other actor, same sequence
  EXPECT_TRUE(d.Contains(1, kEpoch, 0));
  EXPECT_FALSE(d.Contains(1, kEpoch, 1));
}

TEST(DedupIndexTest, OutOfOrderSequencesAreRemembered) {
  DedupIndex d;
  EXPECT_TRUE(d.Insert(0, kEpoch, 2));
  EXPECT_TRUE(d.Insert(0, kEpoch, 0));
  EXPECT_FALSE(d.Contains(0, kEpoch, 1));
  EXPECT_TRUE(d.Insert(0, kEpoch, 1));
  for (uint64_t s = 0; s < 3; ++s) EXPECT_FALSE(d.Insert(0, kEpoch, s)) << s;
  EXPECT_TRUE(d.Insert(0, kEpoch, 3));
}

TEST(DedupIndexTest, ARestartedActorStartsANewEpoch) {
  DedupIndex d;
  bool new_epoch = true;
  EXPECT_TRUE(d.Insert(0, kEpoch, 0, &new_epoch));
  EXPECT_FALSE(new_epoch);
  EXPECT_TRUE(d.Insert(0, kEpoch, 1, &new_epoch));
  EXPECT_FALSE(new_epoch);
  // the restarted process counts from 0 again: not a duplicate.
  EXPECT_TRUE(d.Insert(0, kEpoch + 1, 0, &new_epoch));
  EXPECT_TRUE(new_epoch);
  EXPECT_FALSE(d.Insert(0, kEpoch + 1, 0, &new_epoch));
  EXPECT_FALSE(new_epoch);
  EXPECT_FALSE(d.Contains(0, kEpoch, 1));
}

TEST(DedupIndexTest, SnapshotRestoresTheSameAnswers) {
  DedupIndex d;
  for (uint64_t s : {0, 1, 2, 5, 7}) d.Insert(3, kEpoch, s);
  d.Insert(4, 9, 0);
  google::protobuf::RepeatedPtrField<proto::DedupActorState> snap;
  for (auto& s : d.Snapshot()) *snap.Add() = s;
  DedupIndex r;
  r.Restore(snap);
  for (uint64_t s = 0; s < 10; ++s) {
    EXPECT_EQ(r.Contains(3, kEpoch, s), d.Contains(3, kEpoch, s)) << s;
  }
  EXPECT_TRUE(r.Contains(4, 9, 0));
  EXPECT_FALSE(r.Insert(3, kEpoch, 5));
  EXPECT_TRUE(r.Insert(3, kEpoch, 3));
}

}  // namespace
}  // namespace fleet::replay
