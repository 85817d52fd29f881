#include "orchestrator/run_setup.h"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/curve.h"
#include "envs/registry.h"

namespace fleet::orchestrator {

std::string DefaultRunDir(const std::string& name) {
  char buf[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + name + "-" + buf;
}

std::string FormatCount(double v) {
  char buf[32];
  if (v >= 1e6) std::snprintf(buf, sizeof(buf), "%.2fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof(buf), "%.1fk", v / 1e3);
  else std::snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

Status CheckEnv(const ExperimentConfig& cfg) {
  if (auto spec = envs::GetSpec(cfg.env.id, cfg.env.options); !spec.ok()) {
    return Status(spec.status().code(), "config key 'env': " + spec.status().message());
  }
  return OkStatus();
}

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Status PrepareTransportKeys(ExperimentConfig& cfg, const std::string& run_dir) {
  if (cfg.run.transport != "tcp") return OkStatus();
  if (cfg.run.curve_keys.empty()) {
    const std::string dir = std::filesystem::absolute(run_dir + "/keys").lexically_normal().string();
    if (!std::filesystem::exists(dir + "/server.secret")) FLEET_RETURN_IF_ERROR(GenerateCurveKeys(dir));
    cfg.run.curve_keys = dir;
  }
  return InitTransportSecurity(cfg.run);
}

Status PrepareRunDir(const ExperimentConfig& cfg, const std::string& run_dir) {
  std::error_code ec;
  std::filesystem::create_directories(run_dir + "/logs", ec);
  if (ec) return UnavailableError("cannot create run directory '" + run_dir + "': " + ec.message());
  std::ofstream out(run_dir + "/config.yaml", std::ios::trunc);
  out << ExperimentConfigToYaml(cfg);
  if (!out) return UnavailableError("cannot write " + run_dir + "/config.yaml");
  return OkStatus();
}

void PrintSummary(const std::string& verb, const std::string& run_dir) {
  std::ifstream summary(run_dir + "/summary.json");
  std::printf("fleet: %s; summary in %s/summary.json\n%s", verb.c_str(), run_dir.c_str(),
              std::string(std::istreambuf_iterator<char>(summary), {}).c_str());
}

}  // namespace fleet::orchestrator
