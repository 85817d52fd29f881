#include "replay/dedup.h"

namespace fleet::replay {

bool DedupIndex::Contains(uint32_t actor, uint64_t sequence) const {
  auto it = actors_.find(actor);
  if (it == actors_.end()) return false;
  return sequence < it->second.contiguous || it->second.above.count(sequence) > 0;
}

bool DedupIndex::Insert(uint32_t actor, uint64_t sequence) {
  PerActor& a = actors_[actor];
  if (sequence < a.contiguous || !a.above.insert(sequence).second) return false;
  while (!a.above.empty() && *a.above.begin() == a.contiguous) {
    a.above.erase(a.above.begin());
    ++a.contiguous;
  }
  return true;
}

}  // namespace fleet::replay
