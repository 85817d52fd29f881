#include "replay/columns.h"

#include <algorithm>

namespace fleet::replay {

bool ShardLayout::Allows(const ColumnInfo& c) const {
  if (c.width == ColumnWidth::kDiscreteAction && action_dim != 0) return false;
  if (c.width == ColumnWidth::kContinuousAction && action_dim == 0) return false;
  if (c.optional) {
    return std::find(optional_columns.begin(), optional_columns.end(), c.name) !=
           optional_columns.end();
  }
  return true;
}

bool ShardLayout::Requires(const ColumnInfo& c) const {
  return Allows(c) && format_version >= c.since_format;
}

uint64_t ShardLayout::Cols(const ColumnInfo& c) const {
  switch (c.width) {
    case ColumnWidth::kObservation: return static_cast<uint64_t>(obs_dim);
    case ColumnWidth::kContinuousAction: return static_cast<uint64_t>(action_dim);
    case ColumnWidth::kScalar:
    case ColumnWidth::kDiscreteAction: return 0;
  }
  return 0;
}

void StepColumns::Append(const StepColumns& other) {
  ForEachColumn([&](const ColumnInfo&, auto member) {
    auto& dst = this->*member;
    const auto& src = other.*member;
    dst.insert(dst.end(), src.begin(), src.end());
  });
}

void StepColumns::Clear() {
  ForEachColumn([&](const ColumnInfo&, auto member) { (this->*member).clear(); });
}

void EpisodeColumns::Clear() {
  ForEachColumn([&](const ColumnInfo&, auto member) { (this->*member).clear(); });
}

}  // namespace fleet::replay
