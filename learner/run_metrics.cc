#include "learner/run_metrics.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace fleet::learner {

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

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

Status RunMetrics::OpenCsv(const std::string& path) {
  csv_.open(path, std::ios::trunc);
  if (!csv_) return UnavailableError("cannot open '" + path + "' for writing");
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

Status RunMetrics::WriteSummary(const std::string& path,
                                const std::vector<std::pair<std::string, std::string>>& extra) const {
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::trunc);
  out << "{\n";
  out << "  \"env_steps\": " << env_steps_ << ",\n";
  out << "  \"wall_seconds\": " << JsonNumber(wall_seconds()) << ",\n";
  out << "  \"episodes\": " << episodes_ << ",\n";
  out << "  \"mean_return_100\": " << JsonNumber(mean_return_100()) << ",\n";
  out << "  \"threshold\": " << (threshold_ ? JsonNumber(*threshold_) : "null") << ",\n";
  out << "  \"threshold_step\": "
      << (threshold_step_ ? std::to_string(*threshold_step_) : "null") << ",\n";
  out << "  \"threshold_seconds\": "
      << (threshold_seconds_ ? JsonNumber(*threshold_seconds_) : "null");
  for (const auto& [k, v] : extra) out << ",\n  " << JsonString(k) << ": " << v;
  out << "\n}\n";
  out.close();
  if (!out) return UnavailableError("cannot write '" + path + "'");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return UnavailableError("cannot rename summary into '" + path + "'");
  }
  return OkStatus();
}

}  // namespace fleet::learner
