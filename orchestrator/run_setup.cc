#include "orchestrator/run_setup.h"

#include <unistd.h>

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
  auto spec = envs::GetSpec(cfg.env.id, cfg.env.options);
  if (!spec.ok()) {
    return Status(spec.status().code(), "config key 'env': " + spec.status().message());
  }
  return CheckSizes(cfg, *spec, static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) *
                                    ::sysconf(_SC_PAGE_SIZE));
}

int64_t EstimateChunkBytes(const ExperimentConfig& cfg, const envs::EnvSpec& spec) {
  const int64_t obs = spec.observation_space.FlatDim();
  const int64_t act = spec.action_space.is_discrete() ? 1 : spec.action_space.FlatDim();
  // per step: observation, action, reward, log-prob, value (4 bytes each), two flags;
  // per env: the next observation
  const int64_t steps = int64_t{cfg.env.num_envs} * cfg.actors.steps_per_chunk;
  return steps * ((obs + act + 3) * 4 + 2) + int64_t{cfg.env.num_envs} * obs * 4;
}

Status CheckSizes(const ExperimentConfig& cfg, const envs::EnvSpec& spec, int64_t memory_bytes) {
  const int64_t chunk = EstimateChunkBytes(cfg, spec);
  const auto mib = [](int64_t b) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.*f MiB", b < (int64_t{10} << 20) ? 2 : 0, b / 1048576.0);
    return std::string(buf);
  };
  if (chunk > cfg.store.max_chunk_bytes) {
    return InvalidArgumentError(
        "config keys 'env.num_envs' x 'actors.steps_per_chunk' (" +
        std::to_string(cfg.env.num_envs) + " x " + std::to_string(cfg.actors.steps_per_chunk) +
        "): a chunk of " + spec.id + " would be about " + mib(chunk) +
        ", over store.max_chunk_bytes (" + mib(cfg.store.max_chunk_bytes) +
        "), and the store would reject every one");
  }
  // the store's queue, and each actor's chunks in flight, must fit in half the memory
  if (memory_bytes > 0 && cfg.store.queue_chunks * chunk > memory_bytes / 2) {
    return InvalidArgumentError("config key 'store.queue_chunks' (" +
                                std::to_string(cfg.store.queue_chunks) + " chunks of about " +
                                mib(chunk) + ") would hold more than half of this machine's " +
                                mib(memory_bytes) + " of memory");
  }
  // the replay table: s and s', the action, the reward and a flag per transition
  const int64_t transition = (2 * int64_t{spec.observation_space.FlatDim()} +
                              (spec.action_space.is_discrete() ? 1 : spec.action_space.FlatDim()) + 1) * 4 + 1;
  if (memory_bytes > 0 && cfg.replay.capacity > 0 &&
      cfg.replay.capacity > memory_bytes / 2 / transition) {
    return InvalidArgumentError("config key 'replay.capacity' (" + std::to_string(cfg.replay.capacity) +
                                " transitions of " + std::to_string(transition) + " bytes) would hold more "
                                "than half of this machine's " + mib(memory_bytes) + " of memory");
  }
  if (memory_bytes > 0 && int64_t{cfg.actors.max_in_flight + 1} * chunk > memory_bytes / 2) {
    return InvalidArgumentError("config key 'actors.max_in_flight' (" +
                                std::to_string(cfg.actors.max_in_flight) + " chunks of about " +
                                mib(chunk) + " per actor) would hold more than half of this "
                                "machine's " + mib(memory_bytes) + " of memory");
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
