#version 450
// Shows the fp16 image the splats were blended into (gamma-space colours), letterboxed by the
// caller's viewport. Into a target that encodes to sRGB on write (an XR swapchain with
// GL_FRAMEBUFFER_SRGB), the colour is decoded to linear first, so the stored bytes are the blended
// gamma-space values: converting after blending, never before (PLAYER.md).
in vec2 v_uv;
uniform sampler2D u_image;
uniform bool u_decode_srgb;
layout(location = 0) out vec4 fragment;

vec3 srgb_to_linear(vec3 c) {
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), greaterThan(c, vec3(0.04045)));
}

void main() {
    vec3 color = clamp(texture(u_image, v_uv).rgb, 0.0, 1.0);
    fragment = vec4(u_decode_srgb ? srgb_to_linear(color) : color, 1.0);
}
