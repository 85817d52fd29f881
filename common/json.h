// JSON in Fleet: every JSON file Fleet writes or reads goes through nlohmann::json
// (Debian's nlohmann-json3-dev); this header adds the two things Fleet needs on top.
//
// Non-finite numbers, written one of two deliberate ways:
// - NonFinite::kNull: standard JSON, NaN and infinities become null. For Fleet's own
//   reports (summary.json, `fleet eval` output, actor stats), which tools such as jq read.
// - NonFinite::kPython: the tokens Python's json module writes and reads (NaN, Infinity,
//   -Infinity). For what Python libraries read back as numbers: Gymnasium/Minari space
//   serializations (a Box with unbounded observations has low = [-Infinity, ...]) and the
//   dataset manifests that carry them.
// ParseJson reads both (it accepts Python's three tokens outside strings).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace fleet {

// Objects keep their keys in insertion order, so written files read in a sensible order.
using Json = nlohmann::ordered_json;

enum class NonFinite { kNull, kPython };

// `indent` < 0: one line.
std::string DumpJson(const Json& value, int indent = 2, NonFinite non_finite = NonFinite::kNull);

// InvalidArgument naming `what` (a file name, "manifest", ...) and the parser's position.
StatusOr<Json> ParseJson(std::string_view text, const std::string& what);
StatusOr<Json> ReadJsonFile(const std::string& path);

// Writes `value` to path.tmp and renames it into place: readers see the old file or the
// new one, never half of one.
Status WriteJsonFileAtomically(const std::string& path, const Json& value,
                               NonFinite non_finite = NonFinite::kNull);

// A number as JSON would carry it: nullopt-free access for readers that must fail clearly.
// Returns the member `key` of object `j` as T, or InvalidArgument naming `what` and `key`.
template <class T>
StatusOr<T> JsonMember(const Json& j, const std::string& key, const std::string& what) {
  if (!j.is_object() || !j.contains(key)) {
    return InvalidArgumentError(what + " has no '" + key + "'");
  }
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgumentError(what + ": '" + key + "' has the wrong type");
  }
}

}  // namespace fleet
