#include "replay/dataset_reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <type_traits>

#include "replay/shard_reader.h"
#include "replay/wal.h"

namespace fleet::replay {
namespace {

// The first non-finite value of any float column, as a problem.
template <class Columns>
void CheckFinite(const Columns& cols, std::vector<std::string>& problems) {
  Columns::ForEachColumn([&](const ColumnInfo& c, auto member) {
    const auto& v = cols.*member;
    using T = typename std::remove_reference_t<decltype(v)>::value_type;
    if constexpr (std::is_floating_point_v<T>) {
      if (std::any_of(v.begin(), v.end(), [](T x) { return !std::isfinite(x); })) {
        problems.push_back(std::string("'") + c.name + "' holds a non-finite value");
      }
    }
  });
}

// Every invariant of a shard that reads back: the manifest's totals, the episode index
// against the steps, finite values. Fills the totals and return statistics.
void CheckShard(const Shard& s, ShardReport& r) {
  const StepColumns& st = s.steps;
  const EpisodeColumns& ep = s.episodes;
  const int64_t n = st.size();
  r.steps = n;
  r.episodes = ep.size();
  if (s.manifest.total_steps != n) {
    r.problems.push_back("manifest says " + std::to_string(s.manifest.total_steps) +
                         " steps, the shard has " + std::to_string(n));
  }
  if (s.manifest.total_episodes != ep.size()) {
    r.problems.push_back("manifest says " + std::to_string(s.manifest.total_episodes) +
                         " episodes, the shard has " + std::to_string(ep.size()));
  }
  CheckFinite(st, r.problems);
  CheckFinite(ep, r.problems);
  int64_t expect = 0;
  std::vector<uint8_t> is_end(n, 0);
  for (int64_t e = 0; e < ep.size(); ++e) {
    if (ep.start[e] != expect || ep.length[e] <= 0 || ep.start[e] + ep.length[e] > n) {
      r.problems.push_back("episode " + std::to_string(e) + " is not contiguous with the one before");
      return;
    }
    double sum = 0.0;
    for (int64_t i = ep.start[e]; i < ep.start[e] + ep.length[e]; ++i) sum += st.rewards[i];
    const double ret = ep.episode_return[e];
    if (std::abs(sum - ret) > 1e-3 * std::max(1.0, std::abs(ret))) {
      r.problems.push_back("episode " + std::to_string(e) + " return " + std::to_string(ret) +
                           " does not match its rewards (" + std::to_string(sum) + ")");
      return;
    }
    is_end[ep.start[e] + ep.length[e] - 1] = 1;
    expect = ep.start[e] + ep.length[e];
  }
  if (expect != n) {
    r.problems.push_back("episodes cover " + std::to_string(expect) + " of " + std::to_string(n) +
                         " steps");
  }
  for (int64_t i = 0; i < n; ++i) {
    if ((st.terminals[i] || st.timeouts[i]) != static_cast<bool>(is_end[i])) {
      r.problems.push_back("step " + std::to_string(i) +
                           ": terminals/timeouts disagree with the episode index");
      break;
    }
  }
  const auto& ret = ep.episode_return;
  for (int64_t e = 0; e < ep.size(); ++e) {
    if (!ep.cut.empty() && ep.cut[e]) continue;
    ++r.complete_episodes;
    r.complete_return_sum += ret[e];
  }
  if (!ret.empty()) {
    double m = 0, v = 0, len = 0;
    for (double x : ret) m += x;
    m /= ret.size();
    for (double x : ret) v += (x - m) * (x - m);
    for (int64_t l : ep.length) len += static_cast<double>(l);
    r.return_mean = m;
    r.return_std = std::sqrt(v / ret.size());
    r.return_min = *std::min_element(ret.begin(), ret.end());
    r.return_max = *std::max_element(ret.begin(), ret.end());
    r.length_mean = len / ret.size();
    r.last_returns.assign(ret.end() - std::min<size_t>(100, ret.size()), ret.end());
  }
}

}  // namespace

bool DatasetReport::ok() const {
  for (const auto& s : shards) {
    if (!s.problems.empty()) return false;
  }
  for (const auto& l : logs) {
    if (!l.problems.empty()) return false;
  }
  return true;
}

double DatasetReport::MeanLastReturns(size_t n) const {
  std::vector<double> tail;
  for (auto it = shards.rbegin(); it != shards.rend() && tail.size() < n; ++it) {
    for (auto r = it->last_returns.rbegin(); r != it->last_returns.rend() && tail.size() < n; ++r) {
      tail.push_back(*r);
    }
  }
  if (tail.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (double x : tail) s += x;
  return s / tail.size();
}

int64_t DatasetReport::CompleteEpisodes() const {
  int64_t n = 0;
  for (const auto& s : shards) n += s.complete_episodes;
  return n;
}

double DatasetReport::MeanCompleteReturn() const {
  double sum = 0;
  for (const auto& s : shards) sum += s.complete_return_sum;
  const int64_t n = CompleteEpisodes();
  return n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

namespace {

std::vector<LogReport> InspectLogs(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<LogReport> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("wal-") && name.find(".log") != std::string::npos &&
        !name.ends_with(".tmp")) {
      names.push_back(entry.path().string());
    }
  }
  std::sort(names.begin(), names.end());
  for (const std::string& p : names) {
    LogReport r;
    r.path = p;
    if (!p.ends_with(".log")) {
      r.problems.push_back("a damaged log that recovery kept aside: acknowledged data was lost "
                           "there (the readable chunks are in the dataset); remove it once "
                           "dealt with");
      out.push_back(std::move(r));
      continue;
    }
    auto wal = ReadWal(p);
    if (!wal.ok()) {
      r.problems.push_back(wal.status().message());
    } else {
      r.chunks = static_cast<int64_t>(wal->chunks.size());
      r.torn_tail = wal->torn_tail;
      if (wal->damaged()) {
        r.problems.push_back("damaged inside, " + wal->DescribeDamage() +
                             ": acknowledged chunks there are lost; `fleet dataset recover` "
                             "keeps the rest");
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

StatusOr<DatasetReport> InspectDataset(const std::string& path) {
  DatasetReport report;
  report.logs = InspectLogs(path);
  auto listed = ListShards(path);
  if (!listed.ok() && report.logs.empty()) return listed.status();
  const std::vector<std::string> files = listed.ok() ? *listed : std::vector<std::string>{};
  for (const auto& f : files) {
    ShardReport r;
    r.path = f;
    StatusOr<Shard> shard = ReadShard(f);
    if (shard.ok()) {
      CheckShard(*shard, r);
      report.env_id = shard->manifest.env_id;
      r.optional_columns = shard->manifest.optional_columns;
      r.behaviour = shard->manifest.behaviour;
    } else {
      r.problems.push_back(shard.status().message());
    }
    report.steps += r.steps;
    report.episodes += r.episodes;
    report.shards.push_back(std::move(r));
  }
  return report;
}

}  // namespace fleet::replay
