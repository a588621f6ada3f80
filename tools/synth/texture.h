/* Procedural textures of the figure's parts, defined in each part's local frame so they move
 * with it: stripes, helices, checks, lines of letter-like glyphs (fine detail for a tracker to
 * lock on to) and a face. */
#ifndef DS_SYNTH_TEXTURE_H
#define DS_SYNTH_TEXTURE_H

#include "figure.h"

/* The part's colour at a point of its surface, given in the part's local frame. */
void ds_synth_texture_albedo(const ds_synth_part *part, const double local[3], float rgb[3]);

#endif
