// The little JSON Fleet writes by hand (manifests, metadata, summaries): string escaping,
// and reading back one top-level string field of such a file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fleet {

// `s` escaped for use inside a JSON string (quotes, backslashes, control characters).
std::string JsonEscape(std::string_view s);

// `v` as a JSON number with `precision` significant digits; infinities and NaN as Python's
// json module writes them (Infinity, -Infinity, NaN), which is what Minari and Gymnasium
// read back.
std::string JsonDouble(double v, int precision = 17);

// The value of the first `"key": "..."` string field in `json`, unescaped; nullopt when
// there is none or it is malformed. Meant for files Fleet wrote itself, not general JSON.
std::optional<std::string> JsonStringField(std::string_view json, std::string_view key);

}  // namespace fleet
