// Run-time dispatch: the CPU's features are read once; every kernel family keeps
// a list of implementations, most preferred first, each tagged with the level it
// needs (oneDNN's habit). The first entry the active level allows fills the
// family's table. Kernels never test CPU features themselves.
#pragma once

#include <atomic>
#include <cstdint>

#include "fovea_kernels.h"

namespace fovea {

uint32_t cpu_features();
// Whether 512-bit FMAs issue as two halves (cost models only; dispatch ignores it).
bool cpu_splits_512bit_fma();
// Whether the CPU is Intel's (microkernel shapes only; dispatch ignores it).
bool cpu_is_intel();
// The L2 cache of one core in bytes, or 0 when the CPU does not say (sizes of
// cache blocks only).
int64_t cpu_l2_bytes();
// The last-level (L3) cache a core shares, in bytes, or 0 when the CPU does
// not say (cost models only).
int64_t cpu_l3_bytes();
fovea_isa isa_from_features(uint32_t features);
fovea_isa active_isa();

// x86 levels never run on ARM and NEON never on x86: "allowed" is exact on
// the family of the machine, ordered within it.
inline bool isa_allows(fovea_isa active, fovea_isa needed) {
    if (needed == FOVEA_ISA_SCALAR) return true;
    if (needed == FOVEA_ISA_NEON) return active == FOVEA_ISA_NEON;
    if (active == FOVEA_ISA_NEON) return false;
    return static_cast<int>(needed) <= static_cast<int>(active);
}

// One implementation of a family: the level it needs and its function table.
template <class Table>
struct Implementation {
    fovea_isa isa;
    Table table;
};

// A family's current table. The chosen entry and the epoch it was chosen in
// are published as one atomic word, so a thread that chose for an older cap
// can never leave its choice looking current.
template <class Table>
class Dispatch {
public:
    template <size_t N>
    explicit Dispatch(const Implementation<Table> (&list)[N]) : list_(list), count_(N) {}

    const Table &table() { return list_[index()].table; }

    fovea_isa isa() { return list_[index()].isa; }

private:
    size_t index() {
        const uint64_t epoch = epoch_now();
        const uint64_t state = state_.load(std::memory_order_acquire);
        if (state != 0 && (state >> 16) == epoch) return size_t(state & 0xFFFF) - 1;
        const size_t chosen = choose(active_isa());
        state_.store((epoch << 16) | uint64_t(chosen + 1), std::memory_order_release);
        return chosen;
    }

    size_t choose(fovea_isa active) const {
        for (size_t i = 0; i < count_; ++i)
            if (isa_allows(active, list_[i].isa)) return i;
        return count_ - 1;
    }

    static unsigned epoch_now();

    const Implementation<Table> *list_;
    size_t count_;
    std::atomic<uint64_t> state_{0};  // (epoch << 16) | (index + 1); 0: not chosen yet
};

// Bumped whenever the cap changes; tables re-choose on their next use.
unsigned dispatch_epoch();

template <class Table>
unsigned Dispatch<Table>::epoch_now() {
    return dispatch_epoch();
}

// Each family reports the level its table holds now (for fovea info).
fovea_isa family_isa(fovea_family family);

}  // namespace fovea
