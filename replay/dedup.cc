#include "replay/dedup.h"

#include <algorithm>

namespace fleet::replay {

bool DedupIndex::Contains(uint32_t actor, uint64_t epoch, uint64_t sequence) const {
  auto it = actors_.find(actor);
  if (it == actors_.end() || it->second.epoch != epoch) return false;
  return sequence < it->second.contiguous || it->second.above.count(sequence) > 0;
}

bool DedupIndex::Insert(uint32_t actor, uint64_t epoch, uint64_t sequence, bool* new_epoch) {
  auto [it, inserted] = actors_.try_emplace(actor);
  PerActor& a = it->second;
  if (new_epoch) *new_epoch = !inserted && a.epoch != epoch;
  if (inserted || a.epoch != epoch) a = PerActor{epoch, 0, {}};
  if (sequence < a.contiguous || !a.above.insert(sequence).second) return false;
  while (!a.above.empty() && *a.above.begin() == a.contiguous) {
    a.above.erase(a.above.begin());
    ++a.contiguous;
  }
  return true;
}

std::vector<proto::DedupActorState> DedupIndex::Snapshot() const {
  std::vector<proto::DedupActorState> out;
  for (const auto& [id, a] : actors_) {
    proto::DedupActorState s;
    s.set_actor_id(id);
    s.set_actor_epoch(a.epoch);
    s.set_contiguous(a.contiguous);
    for (uint64_t q : a.above) s.add_above(q);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& x, const auto& y) { return x.actor_id() < y.actor_id(); });
  return out;
}

void DedupIndex::Restore(const google::protobuf::RepeatedPtrField<proto::DedupActorState>& state) {
  actors_.clear();
  for (const auto& s : state) {
    PerActor& a = actors_[s.actor_id()];
    a.epoch = s.actor_epoch();
    a.contiguous = s.contiguous();
    a.above.insert(s.above().begin(), s.above().end());
  }
}

}  // namespace fleet::replay
