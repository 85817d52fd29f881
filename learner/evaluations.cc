#include "learner/evaluations.h"

#include <filesystem>

#include "common/json.h"
#include "common/logging.h"

namespace fleet::learner {

Evaluations::Evaluations(const ExperimentConfig& config, std::string run_dir, std::string bin_dir)
    : cfg_(config), run_dir_(std::move(run_dir)), bin_dir_(std::move(bin_dir)) {}

bool Evaluations::Start(const std::string& policy_file, int64_t update) {
  if (child_) {
    GetLogger("learner")->warn("evaluation at update {} skipped: the one of update {} still runs",
                               update, update_);
    return false;
  }
  const std::string dir = run_dir_ + "/evals";
  std::error_code ec;
  std::filesystem::create_directories(dir + "/logs", ec);
  json_ = dir + "/eval-" + std::to_string(update) + ".json";
  std::vector<std::string> argv = {bin_dir_ + "/fleet", "eval", policy_file, "--env", cfg_.env.id,
                                   "--episodes", std::to_string(cfg_.learner.eval_episodes),
                                   "--actors", std::to_string(cfg_.learner.eval_actors),
                                   "--seed", std::to_string(cfg_.run.seed * 1000003),
                                   "--json", json_, "--logs-dir", dir + "/logs"};
  auto child = ChildProcess::Spawn("evaluation", argv, dir + "/logs/eval-" + std::to_string(update) + ".log");
  if (!child.ok()) {
    GetLogger("learner")->error("evaluation at update {}: {}", update, child.status().ToString());
    return false;
  }
  child_.emplace(std::move(*child));
  update_ = update;
  started_ = std::chrono::steady_clock::now();
  return true;
}

StatusOr<std::optional<EvalRow>> Evaluations::Poll() {
  if (!child_) return std::optional<EvalRow>();
  const std::optional<int> code = child_->Poll();
  if (!code) return std::optional<EvalRow>();
  const std::string log = child_->log_path();
  child_.reset();
  if (*code != 0) {
    return InternalError("the evaluation at update " + std::to_string(update_) + " failed (exit code " +
                         std::to_string(*code) + "):\n" + TailFile(log, 10));
  }
  FLEET_ASSIGN_OR_RETURN(Json j, ReadJsonFile(json_));
  EvalRow row;
  row.update = update_;
  FLEET_ASSIGN_OR_RETURN(Json det, JsonMember<Json>(j, "deterministic", json_));
  FLEET_ASSIGN_OR_RETURN(row.mean, JsonMember<double>(det, "mean", json_));
  FLEET_ASSIGN_OR_RETURN(row.std, JsonMember<double>(det, "std", json_));
  if (det.contains("d4rl_score")) row.d4rl_score = det["d4rl_score"].get<double>();
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return std::optional<EvalRow>(row);
}

StatusOr<std::optional<EvalRow>> Evaluations::Wait(std::chrono::seconds timeout) {
  if (child_ && !child_->Wait(timeout)) {
    child_->Signal(9);
    child_.reset();
    return DeadlineExceededError("the evaluation at update " + std::to_string(update_) +
                                 " did not finish within " + std::to_string(timeout.count()) + " s");
  }
  return Poll();
}

}  // namespace fleet::learner
