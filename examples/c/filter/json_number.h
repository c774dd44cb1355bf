/* A tiny JSON number lookup, enough for the filter sample (no JSON library needed). */
#ifndef FILTER_JSON_NUMBER_H
#define FILTER_JSON_NUMBER_H

#include <stddef.h>

/* Finds the number `key` in the JSON object `json` (`len` bytes, not necessarily
 * NUL-terminated) — inside its object member `section` when that is not NULL. Returns 1
 * and stores it in *out when found, 0 otherwise. */
int json_number(const char *json, size_t len, const char *section, const char *key, double *out);

#endif
