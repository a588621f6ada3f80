#version 450
// Radix sort, pass 3 of 3: each workgroup moves its tile's keys and values to their sorted
// positions for this digit, keeping equal digits in their order (stable, as LSD radix sort
// needs). Each thread owns a contiguous run of the tile; the per-thread digit counts are scanned
// in shared memory (one serial scan per digit), after which every thread places its own run
// without further synchronisation. Two barriers per pass and no subgroup operations, so it runs
// the same whatever the hardware's subgroup size, and fast on CPU implementations (llvmpipe)
// where each barrier is costly.
layout(local_size_x = 128) in;

const uint THREADS = 128;
const uint RUN = 16; // keys per thread: a tile is 128 * 16 keys, as in the histogram pass

layout(std430, binding = 8) readonly buffer DrawCommand {
    uint vertex_count;
    uint instance_count;
    uint first_vertex;
    uint base_instance;
};
layout(std430, binding = 9) readonly buffer KeysIn { uint keys_in[]; };
layout(std430, binding = 10) readonly buffer ValuesIn { uint values_in[]; };
layout(std430, binding = 11) writeonly buffer KeysOut { uint keys_out[]; };
layout(std430, binding = 12) writeonly buffer ValuesOut { uint values_out[]; };
layout(std430, binding = 13) readonly buffer Histogram { uint histogram[]; };

uniform uint u_shift;

// Digit-major: next[digit * THREADS + thread] is where the thread's next key of that digit goes.
shared uint next[16 * THREADS];

void main() {
    uint group = gl_WorkGroupID.x, groups = gl_NumWorkGroups.x, thread = gl_LocalInvocationID.x;
    uint count = instance_count;
    uint first = group * THREADS * RUN + thread * RUN;
    uint run = first < count ? min(RUN, count - first) : 0u;

    uint counts[16];
    for (uint d = 0; d < 16; d++) {
        counts[d] = 0;
    }
    for (uint k = 0; k < run; k++) {
        counts[(keys_in[first + k] >> u_shift) & 15u]++;
    }
    for (uint d = 0; d < 16; d++) {
        next[d * THREADS + thread] = counts[d];
    }
    barrier();
    if (thread < 16) {
        // Exclusive scan of digit `thread` over the threads, from the group's global offset.
        uint position = histogram[thread * groups + group];
        for (uint t = 0; t < THREADS; t++) {
            uint here = next[thread * THREADS + t];
            next[thread * THREADS + t] = position;
            position += here;
        }
    }
    barrier();
    for (uint k = 0; k < run; k++) {
        uint key = keys_in[first + k];
        uint slot = ((key >> u_shift) & 15u) * THREADS + thread;
        uint position = next[slot];
        next[slot] = position + 1;
        keys_out[position] = key;
        values_out[position] = values_in[first + k];
    }
}
