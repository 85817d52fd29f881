#include "replay/dedup.h"

#include <gtest/gtest.h>

namespace fleet::replay {
namespace {

TEST(DedupIndexTest, SecondInsertOfSamePairIsRefused) {
  DedupIndex d;
  EXPECT_TRUE(d.Insert(1, 0));
  EXPECT_FALSE(d.Insert(1, 0));
  EXPECT_TRUE(d.Insert(2, 0));  // other actor, same sequence
  EXPECT_TRUE(d.Contains(1, 0));
  EXPECT_FALSE(d.Contains(1, 1));
}

TEST(DedupIndexTest, OutOfOrderSequencesAreRemembered) {
  DedupIndex d;
  EXPECT_TRUE(d.Insert(0, 2));
  EXPECT_TRUE(d.Insert(0, 0));
  EXPECT_FALSE(d.Contains(0, 1));
  EXPECT_TRUE(d.Insert(0, 1));
  for (uint64_t s = 0; s < 3; ++s) EXPECT_FALSE(d.Insert(0, s)) << s;
  EXPECT_TRUE(d.Insert(0, 3));
}

}  // namespace
}  // namespace fleet::replay
