// Remembers which (actor id, chunk sequence) pairs were accepted, so a resent chunk is
// acknowledged but not stored twice. Memory per actor: one counter for the contiguous
// prefix of sequences plus the sequences accepted above it.
#pragma once

#include <cstdint>
#include <set>
#include <unordered_map>

namespace fleet::replay {

class DedupIndex {
 public:
  bool Contains(uint32_t actor, uint64_t sequence) const;
  // Records the pair; returns false if it was already there.
  bool Insert(uint32_t actor, uint64_t sequence);

 private:
  struct PerActor {
    uint64_t contiguous = 0;  // every sequence < contiguous is accepted
    std::set<uint64_t> above;
  };
  std::unordered_map<uint32_t, PerActor> actors_;
};

}  // namespace fleet::replay
