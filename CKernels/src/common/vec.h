// Generic SIMD vectors for kernels written once and compiled per instruction
// set: clang's ext_vector_type of W floats becomes zmm, ymm or baseline
// registers depending on the target attribute of the function that inlines
// it. Vectors travel by reference: the helpers are inlined into functions of
// several instruction sets, and passing wide vectors by value would tie them
// to one calling convention.
#pragma once

#include <cstdint>
#include <cstring>
#include <utility>

#include "fovea_kernels.h"

namespace fovea::simd {

template <int W>
using Vec = float __attribute__((ext_vector_type(W)));

template <int W>
using DVec = double __attribute__((ext_vector_type(W)));

// Halves of a vector and back, for the partial loads and stores below.
template <int W, size_t... I>
inline __attribute__((always_inline)) void half(Vec<W / 2> &out, const Vec<W> &v, std::index_sequence<I...>) {
    out = __builtin_shufflevector(v, v, I...);
}

template <int W, size_t... I>
inline __attribute__((always_inline)) void join(Vec<W> &out, const Vec<W / 2> &lo, const Vec<W / 2> &hi,
                                                std::index_sequence<I...>) {
    out = __builtin_shufflevector(lo, hi, I...);
}

template <int W>
using LowHalf = std::make_index_sequence<W / 2>;

template <size_t Offset, size_t... I>
std::index_sequence<(Offset + I)...> shifted(std::index_sequence<I...>);

template <int W>
using HighHalf = decltype(shifted<W / 2>(std::make_index_sequence<W / 2>()));

// Loads `valid` floats (all W when valid >= W); the other lanes get `fill`.
// A partial vector is built from whole halves down to 4 lanes: lane by lane
// into a wide register went through memory and cost hundreds of cycles on the
// channel tails of small layers (six channels in LeNet-5).
template <int W>
inline __attribute__((always_inline)) void load(Vec<W> &v, const float *p, int64_t valid, float fill = 0.0f) {
    if (valid >= W) {
        std::memcpy(&v, p, sizeof v);
    } else if constexpr (W <= 4) {
        v = fill;
        for (int64_t i = 0; i < valid; ++i) v[i] = p[i];
    } else {
        Vec<W / 2> lo, hi;
        if (valid >= W / 2) {
            std::memcpy(&lo, p, sizeof lo);
            load<W / 2>(hi, p + W / 2, valid - W / 2, fill);
        } else {
            load<W / 2>(lo, p, valid, fill);
            hi = fill;
        }
        join<W>(v, lo, hi, std::make_index_sequence<W>());
    }
}

// Stores `valid` lanes (all W when valid >= W).
template <int W>
inline __attribute__((always_inline)) void store(float *p, const Vec<W> &v, int64_t valid) {
    if (valid >= W) {
        std::memcpy(p, &v, sizeof v);
    } else if constexpr (W <= 4) {
        for (int64_t i = 0; i < valid; ++i) p[i] = v[i];
    } else {
        Vec<W / 2> lo, hi;
        half<W>(lo, v, LowHalf<W>());
        if (valid >= W / 2) {
            std::memcpy(p, &lo, sizeof lo);
            half<W>(hi, v, HighHalf<W>());
            store<W / 2>(p + W / 2, hi, valid - W / 2);
        } else {
            store<W / 2>(p, lo, valid);
        }
    }
}

// The activations kernels fuse into their output stage, written exactly as
// reference::activate: comparisons are false for NaN, so a NaN input stays
// NaN on every path. Sigmoid and tanh are left alone: the drivers apply them
// after the store, through the activation family.
template <int W>
inline __attribute__((always_inline)) void activate(Vec<W> &v, const fovea_activation &act) {
    const Vec<W> zero = 0;
    switch (act.kind) {
        case FOVEA_ACTIVATION_RELU: v = v < zero ? zero : v; break;
        case FOVEA_ACTIVATION_RELU6: v = v < zero ? zero : (v > Vec<W>(6) ? Vec<W>(6) : v); break;
        case FOVEA_ACTIVATION_LEAKY_RELU: v = v < zero ? act.alpha * v : v; break;
        case FOVEA_ACTIVATION_CLAMP:
            v = v < Vec<W>(act.alpha) ? Vec<W>(act.alpha) : (v > Vec<W>(act.beta) ? Vec<W>(act.beta) : v);
            break;
        default: break;
    }
}

// activate() with the choice of activation taken once, outside the kernel's
// loops: the activations that are a clamp (none, ReLU, ReLU6, clamp) as the
// bounds [lo, hi], leaky ReLU (LEAKY) as its slope. NaN passes through, as in
// reference::activate. Sigmoid and tanh are left alone, as in activate().
template <int W, bool LEAKY>
struct FusedActivation {
    Vec<W> lo, hi;
    float slope;
    explicit FusedActivation(const fovea_activation &act) {
        constexpr float inf = __builtin_huge_valf();
        float l = -inf, h = inf;
        switch (act.kind) {
            case FOVEA_ACTIVATION_RELU: l = 0; break;
            case FOVEA_ACTIVATION_RELU6: l = 0, h = 6; break;
            case FOVEA_ACTIVATION_CLAMP: l = act.alpha, h = act.beta; break;
            default: break;
        }
        lo = l, hi = h, slope = act.alpha;
    }
    inline __attribute__((always_inline)) void operator()(Vec<W> &v) const {
        if constexpr (LEAKY) {
            v = v < Vec<W>(0) ? slope * v : v;
        } else {
            v = lo > v ? lo : v;
            v = v > hi ? hi : v;
        }
    }
};

// The larger of acc and v as reference max pooling takes it: a NaN wins and
// the first NaN is kept.
template <int W>
inline __attribute__((always_inline)) void keep_max(Vec<W> &acc, const Vec<W> &v) {
    acc = (v > acc || (v != v && acc == acc)) ? v : acc;
}

// Whether any lane of v is NaN.
template <int W>
inline __attribute__((always_inline)) bool any_nan(const Vec<W> &v) {
    return __builtin_reduce_or(v != v) != 0;
}

}  // namespace fovea::simd
