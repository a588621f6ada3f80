#version 450
// One instanced quad per visible splat, back to front: the instance reads its record through the
// sorted order. The quad is the rectangle around the splat's footprint ellipse (where its alpha
// reaches 1/255), along the ellipse's axes.
layout(std430, binding = 5) readonly buffer Splats { uvec4 splats[]; };
layout(std430, binding = 7) readonly buffer Order { uint order[]; };

uniform vec2 u_size;

out vec2 v_offset; // from the centre, in units of the ellipse's standard deviations
flat out vec4 v_color; // rgb, opacity

void main() {
    uint splat = order[gl_InstanceID];
    uvec4 a = splats[splat * 2], b = splats[splat * 2 + 1];
    vec2 center = uintBitsToFloat(a.xy), axis1 = uintBitsToFloat(a.zw),
         axis2 = uintBitsToFloat(b.xy);
    vec2 rgb = unpackHalf2x16(b.z), blue_opacity = unpackHalf2x16(b.w);
    v_color = vec4(rgb, blue_opacity);
    float extent = sqrt(2.0 * log(255.0 * blue_opacity.y) + 1e-3);
    vec2 corner = vec2(gl_VertexID & 1, gl_VertexID >> 1) * 2.0 - 1.0; // triangle strip
    v_offset = corner * extent;
    vec2 pixel = center + v_offset.x * axis1 + v_offset.y * axis2;
    // Image pixels run down from the top; GL's window coordinates up from the bottom.
    gl_Position = vec4(2.0 * pixel.x / u_size.x - 1.0, 1.0 - 2.0 * pixel.y / u_size.y, 0.0, 1.0);
}
