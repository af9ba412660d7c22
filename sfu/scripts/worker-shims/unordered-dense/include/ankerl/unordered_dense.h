// Stand-in for <ankerl/unordered_dense.h> (martinus/unordered_dense, MIT):
// the subset mediasoup uses (map, set, hash), on top of the standard
// containers. Integral/enum/pointer hashing reproduces unordered_dense's
// wyhash-based mixing; other types fall back to std::hash.
// Differences vs the real library: iteration order is unspecified (real one
// iterates in insertion order, modified by swap-and-pop on erase), memory
// layout/performance differ, and the dense-only APIs (values(), extract() of
// the whole container, replace(), segmented containers' internals) are absent.
#ifndef ANKERL_UNORDERED_DENSE_H
#define ANKERL_UNORDERED_DENSE_H

#define ANKERL_UNORDERED_DENSE_VERSION_MAJOR 4
#define ANKERL_UNORDERED_DENSE_VERSION_MINOR 8
#define ANKERL_UNORDERED_DENSE_VERSION_PATCH 1
#define ANKERL_UNORDERED_DENSE_STD_COMPAT 1

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace ankerl::unordered_dense {

namespace detail::wyhash {
inline uint64_t mix(uint64_t a, uint64_t b) noexcept
{
    __uint128_t r = static_cast<__uint128_t>(a) * static_cast<__uint128_t>(b);
    return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64U);
}
inline uint64_t hash(uint64_t x) noexcept { return mix(x, UINT64_C(0x9E3779B97F4A7C15)); }
} // namespace detail::wyhash

template <typename T, typename Enable = void>
struct hash {
    auto operator()(T const& obj) const
        noexcept(noexcept(std::declval<std::hash<T>>().operator()(std::declval<T const&>())))
        -> uint64_t
    {
        return static_cast<uint64_t>(std::hash<T>{}(obj));
    }
};

template <typename T>
struct hash<T, std::enable_if_t<std::is_integral_v<T> || std::is_enum_v<T>>> {
    using is_avalanching = void;
    auto operator()(T const& obj) const noexcept -> uint64_t
    {
        if constexpr (std::is_enum_v<T>) {
            return detail::wyhash::hash(
                static_cast<uint64_t>(static_cast<std::underlying_type_t<T>>(obj)));
        } else {
            return detail::wyhash::hash(static_cast<uint64_t>(obj));
        }
    }
};

template <typename T>
struct hash<T*> {
    using is_avalanching = void;
    auto operator()(T* ptr) const noexcept -> uint64_t
    {
        return detail::wyhash::hash(reinterpret_cast<uintptr_t>(ptr));
    }
};

template <typename T>
struct hash<std::unique_ptr<T>> {
    using is_avalanching = void;
    auto operator()(std::unique_ptr<T> const& ptr) const noexcept -> uint64_t
    {
        return detail::wyhash::hash(reinterpret_cast<uintptr_t>(ptr.get()));
    }
};

template <typename T>
struct hash<std::shared_ptr<T>> {
    using is_avalanching = void;
    auto operator()(std::shared_ptr<T> const& ptr) const noexcept -> uint64_t
    {
        return detail::wyhash::hash(reinterpret_cast<uintptr_t>(ptr.get()));
    }
};

template <typename CharT>
struct hash<std::basic_string<CharT>> {
    using is_avalanching = void;
    using is_transparent = void;
    auto operator()(std::basic_string_view<CharT> sv) const noexcept -> uint64_t
    {
        return static_cast<uint64_t>(std::hash<std::basic_string_view<CharT>>{}(sv));
    }
};

template <typename CharT>
struct hash<std::basic_string_view<CharT>> {
    using is_avalanching = void;
    using is_transparent = void;
    auto operator()(std::basic_string_view<CharT> sv) const noexcept -> uint64_t
    {
        return static_cast<uint64_t>(std::hash<std::basic_string_view<CharT>>{}(sv));
    }
};

template <class Key,
          class T,
          class Hash = hash<Key>,
          class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
using map = std::unordered_map<Key, T, Hash, KeyEqual, Allocator>;

template <class Key,
          class Hash = hash<Key>,
          class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<Key>>
using set = std::unordered_set<Key, Hash, KeyEqual, Allocator>;

template <class Key,
          class T,
          class Hash = hash<Key>,
          class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
using segmented_map = std::unordered_map<Key, T, Hash, KeyEqual, Allocator>;

template <class Key,
          class Hash = hash<Key>,
          class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<Key>>
using segmented_set = std::unordered_set<Key, Hash, KeyEqual, Allocator>;

namespace pmr {
} // namespace pmr

} // namespace ankerl::unordered_dense

#endif // ANKERL_UNORDERED_DENSE_H
