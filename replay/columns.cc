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

StepColumns StepColumns::Slice(int64_t start, int64_t length, const ShardLayout& layout) const {
  StepColumns out;
  ForEachColumn([&](const ColumnInfo& c, auto member) {
    const auto& src = this->*member;
    if (src.empty()) return;
    const size_t w = std::max<uint64_t>(1, layout.Cols(c));
    (out.*member).assign(src.begin() + start * w, src.begin() + (start + length) * w);
  });
  return out;
}

void StepColumns::Clear() {
  ForEachColumn([&](const ColumnInfo&, auto member) { (this->*member).clear(); });
}

void EpisodeColumns::Clear() {
  ForEachColumn([&](const ColumnInfo&, auto member) { (this->*member).clear(); });
}

}  // namespace fleet::replay
