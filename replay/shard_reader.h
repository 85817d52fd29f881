// Reading recorded shards back: the one reader every consumer of a dataset uses (`fleet
// dataset info|verify`, the samplers' EpisodeDataset::Load, the Minari export). It reads
// a shard's manifest and the columns its layout has (replay/columns.h), checks each
// dataset's shape against the manifest, and reports a missing manifest, a truncated or
// corrupt file or a wrong shape as a Status naming the file and the dataset.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "replay/columns.h"
#include "replay/manifest.h"

namespace fleet::replay {

struct Shard {
  std::string path;
  Manifest manifest;
  StepColumns steps;
  EpisodeColumns episodes;
};

struct ShardReadOptions {
  // the columns to read, by dataset name ("observations", "episodes/start", ...); empty:
  // all the shard has. Names the shard does not have are not an error here: a reader
  // that needs one checks the layout.
  std::vector<std::string> columns;
};

// Reads `path` (a sealed shard-NNNNN.h5). NotFound or InvalidArgument for its manifest,
// DataLoss for the file: unreadable, a dataset missing, of the wrong width, or step (or
// episode) columns of different lengths.
StatusOr<Shard> ReadShard(const std::string& path, const ShardReadOptions& options = {});

// The sealed shards of a dataset folder in order, or `path` itself when it is a file.
// NotFound when there is none.
StatusOr<std::vector<std::string>> ListShards(const std::string& path);

}  // namespace fleet::replay
