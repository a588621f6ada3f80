/* Scripted input for the desktop player (tests, demos): keys and file drops pushed into SDL's
 * event queue at given turns of the player's loop, so that they go through the same handling as
 * a user's. A script is "TURN:WHAT[;TURN:WHAT...]" with turns in increasing order; WHAT is a key
 * by SDL's name for it ("Space", "Left", "Up", ",", ".", "L", "M", "9", "Home", "Escape", ...)
 * or "drop=PATH". */
#ifndef DS_PLAYER_INPUT_SCRIPT_H
#define DS_PLAYER_INPUT_SCRIPT_H

#include "formats/status.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ds_input_script ds_input_script;

/* Parses a script; an unknown key or a malformed entry is an error naming it. */
ds_status ds_input_script_parse(const char *text, ds_input_script **script);
void ds_input_script_free(ds_input_script *script);

/* Pushes the events due by loop turn `turn` into SDL's queue. */
void ds_input_script_push(ds_input_script *script, uint64_t turn);

#endif
