#include "replay/dataset_reader.h"

#include "replay/h5_read.h"

#include <hdf5.h>

#include <algorithm>
#include <limits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fleet::replay {
namespace {

namespace fs = std::filesystem;

// reads a whole 1-d or 2-d dataset as `T`; false (with a reason) when missing or broken.
void CheckShard(ShardReport& r) {
  const hid_t file = H5Fopen(r.path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) {
    r.problems.push_back("not a readable HDF5 file (truncated or corrupt)");
    return;
  }
  std::string why;
  hsize_t n = 0, cols = 0, rows = 0;
  std::vector<float> rewards, obs;
  std::vector<uint8_t> terminals, timeouts;
  std::vector<int64_t> start, length;
  std::vector<double> ret;
  auto need = [&](bool ok) {
    if (!ok) r.problems.push_back(why);
    return ok;
  };
  bool ok = need(ReadH5Dataset(file, "rewards", H5T_NATIVE_FLOAT, rewards, n, cols, why));
  if (ok) {
    r.steps = static_cast<int64_t>(n);
    for (const char* name : {"observations", "actions", "terminals", "timeouts",
                             "infos/policy_version", "infos/logprob", "infos/value",
                             "infos/actor_id"}) {
      std::vector<double> tmp;
      if (!need(ReadH5Dataset(file, name, H5T_NATIVE_DOUBLE, tmp, rows, cols, why))) continue;
      if (rows != n) {
        r.problems.push_back(std::string("'") + name + "' has " + std::to_string(rows) +
                             " rows, 'rewards' has " + std::to_string(n));
      }
      for (double v : tmp) {
        if (!std::isfinite(v)) {
          r.problems.push_back(std::string("'") + name + "' holds a non-finite value");
          break;
        }
      }
    }
    ok = need(ReadH5Dataset(file, "terminals", H5T_NATIVE_UINT8, terminals, rows, cols, why)) &&
         need(ReadH5Dataset(file, "timeouts", H5T_NATIVE_UINT8, timeouts, rows, cols, why)) &&
         need(ReadH5Dataset(file, "episodes/start", H5T_NATIVE_INT64, start, rows, cols, why)) &&
         need(ReadH5Dataset(file, "episodes/length", H5T_NATIVE_INT64, length, rows, cols, why)) &&
         need(ReadH5Dataset(file, "episodes/return", H5T_NATIVE_DOUBLE, ret, rows, cols, why));
  }
  H5Fclose(file);
  if (!ok || terminals.size() != n || timeouts.size() != n) return;
  if (start.size() != length.size() || ret.size() != start.size()) {
    r.problems.push_back("episode index datasets differ in length");
    return;
  }
  r.episodes = static_cast<int64_t>(start.size());
  int64_t expect = 0;
  std::vector<uint8_t> is_end(n, 0);
  for (size_t e = 0; e < start.size(); ++e) {
    if (start[e] != expect || length[e] <= 0 || start[e] + length[e] > static_cast<int64_t>(n)) {
      r.problems.push_back("episode " + std::to_string(e) + " is not contiguous with the one before");
      return;
    }
    double sum = 0.0;
    for (int64_t i = start[e]; i < start[e] + length[e]; ++i) sum += rewards[i];
    if (std::abs(sum - ret[e]) > 1e-3 * std::max(1.0, std::abs(ret[e]))) {
      r.problems.push_back("episode " + std::to_string(e) + " return " + std::to_string(ret[e]) +
                           " does not match its rewards (" + std::to_string(sum) + ")");
      return;
    }
    is_end[start[e] + length[e] - 1] = 1;
    expect = start[e] + length[e];
  }
  if (expect != static_cast<int64_t>(n)) {
    r.problems.push_back("episodes cover " + std::to_string(expect) + " of " +
                         std::to_string(n) + " steps");
  }
  for (hsize_t i = 0; i < n; ++i) {
    if ((terminals[i] || timeouts[i]) != static_cast<bool>(is_end[i])) {
      r.problems.push_back("step " + std::to_string(i) +
                           ": terminals/timeouts disagree with the episode index");
      break;
    }
  }
  if (!ret.empty()) {
    double m = 0, v = 0, len = 0;
    for (double x : ret) m += x;
    m /= ret.size();
    for (double x : ret) v += (x - m) * (x - m);
    for (int64_t l : length) len += static_cast<double>(l);
    r.return_mean = m;
    r.return_std = std::sqrt(v / ret.size());
    r.return_min = *std::min_element(ret.begin(), ret.end());
    r.return_max = *std::max_element(ret.begin(), ret.end());
    r.length_mean = len / ret.size();
    r.last_returns.assign(ret.end() - std::min<size_t>(100, ret.size()), ret.end());
  }
}

// the "total_steps" number in the JSON manifest beside a shard, or -1.
int64_t ManifestTotal(const std::string& shard, std::string& env_id) {
  std::ifstream in(shard + ".json");
  if (!in) return -1;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::smatch m;
  if (std::regex_search(text, m, std::regex("\"env_id\": \"([^\"]*)\""))) env_id = m[1];
  if (std::regex_search(text, m, std::regex("\"total_steps\": (\\d+)"))) return std::stoll(m[1]);
  return -1;
}

}  // namespace

bool DatasetReport::ok() const {
  for (const auto& s : shards) {
    if (!s.problems.empty()) return false;
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

StatusOr<DatasetReport> InspectDataset(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors are reported, not printed by HDF5
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::directory_iterator(path)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with("shard-") && name.ends_with(".h5")) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
  } else if (fs::exists(path)) {
    files.push_back(path);
  }
  if (files.empty()) return NotFoundError("no dataset shard (shard-*.h5) at '" + path + "'");
  DatasetReport report;
  for (const auto& f : files) {
    ShardReport r;
    r.path = f;
    CheckShard(r);
    std::string env_id;
    const int64_t total = ManifestTotal(f, env_id);
    if (total < 0) {
      r.problems.push_back("manifest " + f + ".json is missing or unreadable");
    } else if (r.problems.empty() && total != r.steps) {
      r.problems.push_back("manifest says " + std::to_string(total) + " steps, the shard has " +
                           std::to_string(r.steps));
    }
    if (!env_id.empty()) report.env_id = env_id;
    report.steps += r.steps;
    report.episodes += r.episodes;
    report.shards.push_back(std::move(r));
  }
  return report;
}

}  // namespace fleet::replay
