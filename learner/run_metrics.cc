#include "learner/run_metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>


namespace fleet::learner {

RunMetrics::RunMetrics(std::optional<double> threshold, std::chrono::system_clock::time_point t0)
    : threshold_(threshold), t0_(t0) {}

void RunMetrics::AddEpisode(double episode_return, int64_t length) {
  ++episodes_;
  last_100_.push_back(episode_return);
  last_100_lengths_.push_back(length);
  if (last_100_.size() > 100) {
    last_100_.pop_front();
    last_100_lengths_.pop_front();
  }
}

double RunMetrics::mean_length_100() const {
  if (last_100_lengths_.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0.0;
  for (int64_t l : last_100_lengths_) s += static_cast<double>(l);
  return s / static_cast<double>(last_100_lengths_.size());
}

double RunMetrics::mean_return_100() const {
  if (last_100_.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0.0;
  for (double r : last_100_) s += r;
  return s / static_cast<double>(last_100_.size());
}

double RunMetrics::wall_seconds() const {
  return std::chrono::duration<double>(std::chrono::system_clock::now() - t0_).count();
}

void RunMetrics::CheckThreshold() {
  if (!threshold_ || threshold_step_ || last_100_.size() < 100) return;
  if (mean_return_100() >= *threshold_) {
    threshold_step_ = env_steps_;
    threshold_seconds_ = wall_seconds();
  }
}

Status TrimCsvToUpdate(const std::string& path, int64_t keep_updates) {
  std::ifstream in(path);
  if (!in) return OkStatus();
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!lines.empty()) {  // a data row: its first cell is the update
      char* end = nullptr;
      const double update = std::strtod(line.c_str(), &end);
      if (end == line.c_str() || (*end != ',' && *end != '\0') || update > keep_updates) continue;
    }
    lines.push_back(line);
  }
  in.close();
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : lines) out << l << "\n";
  out.flush();
  if (!out) return UnavailableError("cannot rewrite '" + path + "'");
  return OkStatus();
}

Status RunMetrics::OpenCsv(const std::string& path, int64_t keep_updates) {
  if (keep_updates >= 0) {
    FLEET_RETURN_IF_ERROR(TrimCsvToUpdate(path, keep_updates));
    std::ifstream in(path);
    std::string header;
    if (std::getline(in, header)) {
      std::istringstream names(header);
      for (std::string c; std::getline(names, c, ',');) columns_.push_back(c);
    }
    in.close();
    csv_.open(path, std::ios::app);
  } else {
    csv_.open(path, std::ios::trunc);
  }
  if (!csv_) return UnavailableError("cannot open '" + path + "' for writing");
  return OkStatus();
}

proto::RunMetricsState RunMetrics::SaveState() const {
  proto::RunMetricsState s;
  s.set_env_steps(env_steps_);
  s.set_episodes(episodes_);
  s.set_wall_seconds(wall_seconds());
  if (threshold_step_) s.set_threshold_step(*threshold_step_);
  if (threshold_seconds_) s.set_threshold_seconds(*threshold_seconds_);
  s.mutable_last_returns()->Add(last_100_.begin(), last_100_.end());
  s.mutable_last_lengths()->Add(last_100_lengths_.begin(), last_100_lengths_.end());
  return s;
}

Status RunMetrics::RestoreState(const proto::RunMetricsState& s) {
  if (s.last_returns_size() != s.last_lengths_size() || s.last_returns_size() > 100) {
    return DataLossError("checkpoint run metrics: " + std::to_string(s.last_returns_size()) +
                         " returns and " + std::to_string(s.last_lengths_size()) +
                         " lengths of recent episodes");
  }
  if (s.env_steps() < 0 || s.episodes() < 0 || !(s.wall_seconds() >= 0)) {
    return DataLossError("checkpoint run metrics hold negative counters");
  }
  env_steps_ = s.env_steps();
  episodes_ = s.episodes();
  threshold_step_.reset();
  threshold_seconds_.reset();
  if (s.has_threshold_step()) threshold_step_ = s.threshold_step();
  if (s.has_threshold_seconds()) threshold_seconds_ = s.threshold_seconds();
  last_100_.assign(s.last_returns().begin(), s.last_returns().end());
  last_100_lengths_.assign(s.last_lengths().begin(), s.last_lengths().end());
  t0_ = std::chrono::system_clock::now() -
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(s.wall_seconds()));
  return OkStatus();
}

Status RunMetrics::WriteRow(const std::vector<std::pair<std::string, double>>& row) {
  if (!csv_.is_open()) return FailedPreconditionError("metrics.csv is not open");
  if (columns_.empty()) {
    for (size_t i = 0; i < row.size(); ++i) {
      columns_.push_back(row[i].first);
      csv_ << (i ? "," : "") << row[i].first;
    }
    csv_ << "\n";
  }
  if (row.size() != columns_.size()) return InternalError("metrics row has the wrong columns");
  for (size_t i = 0; i < row.size(); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.8g", row[i].second);
    csv_ << (i ? "," : "") << (std::isnan(row[i].second) ? "" : buf);
  }
  csv_ << "\n";
  csv_.flush();
  return OkStatus();
}

Status RunMetrics::WriteSummary(const std::string& path, const Json& extra) const {
  auto optional = [](const auto& v) { return v ? Json(*v) : Json(nullptr); };
  Json j;
  j["env_steps"] = env_steps_;
  j["wall_seconds"] = wall_seconds();
  j["episodes"] = episodes_;
  j["mean_return_100"] = mean_return_100();
  j["threshold"] = optional(threshold_);
  j["threshold_step"] = optional(threshold_step_);
  j["threshold_seconds"] = optional(threshold_seconds_);
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return WriteJsonFileAtomically(path, j, NonFinite::kNull);
}

}  // namespace fleet::learner
