#include "orchestrator/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/experiment_config.h"
#include "common/json.h"

namespace fleet::orchestrator {
namespace {

using Columns = std::map<std::string, std::vector<double>>;

// A run's CSV by column; `names` gets the header's order.
StatusOr<Columns> ReadCsv(const std::string& run_dir, const std::string& file,
                          std::vector<std::string>* header_names) {
  const std::string path = run_dir + "/" + file;
  std::ifstream in(path);
  if (!in) return NotFoundError("no " + file + " in '" + run_dir + "'");
  std::string line;
  if (!std::getline(in, line)) return DataLossError(path + " is empty");
  std::vector<std::string> names;
  std::istringstream header(line);
  for (std::string n; std::getline(header, n, ',');) names.push_back(n);
  Columns cols;
  int row = 1;
  while (std::getline(in, line)) {
    ++row;
    std::istringstream cells(line);
    std::string cell;
    for (size_t i = 0; i < names.size(); ++i) {
      if (!std::getline(cells, cell, ',')) {
        return DataLossError(path + ": row " + std::to_string(row) + " has too few columns");
      }
      char* end = nullptr;
      const double v = cell.empty() ? NAN : std::strtod(cell.c_str(), &end);
      if (!cell.empty() && *end != '\0') {
        return DataLossError(path + ": row " + std::to_string(row) + " column '" + names[i] +
                             "' is not a number");
      }
      cols[names[i]].push_back(v);
    }
  }
  *header_names = names;
  return cols;
}

// metrics.csv of an online run has env_steps; an offline run's counts gradient steps only.
bool IsOfflineRun(const std::string& run_dir) {
  std::ifstream in(run_dir + "/metrics.csv");
  std::string header;
  if (!std::getline(in, header)) return false;
  std::istringstream names(header);
  for (std::string n; std::getline(names, n, ',');) {
    if (n == "env_steps") return false;
  }
  return true;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// y(x) by linear interpolation over finite points; NaN outside the data.
double Interpolate(const std::vector<double>& xs, const std::vector<double>& ys, double x) {
  double px = NAN, py = NAN;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(ys[i])) continue;
    if (xs[i] >= x) {
      if (xs[i] == x || !std::isfinite(px)) return xs[i] == x ? ys[i] : NAN;
      return py + (ys[i] - py) * (x - px) / (xs[i] - px);
    }
    px = xs[i];
    py = ys[i];
  }
  return NAN;
}

// The env id and reward threshold of a run: summary.json when it has ended, else the env
// of its config.yaml (a run still under way).
struct RunInfo {
  std::string env_id;
  std::optional<double> threshold;
};

RunInfo ReadRunInfo(const std::string& run_dir) {
  RunInfo info;
  if (auto j = ReadJsonFile(run_dir + "/summary.json"); j.ok() && j->is_object()) {
    if (j->contains("env_id") && (*j)["env_id"].is_string()) info.env_id = (*j)["env_id"];
    if (j->contains("threshold") && (*j)["threshold"].is_number()) {
      info.threshold = (*j)["threshold"].get<double>();
    }
  }
  if (info.env_id.empty()) {
    if (auto c = LoadExperimentConfig(run_dir + "/config.yaml"); c.ok()) info.env_id = c->env.id;
  }
  return info;
}

std::string XLabel(const std::string& x, bool offline) {
  if (x == "env_steps") return "env steps";
  if (x == "wall_seconds") return "wall-clock (s)";
  if (x == "update") return offline ? "gradient steps" : "updates";
  return x;
}

}  // namespace

std::vector<double> NiceTicks(double lo, double hi, int target) {
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double step = (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * mag;
  std::vector<double> ticks;
  // multiples of the step (k * step, not a running sum: no drift like 0.6000000000000001)
  const double k0 = std::floor(lo / step + 1e-9);
  for (double k = k0;; k += 1.0) {
    ticks.push_back(k == 0.0 ? 0.0 : k * step);
    if (ticks.back() >= hi - step * 1e-9) break;
  }
  return ticks;
}

std::string TickLabel(double v) {
  char buf[32];
  const double a = std::abs(v);
  if (a >= 1e6) std::snprintf(buf, sizeof(buf), "%.3gM", v / 1e6);
  else if (a >= 1e4) std::snprintf(buf, sizeof(buf), "%.3gk", v / 1e3);
  else std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

StatusOr<std::string> PlotRuns(const PlotOptions& options) {
  PlotOptions o = options;
  if (o.run_dirs.empty()) return InvalidArgumentError("fleet plot needs at least one run dir");
  if (o.csv != "auto" && o.csv != "metrics" && o.csv != "evals") {
    return InvalidArgumentError("--csv must be auto, metrics or evals, not '" + o.csv + "'");
  }
  const bool offline = IsOfflineRun(o.run_dirs.front());
  if (o.csv == "auto") {
    o.csv = offline && std::filesystem::exists(o.run_dirs.front() + "/evals.csv") ? "evals" : "metrics";
  }
  const std::string file = o.csv + ".csv";
  std::vector<Columns> runs;
  std::vector<std::string> envs;
  std::optional<double> threshold = o.threshold;
  for (const auto& dir : o.run_dirs) {
    if (IsOfflineRun(dir) != offline) {  // gradient steps and env steps share no axis
      return InvalidArgumentError("'" + dir + "' is " + (offline ? "an online" : "an offline") +
                                  " run and '" + o.run_dirs.front() + "' " +
                                  (offline ? "an offline" : "an online") +
                                  " one: plot them separately");
    }
    std::vector<std::string> names;
    FLEET_ASSIGN_OR_RETURN(auto cols, ReadCsv(dir, file, &names));
    if (runs.empty()) {  // the first run settles the defaults
      if (o.x == "wall") o.x = "wall_seconds";
      if (o.x == "steps") o.x = cols.count("env_steps") ? "env_steps" : "update";
      if (o.metrics.empty() && o.csv == "metrics") {
        // an offline run without evaluations (yet): its training loss
        o.metrics = {offline && cols.count("action_loss") ? "action_loss" : "mean_return_100"};
      }
      if (o.metrics.empty()) {
        o.metrics = {"mean_return"};
        const auto& d4rl = cols["d4rl_score"];
        if (std::any_of(d4rl.begin(), d4rl.end(), [](double v) { return std::isfinite(v); })) {
          o.metrics.push_back("d4rl_score");
        }
      }
    }
    for (const auto& m : o.metrics) {
      if (!cols.count(m)) {
        return InvalidArgumentError(dir + "/" + file + " has no column '" + m + "' (it has " +
                                    Join(names) + ")");
      }
    }
    if (!cols.count(o.x)) {
      return InvalidArgumentError(dir + "/" + file + " has no column '" + o.x + "' (it has " +
                                  Join(names) + ")");
    }
    runs.push_back(std::move(cols));
    const RunInfo info = ReadRunInfo(dir);
    if (!info.env_id.empty() && std::find(envs.begin(), envs.end(), info.env_id) == envs.end()) {
      envs.push_back(info.env_id);
    }
    if (!threshold && info.threshold) threshold = info.threshold;
  }
  if (o.no_threshold) threshold.reset();
  std::string env_title;
  for (const auto& e : envs) env_title += (env_title.empty() ? "" : ", ") + e;
  // common grid: 200 points up to the shortest run's last x.
  double x_max = INFINITY;
  for (auto& r : runs) x_max = std::min(x_max, r[o.x].empty() ? 0.0 : r[o.x].back());
  const int kPoints = 200;
  const double W = 720, H = 300, L = 70, R = 20, T = 40, B = 50;
  std::ostringstream svg;
  const int panels = static_cast<int>(o.metrics.size());
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='"
      << H * panels << "' font-family='sans-serif' font-size='12'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n";
  for (int p = 0; p < panels; ++p) {
    const std::string& metric = o.metrics[p];
    std::vector<double> xs, mean, lo, hi;
    for (int i = 0; i <= kPoints; ++i) {
      const double x = x_max * i / kPoints;
      double sum = 0, mn = INFINITY, mx = -INFINITY;
      bool all = true;
      for (auto& r : runs) {
        const double y = Interpolate(r[o.x], r[metric], x);
        if (!std::isfinite(y)) {
          all = false;
          break;
        }
        sum += y;
        mn = std::min(mn, y);
        mx = std::max(mx, y);
      }
      if (!all) continue;
      xs.push_back(x);
      mean.push_back(sum / runs.size());
      lo.push_back(mn);
      hi.push_back(mx);
    }
    const double y0 = H * p;
    std::string title = env_title.empty() ? metric : env_title + ": " + metric;
    if (!o.title.empty()) title = o.title + " (" + title + ")";
    svg << "<text x='" << L << "' y='" << y0 + 22 << "' font-size='14'>" << title << ", "
        << runs.size() << (runs.size() == 1 ? " run" : " runs, mean and min-max") << "</text>\n";
    if (xs.empty()) {
      svg << "<text x='" << L << "' y='" << y0 + H / 2 << "'>no data</text>\n";
      continue;
    }
    double ymin = *std::min_element(lo.begin(), lo.end());
    double ymax = *std::max_element(hi.begin(), hi.end());
    const bool draw_threshold =
        threshold && std::isfinite(*threshold) && metric.find("return") != std::string::npos;
    if (draw_threshold) {
      ymin = std::min(ymin, *threshold);
      ymax = std::max(ymax, *threshold);
    }
    const std::vector<double> yt = NiceTicks(ymin, ymax);
    const std::vector<double> xt = NiceTicks(0.0, x_max);
    ymin = yt.front();
    ymax = yt.back();
    const double x_end = std::max(1e-12, xt.back());
    auto px = [&](double x) { return L + (W - L - R) * (x / x_end); };
    auto py = [&](double y) { return y0 + T + (H - T - B) * (1 - (y - ymin) / (ymax - ymin)); };
    // axes, gridlines at the round ticks.
    svg << "<line x1='" << L << "' y1='" << py(ymin) << "' x2='" << W - R << "' y2='" << py(ymin)
        << "' stroke='black'/>\n<line x1='" << L << "' y1='" << py(ymin) << "' x2='" << L
        << "' y2='" << py(ymax) << "' stroke='black'/>\n";
    for (double yv : yt) {
      svg << "<text x='" << L - 6 << "' y='" << py(yv) + 4 << "' text-anchor='end'>" << TickLabel(yv)
          << "</text>\n<line x1='" << L << "' y1='" << py(yv) << "' x2='" << W - R << "' y2='"
          << py(yv) << "' stroke='#ddd'/>\n";
    }
    for (double xv : xt) {
      svg << "<text x='" << px(xv) << "' y='" << py(ymin) + 18 << "' text-anchor='middle'>"
          << TickLabel(xv) << "</text>\n";
    }
    svg << "<text x='" << (L + W - R) / 2 << "' y='" << y0 + H - 8 << "' text-anchor='middle'>"
        << XLabel(o.x, offline) << "</text>\n";
    if (draw_threshold) {
      svg << "<line x1='" << L << "' y1='" << py(*threshold) << "' x2='" << W - R << "' y2='"
          << py(*threshold) << "' stroke='#cb181d' stroke-dasharray='6,4'/>\n<text x='" << W - R
          << "' y='" << py(*threshold) - 4 << "' text-anchor='end' fill='#cb181d'>threshold "
          << TickLabel(*threshold) << "</text>\n";
    }
    if (runs.size() > 1) {
      svg << "<polygon fill='#9ecae1' fill-opacity='0.5' stroke='none' points='";
      for (size_t i = 0; i < xs.size(); ++i) svg << px(xs[i]) << "," << py(hi[i]) << " ";
      for (size_t i = xs.size(); i-- > 0;) svg << px(xs[i]) << "," << py(lo[i]) << " ";
      svg << "'/>\n";
    }
    svg << "<polyline fill='none' stroke='#08519c' stroke-width='2' points='";
    for (size_t i = 0; i < xs.size(); ++i) svg << px(xs[i]) << "," << py(mean[i]) << " ";
    svg << "'/>\n";
  }
  svg << "</svg>\n";
  const std::string out = o.out.empty() ? o.run_dirs.front() + "/curves.svg" : o.out;
  std::ofstream f(out, std::ios::trunc);
  f << svg.str();
  if (!f) return UnavailableError("cannot write '" + out + "'");
  return out;
}

}  // namespace fleet::orchestrator
