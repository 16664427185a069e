#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "policy/token_hash.hpp"

namespace sluice {

/// A map from token hashes to `V`, stored flat: open addressing with linear
/// probing and backward-shift deletion, at most half full.
///
/// Why not std::unordered_map: a lookup there reads the bucket array, the
/// node before the bucket's first and the node itself, three dependent
/// memory reads that each miss the cache once the map holds thousands of
/// tokens and requests name them at random. Here the key and value sit in
/// the slot the hash points to: one read, rarely two.
///
/// The keys are keyed cryptographic hashes, so any of their bytes are
/// uniformly distributed; the slot comes from bytes 0..7 (the registry picks
/// its shard by byte 8). `V{}` marks an empty slot: a value that converts to
/// false must never be inserted (the registry's are live actor handles).
///
/// Not thread-safe: the registry holds a shard's lock around every call.
template <class V>
class token_hash_index {
public:
  token_hash_index() = default;

  /// The value stored under `h`, or null. Valid until the next insert or
  /// erase.
  V* find(const token_hash& h) noexcept {
    auto i = slot_of(h);
    return i == npos ? nullptr : &slots_[i].value;
  }

  /// Stores `v` under `h` unless `h` is present already; true if stored.
  bool insert(const token_hash& h, V v) {
    if ((size_ + 1) * 2 > slots_.size())
      grow();
    auto i = home(h);
    for (; slots_[i].value; i = next(i))
      if (slots_[i].key == h)
        return false;
    slots_[i].key = h;
    slots_[i].value = std::move(v);
    ++size_;
    return true;
  }

  /// Removes `h` if it is present and `keep(value)` is false; true if
  /// removed.
  template <class Keep>
  bool erase_unless(const token_hash& h, Keep&& keep) {
    auto hole = slot_of(h);
    if (hole == npos || keep(std::as_const(slots_[hole].value)))
      return false;
    // Backward shift: every later entry of the run that may live in the
    // hole (its home is not inside (hole, its slot]) moves into it, so that
    // no lookup ever meets an empty slot before its key.
    for (auto j = next(hole); slots_[j].value; j = next(j)) {
      auto k = home(slots_[j].key);
      bool stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
      if (!stays) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    slots_[hole].value = V{};
    --size_;
    return true;
  }

  std::size_t size() const noexcept { return size_; }

private:
  struct slot {
    token_hash key{};
    V value{};
  };

  static constexpr std::size_t npos = ~std::size_t{0};

  /// The slot holding `h`, or npos.
  std::size_t slot_of(const token_hash& h) const noexcept {
    if (size_ == 0)
      return npos;
    for (auto i = home(h);; i = next(i)) {
      const auto& s = slots_[i];
      if (!s.value)
        return npos;
      if (s.key == h)
        return i;
    }
  }

  std::size_t home(const token_hash& h) const noexcept {
    std::uint64_t x;
    std::memcpy(&x, h.data(), sizeof x);
    return static_cast<std::size_t>(x) & (slots_.size() - 1);
  }
  std::size_t next(std::size_t i) const noexcept { return (i + 1) & (slots_.size() - 1); }

  void grow() {
    std::vector<slot> old(slots_.empty() ? initial_slots : slots_.size() * 2);
    old.swap(slots_);
    for (auto& s : old)
      if (s.value) {
        auto i = home(s.key);
        while (slots_[i].value)
          i = next(i);
        slots_[i] = std::move(s);
      }
  }

  static constexpr std::size_t initial_slots = 16;

  /// A power of two in size (or empty); at most half of the slots are used,
  /// so every probe ends at an empty slot.
  std::vector<slot> slots_;
  std::size_t size_ = 0;
};

} // namespace sluice
