#include "orchestrator/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace fleet::orchestrator {
namespace {

using Columns = std::map<std::string, std::vector<double>>;

StatusOr<Columns> ReadMetrics(const std::string& run_dir) {
  const std::string path = run_dir + "/metrics.csv";
  std::ifstream in(path);
  if (!in) return NotFoundError("no metrics.csv in '" + run_dir + "'");
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
  return cols;
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

std::string Fmt(double v) {
  char buf[32];
  if (std::abs(v) >= 1e6) std::snprintf(buf, sizeof(buf), "%.1fM", v / 1e6);
  else if (std::abs(v) >= 1e3) std::snprintf(buf, sizeof(buf), "%.0fk", v / 1e3);
  else std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

}  // namespace

StatusOr<std::string> PlotRuns(const PlotOptions& o) {
  if (o.run_dirs.empty()) return InvalidArgumentError("fleet plot needs at least one run dir");
  std::vector<Columns> runs;
  for (const auto& dir : o.run_dirs) {
    FLEET_ASSIGN_OR_RETURN(auto cols, ReadMetrics(dir));
    for (const auto& m : o.metrics) {
      if (!cols.count(m)) return InvalidArgumentError(dir + "/metrics.csv has no column '" + m + "'");
    }
    if (!cols.count(o.x)) return InvalidArgumentError(dir + "/metrics.csv has no column '" + o.x + "'");
    runs.push_back(std::move(cols));
  }
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
    std::string title = o.title.empty() ? metric : o.title + ": " + metric;
    svg << "<text x='" << L << "' y='" << y0 + 22 << "' font-size='14'>" << title << " ("
        << runs.size() << (runs.size() == 1 ? " run" : " runs, mean and min-max") << ")</text>\n";
    if (xs.empty()) {
      svg << "<text x='" << L << "' y='" << y0 + H / 2 << "'>no data</text>\n";
      continue;
    }
    double ymin = *std::min_element(lo.begin(), lo.end());
    double ymax = *std::max_element(hi.begin(), hi.end());
    if (ymax == ymin) ymax = ymin + 1;
    auto px = [&](double x) { return L + (W - L - R) * (x / std::max(1e-12, x_max)); };
    auto py = [&](double y) { return y0 + T + (H - T - B) * (1 - (y - ymin) / (ymax - ymin)); };
    // axes and ticks.
    svg << "<line x1='" << L << "' y1='" << py(ymin) << "' x2='" << W - R << "' y2='" << py(ymin)
        << "' stroke='black'/>\n<line x1='" << L << "' y1='" << py(ymin) << "' x2='" << L
        << "' y2='" << py(ymax) << "' stroke='black'/>\n";
    for (int k = 0; k <= 4; ++k) {
      const double xv = x_max * k / 4, yv = ymin + (ymax - ymin) * k / 4;
      svg << "<text x='" << px(xv) << "' y='" << py(ymin) + 18 << "' text-anchor='middle'>"
          << Fmt(xv) << "</text>\n<text x='" << L - 6 << "' y='" << py(yv) + 4
          << "' text-anchor='end'>" << Fmt(yv) << "</text>\n<line x1='" << L << "' y1='"
          << py(yv) << "' x2='" << W - R << "' y2='" << py(yv) << "' stroke='#ddd'/>\n";
    }
    svg << "<text x='" << (L + W - R) / 2 << "' y='" << y0 + H - 8 << "' text-anchor='middle'>"
        << o.x << "</text>\n";
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
