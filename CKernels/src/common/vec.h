// Generic SIMD vectors for kernels written once and compiled per instruction
// set: clang's ext_vector_type of W floats becomes zmm, ymm or baseline
// registers depending on the target attribute of the function that inlines
// it. Vectors travel by reference: the helpers are inlined into functions of
// several instruction sets, and passing wide vectors by value would tie them
// to one calling convention.
#pragma once

#include <cstdint>
#include <cstring>

#include "fovea_kernels.h"

namespace fovea::simd {

template <int W>
using Vec = float __attribute__((ext_vector_type(W)));

template <int W>
using DVec = double __attribute__((ext_vector_type(W)));

// Loads `valid` floats (all W when valid >= W); the other lanes get `fill`.
template <int W>
inline __attribute__((always_inline)) void load(Vec<W> &v, const float *p, int64_t valid, float fill = 0.0f) {
    if (valid >= W) {
        std::memcpy(&v, p, sizeof v);
    } else {
        v = fill;
        for (int64_t i = 0; i < valid; ++i) v[i] = p[i];
    }
}

// Stores `valid` lanes (all W when valid >= W).
template <int W>
inline __attribute__((always_inline)) void store(float *p, const Vec<W> &v, int64_t valid) {
    if (valid >= W) {
        std::memcpy(p, &v, sizeof v);
    } else {
        for (int64_t i = 0; i < valid; ++i) p[i] = v[i];
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

// The larger of acc and v as reference max pooling takes it: a NaN wins and
// the first NaN is kept.
template <int W>
inline __attribute__((always_inline)) void keep_max(Vec<W> &acc, const Vec<W> &v) {
    acc = (v > acc || (v != v && acc == acc)) ? v : acc;
}

}  // namespace fovea::simd
