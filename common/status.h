// Status and StatusOr: the error type of Fleet's runtime paths (network, files, user
// input). Exceptions are used only at the CLI boundary; FLEET_CHECK is for programmer bugs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace fleet {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kDeadlineExceeded,
  kUnavailable,
  kDataLoss,
  kFailedPrecondition,
  kInternal,
  kCancelled,
  kResourceExhausted,  // e.g. the disk is full
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFoundError(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status DeadlineExceededError(std::string m) {
  return Status(StatusCode::kDeadlineExceeded, std::move(m));
}
inline Status UnavailableError(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status DataLossError(std::string m) { return Status(StatusCode::kDataLoss, std::move(m)); }
inline Status FailedPreconditionError(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status InternalError(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }
inline Status ResourceExhaustedError(std::string m) {
  return Status(StatusCode::kResourceExhausted, std::move(m));
}
inline Status CancelledError(std::string m) {
  return Status(StatusCode::kCancelled, std::move(m));
}

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = InternalError("StatusOr constructed from an OK status");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, const std::string& msg);

// Exit codes of Fleet's processes, so that a supervisor tells a crash (restart it) from
// a condition that a restart would only meet again (after sysexits.h).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;      // bad arguments or config, unknown ids, missing files
inline constexpr int kExitDataLoss = 65;  // EX_DATAERR: damaged data found, the rest kept
inline constexpr int kExitNoSpace = 74;   // EX_IOERR: the disk is full
// The exit code for a failure with this status.
int ExitCodeFor(const Status& st);
// Whether an exit with `code` is one a restart would meet again.
inline bool IsPersistentExit(int code) {
  return code == kExitUsage || code == kExitDataLoss || code == kExitNoSpace;
}

}  // namespace fleet

// programmer-bug assertions: always on, abort with the location.
#define FLEET_CHECK(cond)                                             \
  do {                                                                \
    if (!(cond)) ::fleet::CheckFailed(__FILE__, __LINE__, #cond, ""); \
  } while (0)
#define FLEET_CHECK_MSG(cond, msg)                                       \
  do {                                                                   \
    if (!(cond)) ::fleet::CheckFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)

#define FLEET_CONCAT_INNER(a, b) a##b
#define FLEET_CONCAT(a, b) FLEET_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` yields a non-OK Status.
#define FLEET_RETURN_IF_ERROR(expr)       \
  do {                                    \
    ::fleet::Status _st = (expr);         \
    if (!_st.ok()) return _st;            \
  } while (0)

#define FLEET_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

// `FLEET_ASSIGN_OR_RETURN(auto x, MaybeX());`
#define FLEET_ASSIGN_OR_RETURN(lhs, expr) \
  FLEET_ASSIGN_OR_RETURN_IMPL(FLEET_CONCAT(_status_or_, __LINE__), lhs, expr)
