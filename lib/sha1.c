/* sha1: see sha1.h. */
#include "sha1.h"
#include <string.h>

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int t = 0; t < 80; t++)
		w[t] = t < 16 ? be32(p + 4 * t) : rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
	for (int t = 0; t < 80; t++) {
		uint32_t f = t < 20 ? ((b & c) | (~b & d)) + 0x5a827999u
			   : t < 40 ? (b ^ c ^ d) + 0x6ed9eba1u
			   : t < 60 ? ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdcu
				    : (b ^ c ^ d) + 0xca62c1d6u;
		uint32_t next = rol(a, 5) + f + e + w[t];
		e = d, d = c, c = rol(b, 30), b = a, a = next;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void sha1_init(struct sha1 *s)
{
	static const uint32_t h0[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u};

	memcpy(s->h, h0, sizeof h0);
	s->len = 0;
	s->nbuf = 0;
}

void sha1_update(struct sha1 *s, const void *data, size_t n)
{
	const unsigned char *p = data;

	s->len += n;
	while (n > 0) {
		if (s->nbuf == 0 && n >= 64) {
			sha1_block(s->h, p);
			p += 64, n -= 64;
			continue;
		}
		size_t take = 64 - s->nbuf < n ? 64 - s->nbuf : n;
		memcpy(s->buf + s->nbuf, p, take);
		s->nbuf += take, p += take, n -= take;
		if (s->nbuf == 64) {
			sha1_block(s->h, s->buf);
			s->nbuf = 0;
		}
	}
}

void sha1_final(struct sha1 *s, unsigned char out[20])
{
	uint64_t bits = s->len * 8;
	unsigned char pad[72] = {0x80};
	size_t np = s->nbuf < 56 ? 56 - s->nbuf : 120 - s->nbuf;

	for (int i = 0; i < 8; i++)
		pad[np + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_update(s, pad, np + 8);
	for (int i = 0; i < 20; i++)
		out[i] = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}
