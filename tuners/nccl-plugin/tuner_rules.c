#include "tuner_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tuner_abi.h"

static const char* const kCollectives[CCLT_NUM_COLLECTIVES] = {"broadcast", "reduce", "allgather",
                                                               "reducescatter", "allreduce"};
static const char* const kAlgorithms[CCLT_NUM_ALGORITHMS] = {
    "tree", "ring", "collnet_direct", "collnet_chain", "nvls", "nvls_tree", "pat"};
static const char* const kProtocols[CCLT_NUM_PROTOCOLS] = {"ll", "ll128", "simple"};

const char* cclt_collective_name(int c) {
  return c >= 0 && c < CCLT_NUM_COLLECTIVES ? kCollectives[c] : NULL;
}
const char* cclt_algorithm_name(int a) {
  return a >= 0 && a < CCLT_NUM_ALGORITHMS ? kAlgorithms[a] : NULL;
}
const char* cclt_protocol_name(int p) {
  return p >= 0 && p < CCLT_NUM_PROTOCOLS ? kProtocols[p] : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing */

typedef struct {
  const char* begin;
  size_t length;
} span;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static span trim(span s) {
  while (s.length > 0 && is_space(s.begin[0])) {
    ++s.begin;
    --s.length;
  }
  while (s.length > 0 && is_space(s.begin[s.length - 1])) --s.length;
  return s;
}

static int lower(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

static int name_index(span s, const char* const* names, int count) {
  for (int i = 0; i < count; ++i) {
    const size_t n = strlen(names[i]);
    if (n != s.length) continue;
    size_t k = 0;
    while (k < n && lower(s.begin[k]) == names[i][k]) ++k;
    if (k == n) return i;
  }
  return -1;
}

/* "-1" (the wildcard) or a decimal number within [0, max]. */
static int parse_number(span s, uint64_t max, int* wildcard, uint64_t* value) {
  *wildcard = s.length == 2 && s.begin[0] == '-' && s.begin[1] == '1';
  if (*wildcard) return 1;
  if (s.length == 0 || s.length > 20) return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < s.length; ++i) {
    const char c = s.begin[i];
    if (c < '0' || c > '9') return 0;
    const uint64_t digit = (uint64_t)(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return 0;
    v = v * 10 + digit;
  }
  if (v > max) return 0;
  *value = v;
  return 1;
}

/* A count field: -1 (any) or from `min` to `max`. */
static int parse_count(span s, int min, int max, int* out) {
  int wildcard = 0;
  uint64_t v = 0;
  if (!parse_number(s, (uint64_t)max, &wildcard, &v)) return 0;
  if (wildcard) {
    *out = -1;
    return 1;
  }
  if (v < (uint64_t)min) return 0;
  *out = (int)v;
  return 1;
}

/* Writes "line N: what 'token'" with the token shortened and made printable. */
static void reason(cclt_rules* out, int line, const char* what, span token) {
  ++out->skippedLines;
  if (out->firstSkipped[0] != '\0') return;
  char shown[40];
  size_t n = token.length < 32 ? token.length : 32;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = (unsigned char)token.begin[i];
    shown[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
  }
  shown[n] = '\0';
  if (token.length > n) strcat(shown, "...");
  if (token.begin) {
    snprintf(out->firstSkipped, sizeof out->firstSkipped, "line %d: %s '%s'", line, what, shown);
  } else {
    snprintf(out->firstSkipped, sizeof out->firstSkipped, "line %d: %s", line, what);
  }
}

static const span kNoToken = {NULL, 0};

/* Parses one non-comment line into `rule`; 0 (with the reason recorded) when it does not parse. */
static int parse_line(span text, int line, cclt_rules* out, cclt_rule* rule) {
  span fields[11];
  int count = 0;
  const char* start = text.begin;
  const char* end = text.begin + text.length;
  for (const char* p = text.begin;; ++p) {
    if (p == end || *p == ',') {
      if (count == 11) break;
      fields[count].begin = start;
      fields[count].length = (size_t)(p - start);
      fields[count] = trim(fields[count]);
      ++count;
      start = p + 1;
      if (p == end) break;
    }
  }
  if (count < 8 || count > 10) {
    reason(out, line, count < 8 ? "too few fields (8 to 10 expected)"
                                : "too many fields (8 to 10 expected)",
           kNoToken);
    return 0;
  }
  memset(rule, 0, sizeof *rule);
  rule->line = line;
  rule->collective = name_index(fields[0], kCollectives, CCLT_NUM_COLLECTIVES);
  if (rule->collective < 0) {
    reason(out, line, "unknown collective", fields[0]);
    return 0;
  }
  int wildcard = 0;
  uint64_t bytes = 0;
  if (!parse_number(fields[1], UINT64_MAX, &wildcard, &bytes)) {
    reason(out, line, "min_bytes is no byte count", fields[1]);
    return 0;
  }
  rule->minBytes = wildcard ? 0 : bytes;
  if (!parse_number(fields[2], UINT64_MAX, &wildcard, &bytes)) {
    reason(out, line, "max_bytes is no byte count", fields[2]);
    return 0;
  }
  rule->maxBytes = wildcard ? UINT64_MAX : bytes;
  if (rule->minBytes > rule->maxBytes) {
    reason(out, line, "min_bytes is above max_bytes", kNoToken);
    return 0;
  }
  rule->algorithm = name_index(fields[3], kAlgorithms, CCLT_NUM_ALGORITHMS);
  if (rule->algorithm < 0) {
    reason(out, line, "unknown algorithm", fields[3]);
    return 0;
  }
  rule->protocol = name_index(fields[4], kProtocols, CCLT_NUM_PROTOCOLS);
  if (rule->protocol < 0) {
    reason(out, line, "unknown protocol", fields[4]);
    return 0;
  }
  if (!parse_count(fields[5], 0, 1024, &rule->channels)) {
    reason(out, line, "channels is not -1 or 0 to 1024", fields[5]);
    return 0;
  }
  if (!parse_count(fields[6], 1, 1 << 30, &rule->nNodes) ||
      !parse_count(fields[7], 1, 1 << 30, &rule->nRanks)) {
    reason(out, line, "nNodes and nRanks must be -1 or a count", kNoToken);
    return 0;
  }
  rule->numPipeOps = -1;
  rule->regBuff = -1;
  if (count >= 9 && !parse_count(fields[8], 1, 1 << 30, &rule->numPipeOps)) {
    reason(out, line, "numPipeOps is not -1 or a count", fields[8]);
    return 0;
  }
  if (count == 10 && !parse_count(fields[9], 0, 1, &rule->regBuff)) {
    reason(out, line, "regBuff is not -1, 0 or 1", fields[9]);
    return 0;
  }
  return 1;
}

int cclt_parse(const char* text, size_t length, cclt_rules* out) {
  memset(out, 0, sizeof *out);
  size_t capacity = 0;
  int line = 0;
  size_t at = 0;
  while (at < length) {
    const char* newline = memchr(text + at, '\n', length - at);
    const size_t end = newline ? (size_t)(newline - text) : length;
    span s = {text + at, end - at};
    at = end + 1;
    ++line;
    if (s.length > CCLT_MAX_LINE) {
      reason(out, line, "longer than 1024 characters", kNoToken);
      continue;
    }
    s = trim(s);
    if (s.length == 0 || s.begin[0] == '#') continue;
    cclt_rule rule;
    if (!parse_line(s, line, out, &rule)) continue;
    if (out->count == CCLT_MAX_RULES) {
      ++out->ignoredRules;
      continue;
    }
    if (out->count == capacity) {
      const size_t grown = capacity ? 2 * capacity : 16;
      cclt_rule* rules = realloc(out->rules, grown * sizeof *rules);
      if (!rules) {
        cclt_rules_free(out);
        return -1;
      }
      out->rules = rules;
      capacity = grown;
    }
    out->rules[out->count++] = rule;
  }
  return 0;
}

void cclt_rules_free(cclt_rules* rules) {
  free(rules->rules);
  rules->rules = NULL;
  rules->count = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Lookup */

/* Above this many (segment, rule) entries a collective is scanned rule by rule instead. */
enum { kMaxIndexEntries = 1 << 18 };

typedef struct {
  cclt_rule* rules; /* this collective's, in file order */
  size_t count;
  /* Segments between every rule's bounds: segment i is [starts[i], starts[i + 1]); the rules
   * covering it are members[offsets[i] .. offsets[i + 1]), in file order. NULL: no index. */
  uint64_t* starts;
  uint32_t* offsets;
  uint16_t* members;
  size_t segments;
} collective_index;

struct cclt_table {
  collective_index collectives[CCLT_NUM_COLLECTIVES];
  size_t rules;
};

static int compare_u64(const void* a, const void* b) {
  const uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

static int build_index(collective_index* c) {
  uint64_t* bounds = malloc((2 * c->count + 1) * sizeof *bounds);
  if (!bounds) return -1;
  size_t n = 0;
  bounds[n++] = 0;
  for (size_t i = 0; i < c->count; ++i) {
    bounds[n++] = c->rules[i].minBytes;
    if (c->rules[i].maxBytes != UINT64_MAX) bounds[n++] = c->rules[i].maxBytes + 1;
  }
  qsort(bounds, n, sizeof *bounds, compare_u64);
  size_t unique = 0;
  for (size_t i = 0; i < n; ++i) {
    if (unique == 0 || bounds[i] != bounds[unique - 1]) bounds[unique++] = bounds[i];
  }
  size_t entries = 0;
  for (size_t s = 0; s < unique; ++s) {
    for (size_t i = 0; i < c->count; ++i) {
      entries += c->rules[i].minBytes <= bounds[s] && bounds[s] <= c->rules[i].maxBytes;
    }
    if (entries > kMaxIndexEntries) {
      free(bounds);
      return 0; /* scanned rule by rule */
    }
  }
  c->offsets = malloc((unique + 1) * sizeof *c->offsets);
  c->members = malloc((entries ? entries : 1) * sizeof *c->members);
  if (!c->offsets || !c->members) {
    free(bounds);
    return -1;
  }
  size_t at = 0;
  for (size_t s = 0; s < unique; ++s) {
    c->offsets[s] = (uint32_t)at;
    for (size_t i = 0; i < c->count; ++i) {
      if (c->rules[i].minBytes <= bounds[s] && bounds[s] <= c->rules[i].maxBytes) {
        c->members[at++] = (uint16_t)i;
      }
    }
  }
  c->offsets[unique] = (uint32_t)at;
  c->starts = bounds;
  c->segments = unique;
  return 0;
}

cclt_table* cclt_table_build(const cclt_rules* rules, long nRanks, long nNodes) {
  cclt_table* t = calloc(1, sizeof *t);
  if (!t) return NULL;
  for (int coll = 0; coll < CCLT_NUM_COLLECTIVES; ++coll) {
    collective_index* c = &t->collectives[coll];
    for (size_t i = 0; i < rules->count; ++i) {
      const cclt_rule* r = &rules->rules[i];
      if (r->collective != coll || (r->nRanks != -1 && r->nRanks != nRanks) ||
          (r->nNodes != -1 && r->nNodes != nNodes)) {
        continue;
      }
      if (!c->rules) {
        c->rules = malloc(rules->count * sizeof *c->rules);
        if (!c->rules) goto failed;
      }
      c->rules[c->count++] = *r;
    }
    t->rules += c->count;
    if (c->count > 0 && build_index(c) != 0) goto failed;
  }
  return t;
failed:
  cclt_table_free(t);
  return NULL;
}

void cclt_table_free(cclt_table* t) {
  if (!t) return;
  for (int coll = 0; coll < CCLT_NUM_COLLECTIVES; ++coll) {
    free(t->collectives[coll].rules);
    free(t->collectives[coll].starts);
    free(t->collectives[coll].offsets);
    free(t->collectives[coll].members);
  }
  free(t);
}

size_t cclt_table_rules(const cclt_table* t) { return t ? t->rules : 0; }

static int matches(const cclt_rule* r, int numPipeOps, int regBuff, cclt_available_fn available,
                   const void* env) {
  if (r->numPipeOps != -1 && r->numPipeOps != numPipeOps) return 0;
  if (r->regBuff != -1 && r->regBuff != regBuff) return 0;
  return !available || available(env, r->algorithm, r->protocol);
}

const cclt_rule* cclt_lookup(const cclt_table* t, int collective, uint64_t bytes, int numPipeOps,
                             int regBuff, cclt_available_fn available, const void* env) {
  if (!t || collective < 0 || collective >= CCLT_NUM_COLLECTIVES) return NULL;
  const collective_index* c = &t->collectives[collective];
  if (c->count == 0) return NULL;
  if (!c->starts) {
    for (size_t i = 0; i < c->count; ++i) {
      const cclt_rule* r = &c->rules[i];
      if (r->minBytes <= bytes && bytes <= r->maxBytes &&
          matches(r, numPipeOps, regBuff, available, env)) {
        return r;
      }
    }
    return NULL;
  }
  size_t lo = 0, hi = c->segments; /* the last start <= bytes; starts[0] is 0 */
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (c->starts[mid] <= bytes) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  for (uint32_t k = c->offsets[lo]; k < c->offsets[lo + 1]; ++k) {
    const cclt_rule* r = &c->rules[c->members[k]];
    if (matches(r, numPipeOps, regBuff, available, env)) return r;
  }
  return NULL;
}
