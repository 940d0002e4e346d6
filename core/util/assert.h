#pragma once
// Assertions for programmer errors (docs/ARCHITECTURE.md, Conventions).
//
// TL_ASSERT(cond, "what was wrong") is compiled into every build, Release included (NDEBUG does
// not remove it): a broken precondition at an API boundary (shapes that do not match, an index
// outside its range, Result::value() on an error) stops the program at once with the place and
// the reason, instead of reading past a buffer. On failure it prints
//   file:line: assertion failed: <cond>: <message>
// to stderr and calls std::abort(). Keep the condition cheap: these run in Release.
//
// TL_DEBUG_ASSERT(cond, "what was wrong") is for checks inside per-element loops. It is on in
// builds without NDEBUG and in TL_SANITIZE builds (CMakeLists.txt defines
// TL_ENABLE_DEBUG_ASSERTS there); otherwise it compiles to nothing and `cond` is not evaluated.
//
// Errors in user files (models, tokenizers, workspaces, sentence files) are never asserted: they
// are returned as Result / Status errors (core/util/result.h).

#include <cstdio>
#include <cstdlib>

namespace tl::detail {

// Out of line and cold, so a check costs one compare and branch at the call site.
[[noreturn]] [[gnu::cold]] [[gnu::noinline]] inline void assert_fail(const char* file, int line, const char* cond,
                                                                     const char* message) noexcept {
  std::fprintf(stderr, "%s:%d: assertion failed: %s: %s\n", file, line, cond, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tl::detail

#define TL_ASSERT(cond, message)                                     \
  do {                                                               \
    if (!(cond)) [[unlikely]]                                        \
      ::tl::detail::assert_fail(__FILE__, __LINE__, #cond, message); \
  } while (false)

#if !defined(NDEBUG) || defined(TL_ENABLE_DEBUG_ASSERTS)
#define TL_DEBUG_ASSERT(cond, message) TL_ASSERT(cond, message)
#else
// Unevaluated (sizeof), so variables used only in the check do not warn as unused.
#define TL_DEBUG_ASSERT(cond, message) \
  do {                                 \
    (void)sizeof(!(cond));             \
  } while (false)
#endif
