#include "hyperstart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

void tlv_iter_init(struct tlv_iter *it, const uint8_t *p, size_t n)
{
	it->p = p;
	it->end = p + n;
}

int tlv_next(struct tlv_iter *it, struct tlv *t)
{
	size_t left = (size_t)(it->end - it->p);
	if (left == 0)
		return 0;
	if (left < 6)
		return -1;
	t->tag = (uint16_t)(it->p[0] << 8 | it->p[1]);
	t->len = get_u32(it->p + 2);
	if (t->len > left - 6)
		return -1;
	t->val = it->p + 6;
	it->p += 6 + t->len;
	return 1;
}

/* Strings of one request: at most a frame's worth plus a NUL per string. */
static char arena[2 * FRAME_MAX];
static size_t arena_used;

void arena_reset(void)
{
	arena_used = 0;
}

char *arena_str(const struct tlv *t, char *err, size_t errlen)
{
	if (memchr(t->val, 0, t->len)) {
		snprintf(err, errlen, "tag %u: string contains a NUL byte", t->tag);
		return NULL;
	}
	if (arena_used + t->len + 1 > sizeof(arena)) {
		snprintf(err, errlen, "tag %u: request too large", t->tag);
		return NULL;
	}
	char *s = arena + arena_used;
	memcpy(s, t->val, t->len);
	s[t->len] = 0;
	arena_used += t->len + 1;
	return s;
}

int tlv_int(const struct tlv *t, int64_t *out, char *err, size_t errlen)
{
	if (t->len != 8) {
		snprintf(err, errlen, "tag %u: integer must be 8 bytes, got %u", t->tag, t->len);
		return -1;
	}
	*out = (int64_t)get_u64(t->val);
	return 0;
}

static void buf_grow(struct buf *b, size_t n)
{
	if (b->oom || b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *d = realloc(b->data, cap);
	if (!d) {
		b->oom = 1;
		return;
	}
	b->data = d;
	b->cap = cap;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void buf_u8(struct buf *b, uint8_t v)
{
	buf_put(b, &v, 1);
}

void buf_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };
	buf_put(b, x, 4);
}

static void buf_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { v >> 8, v };
	buf_put(b, x, 2);
}

void buf_tag_bytes(struct buf *b, uint16_t tag, const void *p, size_t n)
{
	buf_u16(b, tag);
	buf_u32(b, (uint32_t)n);
	buf_put(b, p, n);
}

void buf_tag_str(struct buf *b, uint16_t tag, const char *s)
{
	buf_tag_bytes(b, tag, s, strlen(s));
}

void buf_tag_int(struct buf *b, uint16_t tag, int64_t v)
{
	uint64_t u = (uint64_t)v;
	buf_u16(b, tag);
	buf_u32(b, 8);
	buf_u32(b, (uint32_t)(u >> 32));
	buf_u32(b, (uint32_t)u);
}

size_t buf_begin_nested(struct buf *b, uint16_t tag)
{
	buf_u16(b, tag);
	size_t mark = b->len;
	buf_u32(b, 0);
	return mark;
}

void buf_end_nested(struct buf *b, size_t mark)
{
	if (b->oom)
		return;
	uint32_t n = (uint32_t)(b->len - mark - 4);
	b->data[mark] = n >> 24;
	b->data[mark + 1] = n >> 16;
	b->data[mark + 2] = n >> 8;
	b->data[mark + 3] = n;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}
