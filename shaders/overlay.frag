#version 450
// The overlay's box: a translucent dark panel with the text's coverage (an R8 atlas rasterised on
// the CPU at scale 1) on it, each texel a scale x scale block so the text stays crisp at any size.
layout(binding = 0) uniform sampler2D u_text;
layout(location = 0) uniform ivec2 u_box_origin; // the box's lower-left pixel, window coordinates
layout(location = 1) uniform ivec2 u_box_size;
layout(location = 2) uniform ivec2 u_text_size;  // texels of the atlas that hold text
layout(location = 3) uniform int u_padding;      // pixels between the box's edge and the text
layout(location = 4) uniform int u_scale;
layout(location = 0) out vec4 fragment;

const vec4 box_colour = vec4(0.0, 0.0, 0.0, 0.6);
const vec4 text_colour = vec4(1.0, 1.0, 1.0, 1.0);

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy) - u_box_origin;
    // The atlas's rows run top to bottom, window rows bottom to top.
    p.y = u_box_size.y - 1 - p.y;
    p -= ivec2(u_padding);
    float coverage = 0.0;
    // Test before dividing: integer division truncates toward zero, which would pull the first
    // pixels left of or above the text onto its first texel.
    if (all(greaterThanEqual(p, ivec2(0)))) {
        ivec2 texel = p / u_scale;
        if (all(lessThan(texel, u_text_size))) {
            coverage = texelFetch(u_text, texel, 0).r;
        }
    }
    fragment = mix(box_colour, text_colour, coverage);
}
