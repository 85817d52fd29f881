// HDF5 for replay/: one owning handle type for every HDF5 id (file, group, dataset,
// dataspace, datatype, property list, attribute), closed with the matching H5*close when
// it goes out of scope, and the few typed operations the writers and readers share.
// Every function returns a Status naming the file or dataset; nothing throws and HDF5's
// own error stack printing is switched off (SilenceHdf5Errors). Internal to replay/.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace fleet::replay::h5 {

// Owns one HDF5 id of any kind; the closer is chosen by the id's type.
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  Id(Id&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  Id& operator=(Id&& o) noexcept {
    if (this != &o) {
      (void)Close();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() { (void)Close(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // closes now; for a file, an error here means buffered data did not reach the disk.
  Status Close();

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// Switches off HDF5's printing of its error stack: readers report problems themselves.
void SilenceHdf5Errors();

StatusOr<Id> OpenFile(const std::string& path);  // read-only
// exclusive: fail if the file exists (else it is truncated).
StatusOr<Id> CreateFile(const std::string& path, bool track_creation_order = false,
                        bool exclusive = false);

bool Exists(hid_t loc, const std::string& name);

// The memory type of T (float, double, uint8_t, uint32_t, uint64_t, int64_t).
template <class T>
hid_t NativeType();

// A whole 1-d (rows) or 2-d (rows x cols) dataset, row-major.
template <class T>
struct Array {
  std::vector<T> data;
  uint64_t rows = 0, cols = 1;
};

// Reads dataset `name` of `loc` converted to T. NotFound when it is missing, DataLoss when
// it cannot be opened or read (a truncated or corrupt file).
template <class T>
StatusOr<Array<T>> Read(hid_t loc, const std::string& name);

// Rows [start, start + count) of dataset `name` converted to T (a hyperslab read: only
// the chunks holding those rows are read and decompressed).
template <class T>
StatusOr<Array<T>> ReadRows(hid_t loc, const std::string& name, uint64_t start, uint64_t count);

// Whether dataset `name` stores integers (e.g. discrete actions) rather than floats.
StatusOr<bool> IsInteger(hid_t loc, const std::string& name);

// A fixed-size dataset written at once (cols 0: 1-d). `file_type` defaults to T's type.
template <class T>
Status Write(hid_t loc, const std::string& name, const T* data, uint64_t rows, uint64_t cols,
             hid_t file_type = H5I_INVALID_HID);

// A 1-d or 2-d dataset that grows along its first axis: chunked, optionally shuffled and
// deflate-compressed, intermediate groups created.
class GrowingDataset {
 public:
  static StatusOr<GrowingDataset> Create(hid_t loc, const std::string& name, hid_t type,
                                         uint64_t cols, int deflate);
  // `rows` rows of `cols` values of the dataset's memory type.
  Status Append(const void* data, uint64_t rows);
  uint64_t rows() const { return rows_; }
  uint64_t cols() const { return cols_; }

 private:
  Id dataset_;
  std::string name_;
  hid_t type_ = H5I_INVALID_HID;
  uint64_t cols_ = 0;  // 0: 1-d
  uint64_t rows_ = 0;
};

// A scalar int64 attribute.
Status WriteAttribute(hid_t obj, const std::string& name, int64_t value);

}  // namespace fleet::replay::h5
