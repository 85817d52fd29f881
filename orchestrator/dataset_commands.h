// `fleet dataset info|verify|recover|export|copy`: the dataset tools on the command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace fleet::orchestrator {

// Adds `dataset` and its subcommands to `app`; after parsing, Run() runs the chosen one
// and returns the exit code.
class DatasetCommands {
 public:
  explicit DatasetCommands(CLI::App& app);
  bool chosen() const { return dataset_->parsed(); }
  int Run() const;

 private:
  CLI::App* dataset_;
  CLI::App *info_, *verify_, *recover_, *export_, *copy_;
  std::string path_, export_format_ = "minari", export_out_, dataset_id_;
  std::vector<std::string> sources_;
  std::string copy_out_, label_;
  int64_t max_policy_version_ = -1;
  int64_t shard_max_steps_ = 1000000;
};

}  // namespace fleet::orchestrator
