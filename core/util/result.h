#pragma once
// Result<T>: a value or an Error that names the file, the field and the problem.
// User files are hostile input: loaders return Result instead of throwing, and the UI shows
// error().message as one line. (std::expected is C++23; this is the small C++20 stand-in.)
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "core/util/assert.h"

namespace tl {

struct Error {
  std::string message;  // one line, e.g. "model.safetensors: tensor 'wte.weight': offsets [0, 9) beyond data (8 bytes)"
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    TL_ASSERT(ok(), "Result::value() on an error");
    return std::get<0>(v_);
  }
  const T& value() const& {
    TL_ASSERT(ok(), "Result::value() on an error");
    return std::get<0>(v_);
  }
  T&& value() && {
    TL_ASSERT(ok(), "Result::value() on an error");
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    TL_ASSERT(!ok(), "Result::error() on a value");
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : err_(std::move(e)) {}
  static Status Ok() { return {}; }
  bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    TL_ASSERT(!ok(), "Status::error() on an ok status");
    return *err_;
  }

 private:
  std::optional<Error> err_;
};

inline Error make_error(std::string msg) { return Error{std::move(msg)}; }

}  // namespace tl
