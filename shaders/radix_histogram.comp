#version 450
// Radix sort, pass 1 of 3 per 4-bit digit: each workgroup counts the digits of its tile of keys
// (128 threads, each a contiguous run of 16, as the scatter pass reads them). Counts are stored
// digit-major (digit * groups + group), so one exclusive scan of the whole array gives every
// (digit, group) its first output position. Shared-memory atomics only: no assumption on
// subgroup size, which differs between vendors.
layout(local_size_x = 128) in;

const uint THREADS = 128;
const uint RUN = 16;

layout(std430, binding = 8) readonly buffer DrawCommand {
    uint vertex_count;
    uint instance_count; // the number of keys to sort
    uint first_vertex;
    uint base_instance;
};
layout(std430, binding = 9) readonly buffer KeysIn { uint keys_in[]; };
layout(std430, binding = 13) writeonly buffer Histogram { uint histogram[]; };

uniform uint u_shift;

shared uint counts[16];

void main() {
    uint group = gl_WorkGroupID.x, groups = gl_NumWorkGroups.x, thread = gl_LocalInvocationID.x;
    if (thread < 16) {
        counts[thread] = 0;
    }
    barrier();
    uint count = instance_count;
    uint first = group * THREADS * RUN + thread * RUN;
    uint run = first < count ? min(RUN, count - first) : 0u;
    for (uint k = 0; k < run; k++) {
        atomicAdd(counts[(keys_in[first + k] >> u_shift) & 15u], 1u);
    }
    barrier();
    if (thread < 16) {
        histogram[thread * groups + group] = counts[thread];
    }
}
