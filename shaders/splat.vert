#version 450
// One instanced quad per drawn splat, back to front: the instance reads its record for this view
// through the sorted order. The quad is the rectangle around the splat's footprint ellipse, along
// the ellipse's axes: sqrt(8) standard deviations, where the falloff reaches 0 (splat.frag), or
// less for a faint splat, where its alpha reaches 1/255. A splat that leaves nothing in this view
// (opacity 0) collapses to a point outside the clip volume.
layout(std430, binding = 5) readonly buffer Splats { uvec4 splats[]; };
layout(std430, binding = 7) readonly buffer Order { uint order[]; };
// The splat budget's range of the sorted order: its nearest end (shaders/draw_range.comp).
layout(std430, binding = 9) readonly buffer DrawRange {
    uint visible;
    uint first;
};

uniform vec2 u_size;
uniform int u_view, u_view_count;
uniform float u_extent_limit; // q = offset . offset at the quad's edge: 8, or unbounded

out vec2 v_offset; // from the centre, in units of the ellipse's standard deviations
flat out vec4 v_color; // rgb, opacity

void main() {
    uint splat = order[first + uint(gl_InstanceID)];
    uint record = (splat * uint(u_view_count) + uint(u_view)) * 2u;
    uvec4 a = splats[record], b = splats[record + 1];
    vec2 rgb = unpackHalf2x16(b.z), blue_opacity = unpackHalf2x16(b.w);
    v_color = vec4(rgb, blue_opacity);
    if (!(blue_opacity.y >= 1.0 / 255.0)) {
        v_offset = vec2(0.0);
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }
    vec2 center = uintBitsToFloat(a.xy), axis1 = uintBitsToFloat(a.zw);
    vec2 axis2 = vec2(-axis1.y, axis1.x) * uintBitsToFloat(b.x);
    float depth = uintBitsToFloat(b.y);
    float extent = sqrt(min(2.0 * log(255.0 * blue_opacity.y) + 1e-3, u_extent_limit));
    vec2 corner = vec2(gl_VertexID & 1, gl_VertexID >> 1) * 2.0 - 1.0; // triangle strip
    v_offset = corner * extent;
    vec2 pixel = center + v_offset.x * axis1 + v_offset.y * axis2;
    // Image pixels run down from the top; GL's window coordinates up from the bottom.
    gl_Position = vec4(2.0 * pixel.x / u_size.x - 1.0, 1.0 - 2.0 * pixel.y / u_size.y,
                       2.0 * depth - 1.0, 1.0);
}
