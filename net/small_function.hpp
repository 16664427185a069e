#pragma once

// A move-only callable wrapper that keeps small callables inside itself.
//
// Every ingest request carries its completion callback from the I/O thread to
// whichever actor answers it. With std::function that callback cost a heap
// allocation per request: libstdc++ stores a callable in place only when it
// is trivially copyable and at most 16 bytes, and the callbacks capture a
// responder (a shared_ptr) and often a little more. small_function stores any
// callable of up to `InlineBytes` that moves without throwing in place, and
// larger ones on the heap. It is move-only, so callables that own move-only
// state work too. (std::move_only_function is C++23; this project is C++20.)
//
// Header-only and free of other project includes: net/gateway.hpp uses it for
// the callbacks it declares, and the actors that hold those callbacks see it
// through that header.

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace sluice::net {

template <class Signature, std::size_t InlineBytes = 64>
class small_function;

/// Calls a stored callable with `Args`. Empty after default construction and
/// after being moved from; calling an empty one is undefined (check with
/// operator bool), as with std::function's throw replaced by a precondition.
template <class R, class... Args, std::size_t InlineBytes>
class small_function<R(Args...), InlineBytes> {
public:
  small_function() noexcept = default;
  small_function(std::nullptr_t) noexcept {}

  /// Takes `f` by value: in place when it fits and moves without throwing,
  /// on the heap otherwise.
  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<
              !std::is_same_v<D, small_function> && std::is_invocable_r_v<R, D&, Args...>>>
  small_function(F&& f) {
    if constexpr (stored_inline<D>) {
      ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      ::new (static_cast<void*>(storage_)) D*(new D(std::forward<F>(f)));
      ops_ = &heap_ops<D>;
    }
  }

  small_function(small_function&& other) noexcept { take(other); }
  small_function& operator=(small_function&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  small_function(const small_function&) = delete;
  small_function& operator=(const small_function&) = delete;
  ~small_function() { reset(); }

  R operator()(Args... args) { return ops_->call(storage_, std::forward<Args>(args)...); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Whether a callable of type F would be stored in place (for tests and
  /// static_asserts on hot paths).
  template <class F>
  static constexpr bool stored_inline = sizeof(F) <= InlineBytes
                                        && alignof(F) <= alignof(std::max_align_t)
                                        && std::is_nothrow_move_constructible_v<F>;

private:
  /// What the wrapper does with the stored callable: one table per type.
  struct ops {
    R (*call)(void* storage, Args&&... args);
    /// Moves the callable (or its heap pointer) from `from` into the raw
    /// storage `to`, and ends its life in `from`.
    void (*relocate)(void* from, void* to) noexcept;
    void (*destroy)(void* storage) noexcept;
  };

  template <class D>
  static constexpr ops inline_ops{
    [](void* s, Args&&... args) -> R {
      return (*std::launder(static_cast<D*>(s)))(std::forward<Args>(args)...);
    },
    [](void* from, void* to) noexcept {
      auto* f = std::launder(static_cast<D*>(from));
      ::new (to) D(std::move(*f));
      f->~D();
    },
    [](void* s) noexcept { std::launder(static_cast<D*>(s))->~D(); },
  };

  template <class D>
  static constexpr ops heap_ops{
    [](void* s, Args&&... args) -> R {
      return (**std::launder(static_cast<D**>(s)))(std::forward<Args>(args)...);
    },
    [](void* from, void* to) noexcept { ::new (to) D*(*std::launder(static_cast<D**>(from))); },
    [](void* s) noexcept { delete *std::launder(static_cast<D**>(s)); },
  };

  void take(small_function& other) noexcept {
    if (other.ops_) {
      other.ops_->relocate(other.storage_, storage_);
      ops_ = std::exchange(other.ops_, nullptr);
    }
  }

  void reset() noexcept {
    if (ops_)
      std::exchange(ops_, nullptr)->destroy(storage_);
  }

  static_assert(InlineBytes >= sizeof(void*), "room for the heap pointer at least");
  alignas(std::max_align_t) unsigned char storage_[InlineBytes];
  const ops* ops_ = nullptr; ///< null: empty
};

} // namespace sluice::net
