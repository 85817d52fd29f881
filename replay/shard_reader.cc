#include "replay/shard_reader.h"

#include <algorithm>
#include <filesystem>
#include <type_traits>

#include "replay/h5.h"

namespace fleet::replay {
namespace {

bool Wanted(const ShardReadOptions& o, const ColumnInfo& c) {
  return o.columns.empty() ||
         std::find(o.columns.begin(), o.columns.end(), c.name) != o.columns.end();
}

// Reads every wanted column of `Columns` that `layout` has into `out`; all must have the
// same number of rows, which is returned.
template <class Columns>
StatusOr<uint64_t> ReadColumns(hid_t file, const std::string& path, const ShardLayout& layout,
                               const ShardReadOptions& options, Columns& out) {
  Status status = OkStatus();
  uint64_t rows = 0;
  const char* first = nullptr;
  Columns::ForEachColumn([&](const ColumnInfo& c, auto member) {
    if (!status.ok() || !layout.Allows(c) || !Wanted(options, c)) return;
    if (!layout.Requires(c) && !h5::Exists(file, c.name)) return;  // an older format's gap
    using T = typename std::remove_reference_t<decltype(out.*member)>::value_type;
    auto a = h5::Read<T>(file, c.name);
    if (!a.ok()) {
      status = DataLossError("'" + path + "': " + a.status().message());
      return;
    }
    const uint64_t want_cols = std::max<uint64_t>(1, layout.Cols(c));
    if (a->cols != want_cols) {
      status = DataLossError("'" + path + "': dataset '" + c.name + "' has " +
                             std::to_string(a->cols) + " columns, the manifest says " +
                             std::to_string(want_cols));
      return;
    }
    if (first == nullptr) {
      first = c.name;
      rows = a->rows;
    } else if (a->rows != rows) {
      status = DataLossError("'" + path + "': dataset '" + c.name + "' has " +
                             std::to_string(a->rows) + " rows, '" + first + "' has " +
                             std::to_string(rows));
      return;
    }
    out.*member = std::move(a->data);
  });
  if (!status.ok()) return status;
  return rows;
}

}  // namespace

StatusOr<Shard> ReadShard(const std::string& path, const ShardReadOptions& options) {
  Shard s;
  s.path = path;
  FLEET_ASSIGN_OR_RETURN(s.manifest, Manifest::ReadFor(path));
  FLEET_ASSIGN_OR_RETURN(h5::Id file, h5::OpenFile(path));
  const ShardLayout layout = s.manifest.layout();
  FLEET_RETURN_IF_ERROR(ReadColumns(file.get(), path, layout, options, s.steps).status());
  FLEET_RETURN_IF_ERROR(ReadColumns(file.get(), path, layout, options, s.episodes).status());
  return s;
}

StatusOr<std::vector<std::string>> ListShards(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with("shard-") && name.ends_with(".h5")) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  }
  if (files.empty()) return NotFoundError("no dataset shard (shard-*.h5) at '" + path + "'");
  return files;
}

}  // namespace fleet::replay
