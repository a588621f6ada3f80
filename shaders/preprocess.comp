#version 450
// One pass per frame over the skin Gaussians: linear blend skinning by the frame's joints
// (render/skinning.h is the CPU reference), the frame's corrections, culling, EWA projection
// (render/projection.c) into each view (one, or two eyes), SH once toward the key centre, then a
// compact splat record per view and one sort key, so both eyes share one sorted order. Splats
// visible in any view are appended with an atomic counter that is the indirect draw's instance
// count, so nothing is read back to the CPU.
layout(local_size_x = 256) in;

// The scene: canonical skin and binding, uploaded once.
layout(std430, binding = 0) readonly buffer CanonicalPositions { float canonical_positions[]; };
layout(std430, binding = 1) readonly buffer CanonicalRotations { float canonical_rotations[]; };
layout(std430, binding = 2) readonly buffer BindingJoints { uint binding_joints[]; };
layout(std430, binding = 3) readonly buffer BindingWeights { float binding_weights[]; };
// The frame: one slot of the upload ring, its arrays at the offsets below (in floats).
layout(std430, binding = 4) readonly buffer FrameData { float frame_data[]; };
// Outputs.
layout(std430, binding = 5) writeonly buffer Splats { uvec4 splats[]; }; // 2 per splat and view
layout(std430, binding = 6) writeonly buffer Keys { uint keys[]; };
layout(std430, binding = 7) writeonly buffer Values { uint values[]; };
layout(std430, binding = 8) buffer DrawCommand {
    uint vertex_count;
    uint instance_count; // the visible splats: the sort's length too
    uint first_vertex;
    uint base_instance;
};

uniform uint u_count;
uniform int u_joints_per_skin; // 0: a static cloud, positions are the canonical ones
uniform int u_sh_degree;
uniform bool u_antialiased;
uniform bool u_radial_keys; // sort by distance from u_key_center instead of view 0's depth
uniform vec3 u_key_center;  // also where SH is evaluated from: the camera, or the eyes' midpoint
// Offsets into frame_data.
uniform uint u_joint_rotations, u_joint_translations, u_opacity, u_scales, u_sh;
uniform uint u_correction_count, u_correction_ids, u_correction_offsets, u_correction_rotations;
// The views (render/projection.h's ds_projection_camera each).
const int MAX_VIEWS = 2;
uniform int u_view_count;
uniform mat3 u_rotation[MAX_VIEWS]; // world to camera
uniform vec3 u_translation[MAX_VIEWS], u_camera_center[MAX_VIEWS];
uniform vec4 u_intrinsics[MAX_VIEWS]; // fx, fy, cx, cy
uniform vec2 u_size[MAX_VIEWS];
uniform vec4 u_jacobian_limits[MAX_VIEWS]; // x low, x high, y low, y high (of x/z and y/z)
uniform float u_near_plane; // camera depth, world units
// Fill-rate guards (PLAYER.md, VR): splats nearer an eye than u_fade_end are culled, faded in up
// to u_fade_start (world units; equal: no fade); a footprint's long semi-axis is capped at
// u_max_radius pixels.
uniform float u_fade_start, u_fade_end, u_max_radius;
// The footprint's edge, in q = d^T Sigma^-1 d: 8 (sqrt(8) sigma, the players' quad), or unbounded
// (the reference rasterizer's, out to alpha 1/255).
uniform float u_extent_limit;
// Depth written with each view's record, mapped like a perspective depth buffer over
// [u_depth_near, u_depth_far] (for a compositor's depth layer).
uniform float u_depth_near, u_depth_far;

const float DILATION = 0.3;
const float ALPHA_MIN = 1.0 / 255.0;

vec4 quaternion_multiply(vec4 a, vec4 b) { // (w, x, y, z)
    return vec4(a.x * b.x - a.y * b.y - a.z * b.z - a.w * b.w,
                a.x * b.y + a.y * b.x + a.z * b.w - a.w * b.z,
                a.x * b.z - a.y * b.w + a.z * b.x + a.w * b.y,
                a.x * b.w + a.y * b.z - a.z * b.y + a.w * b.x);
}

vec4 normalized_quaternion(vec4 q) {
    float norm = length(q);
    return norm > 0.0 ? q / norm : vec4(1.0, 0.0, 0.0, 0.0);
}

// Row-major rotation of a unit quaternion, as a GLSL (column-major) matrix.
mat3 rotation_matrix(vec4 q) {
    float w = q.x, x = q.y, y = q.z, z = q.w;
    return transpose(mat3(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - w * z), 2.0 * (x * z + w * y),
                          2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - w * x),
                          2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)));
}

vec4 read4(uint offset) {
    return vec4(frame_data[offset], frame_data[offset + 1], frame_data[offset + 2],
                frame_data[offset + 3]);
}

vec3 read3(uint offset) {
    return vec3(frame_data[offset], frame_data[offset + 1], frame_data[offset + 2]);
}

vec4 joint_rotation(uint joint) {
    return normalized_quaternion(read4(u_joint_rotations + joint * 4));
}

void skin(uint i, out vec3 position, out vec4 rotation) {
    vec3 x0 = vec3(canonical_positions[i * 3], canonical_positions[i * 3 + 1],
                   canonical_positions[i * 3 + 2]);
    vec4 q0 = vec4(canonical_rotations[i * 4], canonical_rotations[i * 4 + 1],
                   canonical_rotations[i * 4 + 2], canonical_rotations[i * 4 + 3]);
    if (u_joints_per_skin == 0) {
        position = x0;
        rotation = q0;
        return;
    }
    uint base = i * uint(u_joints_per_skin);
    vec4 heaviest = joint_rotation(binding_joints[base]);
    vec3 x = vec3(0.0);
    vec4 blend = vec4(0.0);
    for (int s = 0; s < u_joints_per_skin; s++) {
        uint joint = binding_joints[base + uint(s)];
        float w = binding_weights[base + uint(s)];
        vec4 q = joint_rotation(joint);
        x += w * (rotation_matrix(q) * x0 + read3(u_joint_translations + joint * 3));
        // q and -q are one rotation: blend each in the heaviest joint's hemisphere.
        blend += w * (dot(heaviest, q) < 0.0 ? -q : q);
    }
    position = x;
    rotation = normalized_quaternion(quaternion_multiply(blend, q0));
}

// The frame's corrections are sorted by Gaussian id: binary search for ours.
void correct(uint i, inout vec3 position, inout vec4 rotation) {
    uint low = 0, high = u_correction_count;
    while (low < high) {
        uint mid = (low + high) / 2;
        uint id = floatBitsToUint(frame_data[u_correction_ids + mid]);
        if (id < i) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    if (low < u_correction_count && floatBitsToUint(frame_data[u_correction_ids + low]) == i) {
        position += read3(u_correction_offsets + low * 3);
        rotation = quaternion_multiply(read4(u_correction_rotations + low * 4), rotation);
    }
}

const float SH_C0 = 0.28209479177387814;
const float SH_C1 = 0.4886025119029199;
const float SH_C2[5] = float[](1.0925484305920792, -1.0925484305920792, 0.31539156525252005,
                               -1.0925484305920792, 0.5462742152960396);
const float SH_C3[7] = float[](-0.5900435899266435, 2.890611442640554, -0.4570457994644658,
                               0.3731763325901154, -0.4570457994644658, 1.445305721320277,
                               -0.5900435899266435);

vec3 sh_coefficient(uint base, int k) {
    return read3(base + uint(k) * 3);
}

// render/spherical_harmonics.c: the SH sum toward `d` (unit, camera to Gaussian) plus 0.5,
// clamped at 0.
vec3 sh_color(uint i, vec3 d) {
    int coefficients = (u_sh_degree + 1) * (u_sh_degree + 1);
    uint base = u_sh + i * uint(coefficients * 3);
    vec3 color = SH_C0 * sh_coefficient(base, 0);
    if (u_sh_degree >= 1) {
        float x = d.x, y = d.y, z = d.z;
        color += -SH_C1 * y * sh_coefficient(base, 1) + SH_C1 * z * sh_coefficient(base, 2) -
                 SH_C1 * x * sh_coefficient(base, 3);
        if (u_sh_degree >= 2) {
            float xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
            color += SH_C2[0] * xy * sh_coefficient(base, 4) +
                     SH_C2[1] * yz * sh_coefficient(base, 5) +
                     SH_C2[2] * (2.0 * zz - xx - yy) * sh_coefficient(base, 6) +
                     SH_C2[3] * xz * sh_coefficient(base, 7) +
                     SH_C2[4] * (xx - yy) * sh_coefficient(base, 8);
            if (u_sh_degree >= 3) {
                color += SH_C3[0] * y * (3.0 * xx - yy) * sh_coefficient(base, 9) +
                         SH_C3[1] * xy * z * sh_coefficient(base, 10) +
                         SH_C3[2] * y * (4.0 * zz - xx - yy) * sh_coefficient(base, 11) +
                         SH_C3[3] * z * (2.0 * zz - 3.0 * xx - 3.0 * yy) * sh_coefficient(base, 12) +
                         SH_C3[4] * x * (4.0 * zz - xx - yy) * sh_coefficient(base, 13) +
                         SH_C3[5] * z * (xx - yy) * sh_coefficient(base, 14) +
                         SH_C3[6] * x * (xx - 3.0 * yy) * sh_coefficient(base, 15);
            }
        }
    }
    return max(color + 0.5, vec3(0.0));
}

// Projects the Gaussian into view v; false when it leaves nothing on that view's image.
bool project(int v, vec3 position, mat3 covariance, float base_opacity, vec3 color,
             out uvec4 record0, out uvec4 record1) {
    record0 = uvec4(0u);
    record1 = uvec4(0u); // opacity 0: the splat's quad collapses in this view
    vec3 t = u_rotation[v] * position + u_translation[v];
    if (!(t.z > u_near_plane)) {
        return false;
    }
    float opacity = base_opacity;
    if (u_fade_start > 0.0) {
        float eye_distance = length(position - u_camera_center[v]);
        opacity *= clamp((eye_distance - u_fade_end) / max(u_fade_start - u_fade_end, 1e-6),
                         0.0, 1.0);
        if (!(opacity >= ALPHA_MIN)) {
            return false;
        }
    }

    // EWA: the Jacobian of the projection at the centre, clamped a little outside the image.
    float inv_z = 1.0 / t.z;
    vec4 limits = u_jacobian_limits[v];
    float tx = clamp(t.x * inv_z, limits.x, limits.y) * t.z;
    float ty = clamp(t.y * inv_z, limits.z, limits.w) * t.z;
    float fx = u_intrinsics[v].x, fy = u_intrinsics[v].y;
    vec3 j0 = vec3(fx * inv_z, 0.0, -fx * tx * inv_z * inv_z);
    vec3 j1 = vec3(0.0, fy * inv_z, -fy * ty * inv_z * inv_z);
    mat3 world_to_camera_rows = transpose(u_rotation[v]); // columns are R's rows
    vec3 m0 = world_to_camera_rows * j0, m1 = world_to_camera_rows * j1;
    float a = dot(m0, covariance * m0), b = dot(m0, covariance * m1), c = dot(m1, covariance * m1);
    float det_before = a * c - b * b;
    a += DILATION;
    c += DILATION;
    float det = a * c - b * b;
    if (!(det > 0.0)) {
        return false;
    }
    if (u_antialiased) {
        opacity *= sqrt(max(det_before, 0.0) / det);
        if (!(opacity >= ALPHA_MIN)) {
            return false;
        }
    }

    // The footprint: where opacity * exp(-q/2) >= 1/255, q <= 2 ln(255 opacity), and at most
    // q <= u_extent_limit (8: the quad's edge at sqrt(8) sigma, where splat.frag's falloff
    // reaches 0): an ellipse whose axes are the covariance's eigenvectors.
    float threshold = min(2.0 * log(255.0 * opacity) + 1e-3, u_extent_limit);
    float mid = 0.5 * (a + c);
    float spread = sqrt(max(mid * mid - det, 0.0));
    float lambda1 = mid + spread, lambda2 = max(mid - spread, 1e-6);
    vec2 direction = abs(b) > 1e-12 * max(a, c) ? normalize(vec2(b, lambda1 - a))
                                                 : (a >= c ? vec2(1.0, 0.0) : vec2(0.0, 1.0));
    float extent = sqrt(threshold);
    vec2 axis1 = direction * sqrt(lambda1);
    float minor_ratio = sqrt(lambda2 / lambda1); // axis2 = perpendicular(axis1) * minor_ratio
    vec2 center = vec2(fx * t.x * inv_z + u_intrinsics[v].z, fy * t.y * inv_z + u_intrinsics[v].w);
    // Half the footprint's bounding box: frustum culling in pixels.
    vec2 half_box = extent * vec2(sqrt(a), sqrt(c));
    if (any(lessThan(center + half_box, vec2(0.0))) ||
        any(greaterThan(center - half_box, u_size[v]))) {
        return false;
    }
    if (u_max_radius > 0.0 && extent * sqrt(lambda1) > u_max_radius) {
        axis1 *= u_max_radius / (extent * sqrt(lambda1));
    }
    float depth = (1.0 / u_depth_near - 1.0 / t.z) / (1.0 / u_depth_near - 1.0 / u_depth_far);
    record0 = uvec4(floatBitsToUint(center), floatBitsToUint(axis1));
    record1 = uvec4(floatBitsToUint(minor_ratio), floatBitsToUint(clamp(depth, 0.0, 1.0)),
                    packHalf2x16(color.rg), packHalf2x16(vec2(color.b, opacity)));
    return true;
}

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= u_count) {
        return;
    }
    vec3 position;
    vec4 rotation;
    skin(i, position, rotation);
    if (u_correction_count > 0) {
        correct(i, position, rotation);
    }
    float opacity = 1.0 / (1.0 + exp(-frame_data[u_opacity + i]));
    if (!(opacity >= ALPHA_MIN)) {
        return;
    }
    // 3D covariance M M^T with M = R S.
    vec3 s = exp(read3(u_scales + i * 3));
    mat3 m = rotation_matrix(normalized_quaternion(rotation)) * mat3(s.x, 0, 0, 0, s.y, 0, 0, 0, s.z);
    mat3 covariance = m * transpose(m);
    vec3 color = sh_color(i, normalize(position - u_key_center));

    uvec4 records[2 * MAX_VIEWS];
    bool visible = false;
    for (int v = 0; v < u_view_count; v++) {
        visible = project(v, position, covariance, opacity, color, records[2 * v],
                          records[2 * v + 1]) || visible;
    }
    if (!visible) {
        return;
    }
    uint slot = atomicAdd(instance_count, 1u);
    for (int v = 0; v < u_view_count; v++) {
        uint record = (slot * uint(u_view_count) + uint(v)) * 2u;
        splats[record] = records[2 * v];
        splats[record + 1] = records[2 * v + 1];
    }
    // Back to front: farther splats get smaller keys. Positive floats order as their bits.
    float distance = u_radial_keys ? length(position - u_key_center)
                                   : (u_rotation[0] * position + u_translation[0]).z;
    keys[slot] = 0xFFFFFFFFu - floatBitsToUint(distance);
    values[slot] = slot;
}
