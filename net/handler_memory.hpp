#pragma once

// Per-owner storage for Asio's handler allocations, so that an asynchronous
// operation chain in steady state costs no heap allocation.
//
// Asio 1.74 recycles at most one freed operation block per thread. An owner
// that keeps two operations in flight (an HTTP connection's read or write plus
// Beast's timer wait; a load client's read and its timer) evicts that one
// block on every round, and each operation then pays operator new. Giving the
// owner its own blocks avoids it: a completion handler wrapped with
// bind_memory() names a handler_memory through its allocator_type, and Asio
// allocates the operation there.
//
// Header-only and free of Asio includes: the HTTP server (net/connection.cpp)
// and the benchmark client (bench/sluice_bench/load.cpp) share it.

#include <cstddef>
#include <new>
#include <utility>

namespace sluice::net {

/// `Blocks` blocks of `BlockBytes` bytes each. A request that is larger, or
/// one that finds every block in use, falls back to operator new (correct,
/// just slower). Not thread-safe: used only by the thread that runs its
/// owner's operations. Must outlive every operation allocated from it.
template <std::size_t Blocks, std::size_t BlockBytes>
class handler_memory {
  static_assert(Blocks > 0 && BlockBytes > 0);

public:
  handler_memory() = default;
  handler_memory(const handler_memory&) = delete;
  handler_memory& operator=(const handler_memory&) = delete;

  void* allocate(std::size_t size) {
    if (size <= BlockBytes)
      for (std::size_t i = 0; i < Blocks; ++i)
        if (!used_[i]) {
          used_[i] = true;
          return storage_[i];
        }
    return ::operator new(size);
  }

  void deallocate(void* p) noexcept {
    for (std::size_t i = 0; i < Blocks; ++i)
      if (p == storage_[i]) {
        used_[i] = false;
        return;
      }
    ::operator delete(p);
  }

private:
  alignas(std::max_align_t) unsigned char storage_[Blocks][BlockBytes];
  bool used_[Blocks] = {};
};

/// The allocator Asio finds through a handler's get_allocator(); every
/// rebound copy allocates from the same `Memory`.
template <class T, class Memory>
class handler_allocator {
public:
  using value_type = T;

  explicit handler_allocator(Memory& m) noexcept : mem_(&m) {}
  template <class U>
  handler_allocator(const handler_allocator<U, Memory>& other) noexcept : mem_(other.memory()) {}

  T* allocate(std::size_t n) const { return static_cast<T*>(mem_->allocate(sizeof(T) * n)); }
  void deallocate(T* p, std::size_t) const noexcept { mem_->deallocate(p); }

  Memory* memory() const noexcept { return mem_; }

  template <class U>
  bool operator==(const handler_allocator<U, Memory>& other) const noexcept {
    return mem_ == other.memory();
  }
  template <class U>
  bool operator!=(const handler_allocator<U, Memory>& other) const noexcept {
    return mem_ != other.memory();
  }

private:
  Memory* mem_;
};

/// A completion handler `F` whose operation state lives in a `Memory`. The
/// memory must outlive the operation: Asio frees an operation's block before
/// it invokes (and then destroys) the moved-out handler, so a handler that
/// holds its owner alive (a shared_ptr to a connection) keeps it valid.
template <class F, class Memory>
class with_memory {
public:
  using allocator_type = handler_allocator<void, Memory>;

  with_memory(Memory& m, F f) : mem_(&m), f_(std::move(f)) {}

  allocator_type get_allocator() const noexcept { return allocator_type(*mem_); }

  template <class... Args>
  void operator()(Args&&... args) {
    f_(std::forward<Args>(args)...);
  }

private:
  Memory* mem_;
  F f_;
};

/// `f`, allocating its operations from `m`.
template <class Memory, class F>
with_memory<F, Memory> bind_memory(Memory& m, F f) {
  return {m, std::move(f)};
}

} // namespace sluice::net
