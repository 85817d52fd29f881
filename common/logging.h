// Logging set-up: one spdlog logger per component ("store", "actor", ...), writing to
// stderr with the component name and pid so interleaved process logs stay readable.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace fleet {

// Creates (or returns) the logger for `component`. `level` is an spdlog level name
// ("info", "debug", "warn", ...). Thread-safe.
std::shared_ptr<spdlog::logger> GetLogger(const std::string& component);
void SetLogLevel(const std::string& level);

}  // namespace fleet
