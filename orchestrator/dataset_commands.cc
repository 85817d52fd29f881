#include "orchestrator/dataset_commands.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "replay/d4rl.h"
#include "replay/dataset_copy.h"
#include "replay/dataset_reader.h"
#include "replay/minari_export.h"
#include "replay/recorder.h"

namespace fleet::orchestrator {
namespace {

int Fail(const char* what, const Status& st) {
  std::fprintf(stderr, "fleet dataset %s: %s\n", what, st.ToString().c_str());
  return st.code() == StatusCode::kInvalidArgument || st.code() == StatusCode::kNotFound ? 2 : 1;
}

// The behaviour block of a manifest in one line.
std::string DescribeBehaviour(const Json& b) {
  if (b.is_null()) return "unknown";
  std::string out = b.value("label", std::string());
  if (b.contains("policy")) {
    out += (out.empty() ? "" : ": ") + std::string("policy ") + b["policy"].get<std::string>();
    if (b.contains("checkpoint")) out += " " + b["checkpoint"].get<std::string>();
  }
  if (b.contains("evaluated_return")) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), ", evaluated return %.1f over %d episodes",
                  b["evaluated_return"].get<double>(), b.value("evaluated_episodes", 0));
    out += buf;
  }
  if (b.contains("copied_from")) {
    out += (out.empty() ? "" : ": ") + std::string("copied from");
    for (const auto& f : b["copied_from"]) out += " " + f.value("dataset", std::string("?"));
    if (b.contains("max_policy_version")) {
      out += ", policy versions <= " + std::to_string(b["max_policy_version"].get<uint64_t>());
    }
  }
  return out;
}

// A run directory (RUN/dataset holds its recording) stands for its dataset folder.
std::string DatasetPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec) || !fs::is_directory(fs::path(path) / "dataset", ec)) return path;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("shard-", 0) == 0 || name.rfind("wal-", 0) == 0 || name == replay::kRecordingFile) {
      return path;  // a dataset folder that happens to hold a "dataset" folder too
    }
  }
  return (fs::path(path) / "dataset").string();
}

}  // namespace

DatasetCommands::DatasetCommands(CLI::App& app) {
  dataset_ = app.add_subcommand("dataset", "inspect, check, convert and combine recorded datasets");
  dataset_->require_subcommand(1);
  info_ = dataset_->add_subcommand("info", "totals and return statistics per shard");
  info_->add_option("path", path_, "dataset directory, shard .h5 or run directory")->required();
  verify_ = dataset_->add_subcommand("verify", "check every shard; exit 1 on any inconsistency");
  verify_->add_option("path", path_, "dataset directory, shard .h5 or run directory")->required();
  recover_ = dataset_->add_subcommand(
      "recover", "seal what a crashed recording left in its write-ahead log into shards "
                 "(on a disk with room); exit 65 when the log was damaged inside");
  recover_->add_option("path", path_, "dataset directory or run directory")->required();
  export_ = dataset_->add_subcommand("export", "convert a dataset to Minari's layout");
  export_->add_option("--format", export_format_, "output format (minari)")
      ->check(CLI::IsMember({"minari"}));
  export_->add_option("--dataset-id", dataset_id_, "Minari dataset id (default fleet/<env>-v0)");
  export_->add_option("path", path_, "dataset directory, shard .h5 or run directory")->required();
  export_->add_option("out", export_out_, "output folder (the data goes to OUT/data)")->required();
  copy_ = dataset_->add_subcommand(
      "copy", "whole episodes of datasets into a new one (medium-replay, medium-expert)");
  copy_->add_option("sources", sources_, "dataset directories or shards, in order")->required();
  copy_->add_option("--out", copy_out_, "the new dataset's folder")->required();
  copy_->add_option("--max-policy-version", max_policy_version_,
                    "only episodes made entirely by policy versions up to this one");
  copy_->add_option("--label", label_, "what the dataset is (into its manifests)");
  copy_->add_option("--shard-max-steps", shard_max_steps_, "steps per shard");
}

int DatasetCommands::Run() const {
  const std::string path = DatasetPath(path_);
  if (*recover_) {
    auto writer = replay::RecordingOptions(path);
    if (!writer.ok()) return Fail("recover", writer.status());
    replay::RecorderOptions ro;
    ro.writer = *writer;
    auto rec = replay::Recorder::Open(ro);
    if (!rec.ok()) return Fail("recover", rec.status());
    const replay::RecoveryReport report = (*rec)->recovery();
    if (Status st = (*rec)->Close(); !st.ok()) return Fail("recover", st);
    std::printf("fleet dataset recover: %s: %llu chunk(s) replayed from the log%s into %d "
                "shard(s) after the %d sealed before; %llu steps, %llu episodes in all\n",
                path.c_str(), static_cast<unsigned long long>(report.replayed_chunks),
                report.torn_tail ? " (a torn last record, never acknowledged, cut off)" : "",
                (*rec)->shards(), report.sealed_shards,
                static_cast<unsigned long long>((*rec)->steps_written()),
                static_cast<unsigned long long>((*rec)->episodes_written()));
    if (report.damaged()) {
      std::fprintf(stderr, "fleet dataset recover: %s\n", report.DescribeDamage().c_str());
      return kExitDataLoss;
    }
    return 0;
  }
  if (*export_) {
    replay::MinariExportOptions o;
    o.dataset_id = dataset_id_;
    auto r = replay::ExportMinari(path, export_out_, o);
    if (!r.ok()) return Fail("export", r.status());
    std::printf("fleet dataset export: %lld episodes, %lld steps in Minari's layout at %s\n",
                static_cast<long long>(r->episodes), static_cast<long long>(r->steps),
                r->data_dir.c_str());
    for (const auto& w : r->warnings) std::fprintf(stderr, "fleet dataset export: warning: %s\n", w.c_str());
    return 0;
  }
  if (*copy_) {
    replay::CopyOptions o;
    o.out = copy_out_;
    o.label = label_;
    o.shard_max_steps = shard_max_steps_;
    if (max_policy_version_ >= 0) o.max_policy_version = static_cast<uint64_t>(max_policy_version_);
    std::vector<std::string> sources;
    for (const auto& src : sources_) sources.push_back(DatasetPath(src));
    auto r = replay::CopyEpisodes(sources, o);
    if (!r.ok()) return Fail("copy", r.status());
    std::printf("fleet dataset copy: %lld episodes, %lld steps in %d shard(s) at %s (%lld episodes "
                "filtered out)\n",
                static_cast<long long>(r->episodes), static_cast<long long>(r->steps), r->shards,
                copy_out_.c_str(), static_cast<long long>(r->skipped_episodes));
    return 0;
  }
  auto report = replay::InspectDataset(path);
  if (!report.ok()) return Fail(*verify_ ? "verify" : "info", report.status());
  std::printf("dataset %s: env %s, %lld steps, %lld episodes, %zu shard(s)\n", path.c_str(),
              report->env_id.empty() ? "unknown" : report->env_id.c_str(), static_cast<long long>(report->steps),
              static_cast<long long>(report->episodes), report->shards.size());
  for (const auto& l : report->logs) {
    // A cleanly closed recording keeps its last log with no chunks (it carries the dedup
    // state a resumed recording continues from): nothing to report about it.
    if (l.chunks == 0 && !l.torn_tail && l.problems.empty()) continue;
    std::printf("  %s: log with %lld readable chunk(s)%s%s\n", l.path.c_str(),
                static_cast<long long>(l.chunks),
                l.torn_tail ? ", torn last record (never acknowledged)" : "",
                l.problems.empty() && l.chunks > 0
                    ? "; not in a sealed shard yet (a recording running, or crashed: "
                      "`fleet dataset recover` seals it)"
                    : "");
    for (const auto& p : l.problems) std::printf("    problem: %s\n", p.c_str());
  }
  if (*info_ && report->ok() && !report->shards.empty()) {
    const double mean = report->MeanCompleteReturn();
    std::printf("  behaviour: %s\n", DescribeBehaviour(report->shards.front().behaviour).c_str());
    std::printf("  mean return of the %lld complete episodes: %.2f", 
                static_cast<long long>(report->CompleteEpisodes()), mean);
    if (auto ref = replay::D4rlReferenceFor(report->env_id); ref && std::isfinite(mean)) {
      std::printf(", D4RL-normalized %.1f (%s: random %.2f, expert %.2f)",
                  replay::D4rlNormalized(mean, *ref), ref->name, ref->random, ref->expert);
    }
    std::printf("\n");
  }
  for (const auto& s : report->shards) {
    if (*info_ || !s.problems.empty()) {
      std::printf("  %s: %lld steps, %lld episodes, return mean %.2f std %.2f min %.2f max "
                  "%.2f, mean length %.1f%s\n",
                  s.path.c_str(), static_cast<long long>(s.steps),
                  static_cast<long long>(s.episodes), s.return_mean, s.return_std, s.return_min,
                  s.return_max, s.length_mean, s.problems.empty() ? "" : " [INCONSISTENT]");
      if (*info_ && s.problems.empty()) {
        std::string infos;
        for (const auto& c : s.optional_columns) infos += (infos.empty() ? "" : ", ") + c;
        std::printf("    optional columns: %s\n", infos.empty() ? "none" : infos.c_str());
      }
    }
    for (const auto& p : s.problems) std::printf("    problem: %s\n", p.c_str());
  }
  if (*verify_) {
    std::printf("%s\n", report->ok() ? "verify: OK" : "verify: FAILED");
    return report->ok() ? 0 : 1;
  }
  return 0;
}

}  // namespace fleet::orchestrator
