#version 450
// Radix sort, pass 2 of 3: the exclusive prefix sum of the digit-major histogram, in place, by
// one workgroup. Each thread sums a contiguous run, the run totals are scanned in shared memory,
// then each thread writes its run's prefixes.
layout(local_size_x = 256) in;

layout(std430, binding = 13) buffer Histogram { uint histogram[]; };

uniform uint u_length;

shared uint totals[256];

void main() {
    uint thread = gl_LocalInvocationID.x;
    uint run = (u_length + 255) / 256;
    uint first = min(thread * run, u_length), last = min(first + run, u_length);
    uint sum = 0;
    for (uint i = first; i < last; i++) {
        sum += histogram[i];
    }
    totals[thread] = sum;
    barrier();
    // Hillis-Steele inclusive scan of the 256 run totals.
    for (uint step = 1; step < 256; step *= 2) {
        uint add = thread >= step ? totals[thread - step] : 0;
        barrier();
        totals[thread] += add;
        barrier();
    }
    uint prefix = totals[thread] - sum;
    for (uint i = first; i < last; i++) {
        uint value = histogram[i];
        histogram[i] = prefix;
        prefix += value;
    }
}
