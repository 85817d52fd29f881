// The little JSON Fleet writes by hand (manifests, metadata, summaries): string escaping,
// and reading back one top-level string field of such a file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fleet {

// `s` escaped for use inside a JSON string (quotes, backslashes, control characters).
std::string JsonEscape(std::string_view s);

// The value of the first `"key": "..."` string field in `json`, unescaped; nullopt when
// there is none or it is malformed. Meant for files Fleet wrote itself, not general JSON.
std::optional<std::string> JsonStringField(std::string_view json, std::string_view key);

}  // namespace fleet
