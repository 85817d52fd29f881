// Remembers which (actor id, chunk sequence) pairs were accepted, so a resent chunk is
// acknowledged but not stored twice. Sequences belong to an actor process's epoch: a chunk
// with a new epoch for an actor id (the actor was restarted and counts from 0 again)
// replaces that actor's history. Memory per actor: one counter for the contiguous prefix
// of sequences plus the sequences accepted above it. Snapshot/Restore carry the state
// through the store's write-ahead log.
#pragma once

#include <cstdint>
#include <set>
#include <unordered_map>
#include <vector>

#include "proto/fleet.pb.h"

namespace fleet::replay {

class DedupIndex {
 public:
  bool Contains(uint32_t actor, uint64_t epoch, uint64_t sequence) const;
  // Records the pair; returns false if it was already there. Sets *new_epoch when this
  // chunk starts a new epoch for an actor already seen.
  bool Insert(uint32_t actor, uint64_t epoch, uint64_t sequence, bool* new_epoch = nullptr);

  std::vector<proto::DedupActorState> Snapshot() const;
  void Restore(const google::protobuf::RepeatedPtrField<proto::DedupActorState>& state);

 private:
  struct PerActor {
    uint64_t epoch = 0;
    uint64_t contiguous = 0;  // every sequence < contiguous is accepted
    std::set<uint64_t> above;
  };
  std::unordered_map<uint32_t, PerActor> actors_;
};

}  // namespace fleet::replay
