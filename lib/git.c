/* git: objects, packs, trees and refs of a git repository, with plain reads and writes.
 * See git.h. Packs are read with pread (no maps: memory stays the size of what is
 * read, not of the history) and written whole by one writer, each object deflated. */
#include "git.h"
#include "sha1.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static const char *const type_names[] = {"", "commit", "tree", "blob", "tag"};

/* The most bytes an object may have: a larger size in a header or a delta is damage
 * (the state's largest records are tables of a few hundred KiB), not an allocation
 * that fails, nor, plus one, one that wraps to nothing. */
#define OBJECT_MAX ((size_t)1 << 30)

void gid_hex(char out[41], const struct gid *id)
{
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", id->b[i]);
}

int gid_parse(struct gid *id, const char *hex)
{
	for (int i = 0; i < 20; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !hex[2 * i + 1])
			return -1;
		id->b[i] = (unsigned char)v;
	}
	return 0;
}

int gid_cmp(const struct gid *a, const struct gid *b)
{
	return memcmp(a->b, b->b, 20);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Git's ids are SHA-1 (sha1.c: a command that reads a few records pays no crypto
 * library's start-up for it), without collision detection: git hashes with SHA-1DC
 * because a crafted pair of colliding files could pass for one another; the blobs here
 * hold only printable text without control characters (every value is checked as text
 * when an event is admitted), while a known SHA-1 collision needs blocks of arbitrary
 * bytes, and the trees and commits are made by the dispatcher alone. */
void git_hash(struct gid *id, enum git_type type, const void *data, size_t len)
{
	struct sha1 c;
	char head[32];
	int hl = snprintf(head, sizeof head, "%s %zu", type_names[type], len) + 1;

	sha1_init(&c);
	sha1_update(&c, head, (size_t)hl);
	sha1_update(&c, data, len);
	sha1_final(&c, id->b);
}

/* ---- reading packs ---- */

struct pack {
	char *name; /* pack-<hex>, in dir */
	const char *dir;
	int idx, fd;
	uint32_t fanout[256];
	uint32_t n;
};

struct gitrepo {
	char *gitdir;
	char *dirs[2]; /* objects/pack, and a scratch folder or NULL */
	struct pack *packs;
	size_t npacks;
};

static int pread_all(int fd, void *buf, size_t len, uint64_t at)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t r = pread(fd, p, len, (off_t)at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
		at += (uint64_t)r;
	}
	return 0;
}

static void pack_close(struct pack *p)
{
	if (p->idx >= 0)
		close(p->idx);
	if (p->fd >= 0)
		close(p->fd);
	free(p->name);
}

/* Opens dir/name.idx and .pack; 0, or -1 with errno: ENOENT when either is missing,
 * EINVAL when the index is not one. */
static int pack_open(struct pack *p, const char *dir, const char *name)
{
	unsigned char head[8 + 1024];
	char *ip = xasprintf("%s/%s.idx", dir, name), *pp = xasprintf("%s/%s.pack", dir, name);
	int rc = -1, err = EINVAL;

	memset(p, 0, sizeof *p);
	p->dir = dir;
	p->fd = -1;
	if ((p->idx = open(ip, O_RDONLY | O_CLOEXEC)) < 0 || (p->fd = open(pp, O_RDONLY | O_CLOEXEC)) < 0)
		err = errno;
	else if (pread_all(p->idx, head, sizeof head, 0) == 0 && memcmp(head, "\377tOc\0\0\0\2", 8) == 0) {
		for (int i = 0; i < 256; i++)
			p->fanout[i] = be32(head + 8 + 4 * i);
		p->n = p->fanout[255];
		p->name = xstrdup(name);
		rc = 0;
	}
	free(ip);
	free(pp);
	if (rc < 0) {
		p->name = NULL;
		pack_close(p);
		errno = err;
	}
	return rc;
}

static int pack_by_size(const void *a, const void *b)
{
	const struct pack *x = a, *y = b;
	return x->n < y->n ? -1 : x->n > y->n;
}

/* Adds the packs of dir not yet open; marks found ones in seen (by index). */
static int scan_dir(struct gitrepo *r, const char *dir, unsigned char *seen, struct rerr *e)
{
	DIR *d = fs_opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return errno == ENOENT ? 0 : rerr_set(e, RX_IO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l != 49 || strncmp(de->d_name, "pack-", 5) != 0 || strcmp(de->d_name + 45, ".idx") != 0)
			continue;
		char name[46];
		snprintf(name, sizeof name, "%.45s", de->d_name);
		size_t i = 0;
		while (i < r->npacks && !(r->packs[i].dir == dir && !strcmp(r->packs[i].name, name)))
			i++;
		if (i < r->npacks) {
			seen[i] = 1;
			continue;
		}
		struct pack p;
		if (pack_open(&p, dir, name) < 0 && errno == ENOENT)
			continue; /* an index whose pack is not in yet: it comes last */
		if (p.name == NULL) { /* unreadable: its objects would be "missing" */
			int err = errno;
			closedir(d);
			return rerr_set(e, RX_IO, "%s/%s: %s", dir, name,
					err == EINVAL ? "its index is damaged (git index-pack makes it again)" : strerror(err));
		}
		r->packs = xrealloc(r->packs, (r->npacks + 1) * sizeof *r->packs);
		r->packs[r->npacks++] = p;
	}
	closedir(d);
	return 0;
}

int gitrepo_refresh(struct gitrepo *r, struct rerr *e)
{
	size_t before = r->npacks, kept = 0;
	unsigned char *seen = xcalloc(before + 1, 1);
	int rc = 0;

	for (int i = 0; i < 2 && rc == 0; i++)
		if (r->dirs[i])
			rc = scan_dir(r, r->dirs[i], seen, e);
	for (size_t i = 0; i < r->npacks; i++) {
		if (i < before && !seen[i])
			pack_close(&r->packs[i]); /* merged away */
		else
			r->packs[kept++] = r->packs[i];
	}
	r->npacks = kept;
	free(seen);
	/* By size, smallest first: merges take the smallest. */
	if (r->npacks > 1)
		qsort(r->packs, r->npacks, sizeof *r->packs, pack_by_size);
	return rc;
}

/* Two files a pack stay open: many packs (merges that could not run for a while, a
 * full disk) reach a soft limit of open files (1,024 for a service) long before the
 * hard one, and every batch would fail. The soft limit is raised to the hard one. */
static void raise_open_files(void)
{
	struct rlimit l;

	if (getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
		l.rlim_cur = l.rlim_max;
		setrlimit(RLIMIT_NOFILE, &l);
	}
}

int gitrepo_open(struct gitrepo **out, const char *gitdir, struct rerr *e)
{
	struct gitrepo *r = xcalloc(1, sizeof *r);

	raise_open_files();
	r->gitdir = xstrdup(gitdir);
	r->dirs[0] = xasprintf("%s/objects/pack", gitdir);
	*out = r;
	return gitrepo_refresh(r, e);
}

int gitrepo_use_packdir(struct gitrepo *r, const char *dir, struct rerr *e)
{
	free(r->dirs[1]);
	r->dirs[1] = xstrdup(dir);
	return gitrepo_refresh(r, e);
}

void gitrepo_free(struct gitrepo *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->npacks; i++)
		pack_close(&r->packs[i]);
	free(r->packs);
	free(r->dirs[0]);
	free(r->dirs[1]);
	free(r->gitdir);
	free(r);
}

size_t gitrepo_pack_count(const struct gitrepo *r)
{
	return r->npacks;
}

/* Whether p's index and pack agree where it costs a few reads: the index's size and
 * fanout with its count, the pack's head with that count, its end with the checksum
 * the index keeps of it. */
static int pack_looks_whole(const struct pack *p)
{
	unsigned char head[12], end[20], sum[20];
	struct stat is, ps;
	uint64_t least = 1072 + 28 * (uint64_t)p->n; /* head, fanout, sums, 28 bytes an id */

	for (int i = 1; i < 256; i++)
		if (p->fanout[i] < p->fanout[i - 1])
			return 0;
	return fstat(p->idx, &is) == 0 && fstat(p->fd, &ps) == 0 && (uint64_t)is.st_size >= least &&
	       ((uint64_t)is.st_size - least) % 8 == 0 && ps.st_size >= 32 &&
	       pread_all(p->fd, head, 12, 0) == 0 && memcmp(head, "PACK", 4) == 0 &&
	       (be32(head + 4) == 2 || be32(head + 4) == 3) && be32(head + 8) == p->n &&
	       pread_all(p->fd, end, 20, (uint64_t)ps.st_size - 20) == 0 &&
	       pread_all(p->idx, sum, 20, (uint64_t)is.st_size - 40) == 0 && memcmp(end, sum, 20) == 0;
}

int gitrepo_check_packs(const struct gitrepo *r, struct rerr *e)
{
	for (size_t i = 0; i < r->npacks; i++)
		if (!pack_looks_whole(&r->packs[i]))
			return rerr_set(e, RX_IO, "%s/%s.pack: damaged (its length, head or end is not "
					"what its index says: cut short, or replaced?)", r->packs[i].dir,
					r->packs[i].name);
	return 0;
}

/* An offset as p's index gives it: a small one is the offset, a large one (the high
 * bit set) the entry of the index's table of 8-byte offsets that holds it. */
static int pack_offset(const struct pack *p, uint32_t v, uint64_t *off)
{
	unsigned char o[8];

	*off = v;
	if (!(v & 0x80000000u))
		return 0;
	if (pread_all(p->idx, o, 8, 1032 + 28 * (uint64_t)p->n + 8 * (uint64_t)(v & 0x7fffffffu)) < 0)
		return -1;
	*off = (uint64_t)be32(o) << 32 | be32(o + 4);
	return 0;
}

#define WINDOW 16 /* ids an index read takes at once */

/* An id's four bytes after its first, as a number: where it lies among its bucket's. */
static uint64_t id_key(const unsigned char *id)
{
	return be32(id + 1);
}

/* The offset of id in pack p: 0 found, 1 absent, -1 unreadable. Ids are uniform, so
 * where id lies between two known ones is guessed from its value (an interpolation
 * search, as git's bsearch_hash makes): each read of a few ids around the guess finds
 * it, shows it absent, or bounds the next guess closer. */
static int pack_find(const struct pack *p, const struct gid *id, uint64_t *off)
{
	uint32_t lo = id->b[0] ? p->fanout[id->b[0] - 1] : 0, hi = p->fanout[id->b[0]];
	uint64_t klo = 0, khi = (uint64_t)1 << 32, k = id_key(id->b);
	unsigned char buf[WINDOW * 20], o[4];

	while (hi > lo) {
		uint32_t at = lo, n = hi - lo;
		if (n > WINDOW) { /* the window around the guess */
			uint64_t g = khi > klo ? lo + (uint64_t)n * (k - klo) / (khi - klo) : lo + n / 2;
			at = g > lo + WINDOW / 2 ? (uint32_t)g - WINDOW / 2 : lo;
			at = at + WINDOW > hi ? hi - WINDOW : at;
			n = WINDOW;
		}
		if (pread_all(p->idx, buf, 20 * (size_t)n, 1032 + 20 * (uint64_t)at) < 0)
			return -1;
		if (at > lo && memcmp(id->b, buf, 20) < 0) {
			hi = at;
			khi = id_key(buf);
		} else if (at + n < hi && memcmp(id->b, buf + 20 * (n - 1), 20) > 0) {
			lo = at + n;
			klo = id_key(buf + 20 * (n - 1));
		} else {
			uint32_t i = 0;
			while (i < n && memcmp(buf + 20 * i, id->b, 20) != 0)
				i++;
			if (i == n)
				return 1;
			lo = at + i;
			break;
		}
	}
	if (hi <= lo)
		return 1;
	if (pread_all(p->idx, o, 4, 1032 + 24 * (uint64_t)p->n + 4 * (uint64_t)lo) < 0)
		return -1;
	return pack_offset(p, be32(o), off);
}

/* zlib's status, but for memory it could not get: that ends the program as any
 * allocation does (out_of_memory), not as a damaged object. */
static int z_or_oom(int zr)
{
	if (zr == Z_MEM_ERROR)
		out_of_memory();
	return zr;
}

/* Inflates the zlib stream whose first npre bytes are pre (read already) and whose
 * rest is in fd at offset at: exactly size bytes, or with !whole its first size bytes
 * (fewer if it ends before). *out is malloc'd, NUL-terminated. */
static int inflate_at(int fd, uint64_t at, const unsigned char *pre, size_t npre, size_t size,
		      int whole, char **out, size_t *got)
{
	unsigned char in[8192];
	z_stream z = {0};
	char *buf = xcalloc(1, size + 2);
	int rc = Z_OK;

	if (z_or_oom(inflateInit(&z)) != Z_OK) {
		free(buf);
		return -1;
	}
	/* Whole: a byte of room more than the size, so that a longer stream shows. */
	z.next_out = (unsigned char *)buf;
	z.avail_out = (uInt)(whole ? size + 1 : size);
	z.next_in = (unsigned char *)pre;
	z.avail_in = (uInt)npre;
	if (npre > 0)
		rc = z_or_oom(inflate(&z, Z_NO_FLUSH));
	while (rc == Z_OK && z.avail_out > 0) {
		/* Deflate adds a few bytes at most to what it cannot shrink: most objects are
		 * read whole by the first pread, and a small one costs a small copy. */
		size_t want = z.avail_out + 64 < sizeof in ? z.avail_out + 64 : sizeof in;
		ssize_t r = pread(fd, in, want, (off_t)at);
		if (r <= 0)
			break;
		at += (uint64_t)r;
		z.next_in = in;
		z.avail_in = (uInt)r;
		rc = z_or_oom(inflate(&z, Z_NO_FLUSH));
	}
	*got = z.total_out;
	inflateEnd(&z);
	if (whole ? rc != Z_STREAM_END || z.total_out != size : rc != Z_OK && rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

static int read_object(struct gitrepo *r, const struct gid *id, int *type, char **data, size_t *len,
		       int depth);

/* A delta's size fields: little-endian groups of seven bits. */
static size_t delta_size(const unsigned char **p, const unsigned char *end)
{
	size_t v = 0;
	int shift = 0;

	while (*p < end && shift < 64) {
		unsigned char c = *(*p)++;
		v |= (size_t)(c & 0x7f) << shift;
		shift += 7;
		if (!(c & 0x80))
			break;
	}
	return v;
}

/* Applies delta to base: 0 and *out (malloc'd), or -1 if the delta is damaged. */
static int delta_apply(const char *base, size_t blen, const char *delta, size_t dlen, char **out,
		       size_t *olen)
{
	const unsigned char *p = (const unsigned char *)delta, *end = p + dlen;
	size_t src = delta_size(&p, end), size = delta_size(&p, end), at = 0;
	char *o;

	if (src != blen || size > OBJECT_MAX)
		return -1;
	o = xcalloc(1, size + 1);
	while (p < end) {
		unsigned char op = *p++;
		if (op & 0x80) {
			size_t off = 0, n = 0;
			for (int i = 0; i < 4; i++)
				if (op & (1 << i))
					off |= (size_t)(p < end ? *p++ : 0) << (8 * i);
			for (int i = 0; i < 3; i++)
				if (op & (0x10 << i))
					n |= (size_t)(p < end ? *p++ : 0) << (8 * i);
			if (n == 0)
				n = 0x10000;
			if (off + n > blen || at + n > size)
				goto bad;
			memcpy(o + at, base + off, n);
			at += n;
		} else if (op > 0) {
			if ((size_t)(end - p) < op || at + op > size)
				goto bad;
			memcpy(o + at, p, op);
			p += op;
			at += op;
		} else {
			goto bad;
		}
	}
	if (at != size)
		goto bad;
	*out = o;
	*olen = size;
	return 0;
bad:
	free(o);
	return -1;
}

/* Reads the entry at off of pack p (following deltas): 0, or -1 if damaged. */
static int pack_entry(struct gitrepo *r, struct pack *p, uint64_t off, int *type, char **data,
		      size_t *len, int depth)
{
	/* The header and, for most objects, all of the stream in one read. */
	unsigned char h[512];
	ssize_t got = depth > 50 ? -1 : pread(p->fd, h, sizeof h, (off_t)off);
	size_t i = 0, size, n = got > 0 ? (size_t)got : 0;
	int shift = 4;

	if (n < 2)
		return -1;
	*type = (h[0] >> 4) & 7;
	size = h[0] & 15;
	for (unsigned char c = h[0]; c & 0x80 && i + 1 < n && shift < 57; shift += 7) {
		c = h[++i];
		size |= (size_t)(c & 0x7f) << shift;
	}
	i++;
	if (size > OBJECT_MAX)
		return -1;
	if (*type >= GIT_COMMIT && *type <= 4) {
		*len = size;
		return inflate_at(p->fd, off + n, h + i, n - i, size, 1, data, &size);
	}
	char *base = NULL, *delta = NULL;
	size_t blen = 0;
	int rc = -1;
	if (*type == 6) { /* OFS_DELTA: the base lies this far before */
		uint64_t back = i < n ? h[i] & 0x7f : 0;
		while (i < n && h[i] & 0x80 && i + 1 < n)
			back = ((back + 1) << 7) | (h[++i] & 0x7f);
		i++;
		rc = back <= off ? pack_entry(r, p, off - back, type, &base, &blen, depth + 1) : -1;
	} else if (*type == 7 && i + 20 <= n) { /* REF_DELTA: the base by id */
		struct gid bid;
		memcpy(bid.b, h + i, 20);
		i += 20;
		rc = read_object(r, &bid, type, &base, &blen, depth + 1) == 0 ? 0 : -1;
	}
	if (rc == 0 && i <= n && (rc = inflate_at(p->fd, off + n, h + i, n - i, size, 1, &delta, &size)) == 0)
		rc = delta_apply(base, blen, delta, size, data, len);
	free(base);
	free(delta);
	return rc;
}

/* Reads a loose object (git writes some; the dispatcher never does): the header
 * "TYPE SIZE" and a NUL, then the bytes, all deflated. */
static int read_loose(struct gitrepo *r, const struct gid *id, int *type, char **data, size_t *len)
{
	char hex[41], *path, *head = NULL, *nul;
	size_t got, size = 0;
	int fd, rc = -1;

	gid_hex(hex, id);
	path = xasprintf("%s/objects/%.2s/%s", r->gitdir, hex, hex + 2);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	*type = 0;
	if (inflate_at(fd, 0, NULL, 0, 32, 0, &head, &got) == 0 && (nul = memchr(head, '\0', got)) != NULL) {
		for (int t = GIT_COMMIT; t <= 4; t++)
			if (strncmp(head, type_names[t], strlen(type_names[t])) == 0 &&
			    head[strlen(type_names[t])] == ' ')
				*type = t, size = strtoul(head + strlen(type_names[t]) + 1, NULL, 10);
		size_t hl = (size_t)(nul + 1 - head);
		if (*type && size <= OBJECT_MAX && inflate_at(fd, 0, NULL, 0, hl + size, 1, data, &got) == 0) {
			memmove(*data, *data + hl, size + 1);
			*len = size;
			rc = 0;
		}
	}
	free(head);
	close(fd);
	return rc;
}

/* Whether data are the bytes of object id. */
static int object_is(const struct gid *id, int type, const char *data, size_t len)
{
	struct gid got;

	git_hash(&got, (enum git_type)type, data, len);
	return gid_cmp(&got, id) == 0;
}

static int read_object(struct gitrepo *r, const struct gid *id, int *type, char **data, size_t *len,
		       int depth)
{
	int damaged = 0, rc;

	/* Smallest first: what a batch reads is mostly what the last batches wrote, in the
	 * small packs (at a million events, 40% of its reads were in the newest pack of six,
	 * 20% in the largest), and a miss in a small index costs one read, in a large one
	 * two or three. A copy whose bytes are not the id's (a damaged pack must not pass
	 * for the state) is passed over for another: a rebuild writes a good one. */
	for (size_t i = 0; i < r->npacks; i++) {
		uint64_t off;
		if ((rc = pack_find(&r->packs[i], id, &off)) == 1)
			continue;
		if (rc == 0 && pack_entry(r, &r->packs[i], off, type, data, len, depth) == 0) {
			if (object_is(id, *type, *data, *len))
				return 0;
			free(*data);
			*data = NULL;
		}
		damaged = 1;
	}
	if ((rc = read_loose(r, id, type, data, len)) == 0 && !object_is(id, *type, *data, *len)) {
		free(*data);
		*data = NULL;
		rc = -1;
	}
	return damaged && rc == 1 ? -1 : rc;
}

int git_read(struct gitrepo *r, const struct gid *id, enum git_type *type, char **data,
	     size_t *len, struct rerr *e)
{
	char hex[41];
	int t = 0, rc = read_object(r, id, &t, data, len, 0);

	/* Not found: a batch or a merge may have made (or merged it into) a pack since the
	 * packs were listed. Listed again, the pack holding it is found, as git does. */
	if (rc == 1 && gitrepo_refresh(r, e) == 0)
		rc = read_object(r, id, &t, data, len, 0);
	*type = (enum git_type)t;
	if (rc == 0)
		return 0;
	gid_hex(hex, id);
	if (rc < 0)
		return rerr_set(e, RX_IO, "%s: object %s is damaged or unreadable", r->gitdir, hex);
	return 1;
}

/* ---- refs ---- */

int git_ref_read(const char *gitdir, const char *ref, struct gid *id, struct rerr *e)
{
	char *path = xasprintf("%s/%s", gitdir, ref), *buf = NULL;
	size_t len;
	int rc = fs_read(path, 4096, &buf, &len, e);

	free(path);
	if (rc == 0) {
		rc = len >= 40 && gid_parse(id, buf) == 0 ? 0
			: rerr_set(e, RX_IO, "%s/%s: not a commit id", gitdir, ref);
		free(buf);
		return rc;
	}
	if (rc < 0)
		return -1;
	/* git pack-refs moves refs into one file. */
	path = xasprintf("%s/packed-refs", gitdir);
	rc = fs_read(path, (size_t)64 << 20, &buf, &len, e);
	free(path);
	if (rc != 0)
		return rc;
	rc = 1;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		size_t rl = strlen(ref);
		if (strlen(line) > 41 + rl && line[40] == ' ' && strncmp(line + 41, ref, rl) == 0 &&
		    (line[41 + rl] == '\n' || line[41 + rl] == '\0') && gid_parse(id, line) == 0) {
			rc = 0;
			break;
		}
	}
	free(buf);
	return rc;
}

/* Ends the update of the ref at path whose REF.lock, lock, is open as fd: id written
 * and fsynced, the lock renamed over the ref, the folder fsynced; the lock removed on
 * an error. crash: a crash point between the write and the rename (NULL: none). */
static int ref_put(int fd, const char *lock, char *path, const struct gid *id, const char *crash,
		   struct rerr *e)
{
	char hex[42];
	int rc = 0;

	gid_hex(hex, id);
	hex[40] = '\n';
	if (write(fd, hex, 41) != 41 || fsync(fd) < 0)
		rc = rerr_set(e, RX_IO, "%s: %s", lock, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = rerr_set(e, RX_IO, "%s: %s", lock, strerror(errno));
	if (crash)
		crash_point(crash);
	if (rc == 0 && rename(lock, path) < 0)
		rc = rerr_set(e, RX_IO, "%s: %s", path, strerror(errno));
	if (rc < 0)
		unlink(lock);
	if (rc == 0) {
		*strrchr(path, '/') = '\0';
		rc = fs_fsync_dir(path, e);
	}
	return rc;
}

int git_ref_write(const char *gitdir, const char *ref, const struct gid *id, struct rerr *e)
{
	char *path = xasprintf("%s/%s", gitdir, ref), *lock = xasprintf("%s.lock", path);
	int fd, rc;

	/* Made as REF.lock, as git makes it: git's readers pass over a .lock, so a run killed
	 * before the rename leaves nothing git takes for a ref (the next locker sweeps it). */
	fd = open(lock, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	rc = fd < 0 ? rerr_set(e, RX_IO, "%s: %s", lock, strerror(errno)) : ref_put(fd, lock, path, id, "ref", e);
	free(lock);
	free(path);
	return rc;
}

int git_ref_swap(const char *gitdir, const char *ref, const struct gid *was, const struct gid *id,
		 int stale, const char *crash, struct rerr *e)
{
	char *path = xasprintf("%s/%s", gitdir, ref), *lock = xasprintf("%s.lock", path);
	struct stat st;
	struct gid now;
	int fd, got, rc;

	fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST && stat(lock, &st) == 0 && time(NULL) - st.st_mtime > stale &&
	    unlink(lock) == 0) /* a dead writer's */
		fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		rc = errno == EEXIST ? (rerr_set(e, RX_IO, "%s: %s", lock, strerror(errno)), 2)
				     : rerr_set(e, RX_IO, "%s: %s", lock, strerror(errno));
	else if ((got = git_ref_read(gitdir, ref, &now, e)) < 0 || (got == 0) != (was != NULL) ||
		 (got == 0 && gid_cmp(&now, was) != 0)) {
		rc = got < 0 ? -1 : 1;
		close(fd);
		unlink(lock); /* made here: the next writer must not find it */
	} else {
		rc = ref_put(fd, lock, path, id, crash, e);
	}
	free(lock);
	free(path);
	return rc;
}

static const char bare_config[] = "[core]\n\trepositoryformatversion = 0\n\tbare = true\n";

int git_make_bare(const char *gitdir, struct rerr *e)
{
	char *index = xasprintf("%s/index", gitdir), *config = xasprintf("%s/config", gitdir), *buf = NULL;
	size_t len;
	int rc = fs_unlink(index, e);

	if (rc == 0 && (rc = fs_read(config, 1 << 20, &buf, &len, e)) >= 0 && (buf == NULL || !strstr(buf, "bare = true")))
		rc = fs_write_atomic(config, bare_config, sizeof bare_config - 1, 1, e);
	free(buf);
	free(index);
	free(config);
	return rc < 0 ? -1 : 0;
}

int git_init(const char *gitdir, struct rerr *e)
{
	static const char *const config = bare_config;
	static const char head[] = "ref: refs/heads/main\n";
	const char *subs[] = {"objects/pack", "refs/heads", "refs/tags"};
	int rc = 0;

	for (size_t i = 0; i < 3 && rc == 0; i++) {
		char *p = xasprintf("%s/%s", gitdir, subs[i]);
		rc = fs_mkdirs(p, e);
		free(p);
	}
	char *c = xasprintf("%s/config", gitdir), *h = xasprintf("%s/HEAD", gitdir);
	if (rc == 0)
		rc = fs_write_atomic(c, config, strlen(config), 1, e);
	if (rc == 0)
		rc = fs_write_atomic(h, head, sizeof head - 1, 1, e);
	free(c);
	free(h);
	return rc;
}

/* ---- commits ---- */

int git_commit_parse(const char *data, size_t len, struct git_commit_info *c)
{
	const char *p = data, *end = data + len;
	int tree = 0;

	memset(c, 0, sizeof *c);
	while (p < end && *p != '\n') {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return -1;
		if (nl - p == 45 && strncmp(p, "tree ", 5) == 0)
			tree = gid_parse(&c->tree, p + 5) == 0;
		else if (nl - p == 47 && strncmp(p, "parent ", 7) == 0) {
			if (c->nparents++ == 0 && gid_parse(&c->parent, p + 7) < 0)
				return -1;
		} else if (strncmp(p, "committer ", 10) == 0) {
			const char *gt = memchr(p, '>', (size_t)(nl - p));
			c->time = gt ? strtoll(gt + 1, NULL, 10) : 0;
		}
		p = nl + 1;
	}
	return tree ? 0 : -1;
}

int git_read_commit(struct gitrepo *r, const struct gid *id, char **data, size_t *len,
		    struct git_commit_info *c, struct rerr *e)
{
	enum git_type t;
	char hex[41];
	int rc = git_read(r, id, &t, data, len, e);

	if (rc == 0 && t == GIT_COMMIT && git_commit_parse(*data, *len, c) == 0)
		return 0;
	if (rc == 0)
		free(*data);
	gid_hex(hex, id);
	return rc < 0 ? -1 : rerr_set(e, RX_IO, "commit %.12s is %s", hex, rc == 0 ? "damaged" : "missing");
}

/* ---- trees ---- */

int git_tree_next(const char *data, size_t len, size_t *at, struct git_entry *ent)
{
	const char *p = data + *at, *end = data + len, *sp, *nul;

	if (p >= end)
		return 0;
	sp = memchr(p, ' ', (size_t)(end - p));
	nul = sp ? memchr(sp, '\0', (size_t)(end - sp)) : NULL;
	if (nul == NULL || end - nul < 21)
		return -1;
	ent->is_tree = sp - p == 5 && memcmp(p, "40000", 5) == 0;
	ent->name = sp + 1;
	memcpy(ent->id.b, nul + 1, 20);
	*at = (size_t)(nul + 21 - data);
	return 1;
}

int git_name_cmp(const char *x, size_t lx, int xtree, const char *y, size_t ly, int ytree)
{
	size_t l = lx < ly ? lx : ly;
	int c = memcmp(x, y, l);

	if (c)
		return c;
	unsigned char cx = lx > l ? (unsigned char)x[l] : xtree ? '/' : 0;
	unsigned char cy = ly > l ? (unsigned char)y[l] : ytree ? '/' : 0;
	return cx - cy;
}

int git_entry_cmp(const void *a, const void *b)
{
	const struct git_entry *x = a, *y = b;

	return git_name_cmp(x->name, strlen(x->name), x->is_tree, y->name, strlen(y->name), y->is_tree);
}

void git_tree_format(struct git_entry *ents, size_t n, char **out, size_t *len)
{
	size_t size = 0, at = 0;

	if (n > 1) /* an empty tree has no entries to sort (ents may be NULL) */
		qsort(ents, n, sizeof *ents, git_entry_cmp);
	for (size_t i = 0; i < n; i++)
		size += strlen(ents[i].name) + 28;
	*out = xcalloc(1, size + 1);
	for (size_t i = 0; i < n; i++) {
		at += (size_t)sprintf(*out + at, "%s %s", ents[i].is_tree ? "40000" : "100644", ents[i].name) + 1;
		memcpy(*out + at, ents[i].id.b, 20);
		at += 20;
	}
	*len = at;
}

/* ---- writing packs ---- */

struct newobj {
	struct gid id;
	int type;
	char *data;
	size_t len;
};

void gitpack_add(struct gitpack_new *p, enum git_type type, const void *data, size_t len,
		 struct gid *id)
{
	struct newobj *o;

	git_hash(id, type, data, len);
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->v = xrealloc(p->v, p->cap * sizeof *p->v);
	}
	o = &p->v[p->n++];
	memset(o, 0, sizeof *o);
	o->id = *id;
	o->type = type;
	o->data = xcalloc(1, len + 1);
	memcpy(o->data, data, len);
	o->len = len;
}

void gitpack_new_free(struct gitpack_new *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].data);
	free(p->v);
	memset(p, 0, sizeof *p);
}

static int newobj_cmp(const void *a, const void *b)
{
	return gid_cmp(&((const struct newobj *)a)->id, &((const struct newobj *)b)->id);
}

/* Sorts by id and drops repeats (the same bytes put twice). */
static void unique(struct gitpack_new *p)
{
	size_t k = 0;

	if (p->n > 1)
		qsort(p->v, p->n, sizeof *p->v, newobj_cmp);
	for (size_t i = 0; i < p->n; i++) {
		if (k > 0 && gid_cmp(&p->v[k - 1].id, &p->v[i].id) == 0) {
			free(p->v[i].data);
			continue;
		}
		p->v[k++] = p->v[i];
	}
	p->n = k;
}

/* A file being written, with the SHA-1 of its bytes so far (git's trailers). */
struct out {
	FILE *f;
	struct sha1 sha;
	uint64_t off;
};

static void put(struct out *o, const void *p, size_t n)
{
	fwrite(p, 1, n, o->f);
	sha1_update(&o->sha, p, n);
	o->off += n;
}

static void put_be32(struct out *o, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			      (unsigned char)v};
	put(o, b, 4);
}

/* Opens a temp file from tmpl, read-only as git's packs are (mkstemp makes it 0600; the
 * fd stays writable) and readable by whom the umask lets read the rest of the home. */
static int out_open(struct out *o, char *tmpl, struct rerr *e)
{
	int fd = mkstemp(tmpl);
	mode_t mask = umask(0);

	umask(mask);
	if (fd < 0 || fchmod(fd, 0444 & ~mask) < 0 || (o->f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0 && errno == ENOMEM) /* fdopen's FILE: memory, as any allocation */
			out_of_memory();
		if (fd >= 0)
			close(fd);
		return rerr_set(e, RX_IO, "%s: %s", tmpl, strerror(errno));
	}
	sha1_init(&o->sha);
	o->off = 0;
	return 0;
}

/* Ends the file with its SHA-1 (also in sum), fsynced and closed; removed on error. */
static int out_close(struct out *o, unsigned char sum[20], const char *path, struct rerr *e)
{
	int bad;

	sha1_final(&o->sha, sum);
	fwrite(sum, 1, 20, o->f);
	bad = fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) < 0;
	bad |= fclose(o->f) != 0;
	if (bad) {
		unlink(path);
		return rerr_set(e, RX_IO, "%s: %s", path, strerror(errno ? errno : EIO));
	}
	return 0;
}

static void out_abandon(struct out *o, const char *path)
{
	fclose(o->f);
	unlink(path);
}

/* Writes one entry: its header (type, size), then data deflated; *crc gets its CRC.
 * A tree is stored as it is, in zlib's stored blocks (level 0): its ids do not shrink
 * (level 1 made trees 0.90 of their size, blobs 0.58), and it costs no deflate. */
static int put_entry(struct out *o, int type, const char *data, size_t len, uint32_t *crc)
{
	unsigned char h[16], out[8192];
	size_t hl = 0, size = len;
	z_stream z = {0};
	int zr;

	h[hl] = (unsigned char)(type << 4 | (size & 15));
	for (size >>= 4; size; size >>= 7) {
		h[hl++] |= 0x80;
		h[hl] = size & 0x7f;
	}
	hl++;
	*crc = (uint32_t)crc32(0, h, (uInt)hl);
	put(o, h, hl);
	if (z_or_oom(deflateInit(&z, type == GIT_TREE ? 0 : 1)) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = out;
		z.avail_out = sizeof out;
		zr = z_or_oom(deflate(&z, Z_FINISH));
		size_t got = sizeof out - z.avail_out;
		*crc = (uint32_t)crc32(*crc, out, (uInt)got);
		put(o, out, got);
	} while (zr == Z_OK);
	deflateEnd(&z);
	return zr == Z_STREAM_END ? 0 : -1;
}

/* Renames tmp to path; removes tmp if it cannot. */
static int rename_in(const char *tmp, const char *path, struct rerr *e)
{
	if (rename(tmp, path) == 0)
		return 0;
	unlink(tmp);
	return rerr_set(e, RX_IO, "%s: %s", path, strerror(errno));
}

/* A pack and its index written side by side, objects in id order: the index's ids go
 * in right after its fanout, their CRCs and offsets to temp files that follow them
 * there at the end. A pack of any size is written holding a few buffers. */
struct packw {
	struct out po, io;
	FILE *t[3]; /* CRCs, offsets, large offsets */
	uint32_t count, big;
	char *pt, *it;
};

/* Opens the temp files of a pack of count objects whose ids' first bytes count fan. */
static int packw_open(struct packw *w, const char *dir, uint32_t count, const uint32_t fan[256],
		      struct rerr *e)
{
	uint32_t sum = 0;

	memset(w, 0, sizeof *w);
	w->count = count;
	w->pt = xasprintf("%s/tmp_pack_XXXXXX", dir);
	w->it = xasprintf("%s/tmp_idx_XXXXXX", dir);
	for (int i = 0; i < 3; i++)
		if ((w->t[i] = tmpfile()) == NULL && errno == ENOMEM)
			out_of_memory();
		else if (w->t[i] == NULL)
			return rerr_set(e, RX_IO, "a temp file: %s", strerror(errno));
	if (out_open(&w->po, w->pt, e) < 0)
		return -1;
	if (out_open(&w->io, w->it, e) < 0) {
		out_abandon(&w->po, w->pt);
		w->po.f = NULL;
		return -1;
	}
	put(&w->po, "PACK\0\0\0\2", 8);
	put_be32(&w->po, count);
	put(&w->io, "\377tOc\0\0\0\2", 8);
	for (int b = 0; b < 256; b++)
		put_be32(&w->io, sum += fan[b]);
	return 0;
}

static void fput_be32(FILE *f, uint32_t v)
{
	v = htonl(v);
	fwrite(&v, 4, 1, f);
}

/* Enters the object just written at offset at of the pack, with its CRC, in the index. */
static void packw_entered(struct packw *w, const unsigned char id[20], uint32_t crc, uint64_t at)
{
	put(&w->io, id, 20);
	fput_be32(w->t[0], crc);
	fput_be32(w->t[1], at < 0x80000000u ? (uint32_t)at : 0x80000000u | w->big++);
	if (at >= 0x80000000u) {
		fput_be32(w->t[2], (uint32_t)(at >> 32));
		fput_be32(w->t[2], (uint32_t)at);
	}
}

/* Appends the file f (rewound) to o. */
static int put_file(struct out *o, FILE *f)
{
	char buf[4096];
	size_t n;

	/* A write that failed shows in the flush, before rewind clears the error. */
	if (fflush(f) != 0 || ferror(f))
		return -1;
	rewind(f);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		put(o, buf, n);
	return ferror(f) ? -1 : 0;
}

/* "DIR/pack-<hex of sum>.EXT" */
static char *pack_path(const char *dir, const unsigned char sum[20], const char *ext)
{
	char hex[41];

	gid_hex(hex, (const struct gid *)sum);
	return xasprintf("%s/pack-%s.%s", dir, hex, ext);
}

/* With ok, ends both files and renames them in, the pack last (a reader sees the pack
 * whole or not at all: it opens packs by their index; and a run killed between the two
 * leaves an index without its pack, which holds no object and is swept, never a pack
 * without its index, which may be the history's: gitrepo_sweep keeps those), then
 * fsyncs dir; made (if not NULL) gets the pack's
 * name. Without, or on an error, removes them. Frees what w holds. */
static int packw_close(struct packw *w, int ok, const char *dir, char made[46],
		       const struct gid *pending, struct rerr *e)
{
	unsigned char psum[20], isum[20];
	char *pp = NULL, *ip = NULL;
	int rc = -1;

	/* The index whole: its head, an id, CRC and offset an object, the large offsets. */
	if (ok && (put_file(&w->io, w->t[0]) < 0 || put_file(&w->io, w->t[1]) < 0 ||
		   put_file(&w->io, w->t[2]) < 0 || w->io.off != 1032 + 28 * (uint64_t)w->count + 8 * (uint64_t)w->big))
		ok = rerr_set(e, RX_IO, "%s: a temp file could not be written or read", dir) == 0;
	if (!ok || out_close(&w->po, psum, w->pt, e) < 0) {
		if (!ok && w->po.f)
			out_abandon(&w->po, w->pt);
		if (w->io.f)
			out_abandon(&w->io, w->it);
		goto out;
	}
	put(&w->io, psum, 20);
	pp = pack_path(dir, psum, "pack");
	ip = pack_path(dir, psum, "idx");
	if (made)
		snprintf(made, 46, "%.45s", strrchr(pp, '/') + 1);
	/* The same objects make the same pack: one may be there already, and stays. */
	int existed = fs_exists(pp);
	if (pending) { /* before the pack, and made durable with it by the folder's fsync */
		char hex[41], chex[41], *mark;
		gid_hex(hex, (const struct gid *)psum);
		gid_hex(chex, pending);
		mark = xasprintf("%s/pending-%s-%s", dir, hex, chex);
		int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
		if (fd >= 0)
			close(fd); /* best effort: without it, a dead batch's pack stays */
		free(mark);
	}
	if (out_close(&w->io, isum, w->it, e) < 0)
		unlink(w->pt);
	else if (rename_in(w->it, ip, e) < 0)
		unlink(w->pt);
	else if (rename_in(w->pt, pp, e) < 0) {
		if (!existed)
			unlink(ip); /* an index without its pack */
	} else
		rc = fs_fsync_dir(dir, e);
out:
	for (int i = 0; i < 3; i++)
		if (w->t[i])
			fclose(w->t[i]);
	free(w->pt);
	free(w->it);
	free(pp);
	free(ip);
	return rc;
}

/* ---- a batch's pack, pending until main names its commit ----
 * A batch's pack is marked (an empty file pending-<pack hex>-<commit hex>) before its
 * commit moves main: a run that dies in between leaves the pack and its mark, and the
 * next locker removes the pack if main has not moved since the mark was made and the
 * commit was made on main as it is (so main does not name it): nothing else that
 * happened to main (git by hand on top of it, or main set back) loses a pack. Each
 * batch first removes the marks before it (their batches are committed, or were
 * swept): that removal is made durable by its own folder's fsync before its commit. A
 * mark lost in a power cut only leaves garbage. */

static int pending_name(const char *name, char pack[41], struct gid *commit)
{
	if (strlen(name) != 89 || strncmp(name, "pending-", 8) != 0 || name[48] != '-')
		return 0;
	snprintf(pack, 41, "%.40s", name + 8);
	return gid_parse(commit, name + 49) == 0;
}

size_t gitrepo_settled_count(const struct gitrepo *r)
{
	DIR *d = fs_opendir(r->dirs[0]);
	struct dirent *de;
	struct gid c;
	char hex[41];
	size_t n = r->npacks;

	while (d && (de = readdir(d)) != NULL)
		for (size_t i = 0; pending_name(de->d_name, hex, &c) && i < r->npacks; i++)
			if (r->packs[i].dir == r->dirs[0] && strcmp(r->packs[i].name + 5, hex) == 0)
				n--;
	if (d)
		closedir(d);
	return n;
}

int gitpack_clear_pending(const char *dir, struct rerr *e)
{
	DIR *d = fs_opendir(dir);
	struct dirent *de;
	struct gid c;
	char hex[41];
	int rc = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : rerr_set(e, RX_IO, "%s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!pending_name(de->d_name, hex, &c))
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		if (unlink(p) < 0 && errno != ENOENT)
			rc = rerr_set(e, RX_IO, "%s: %s", p, strerror(errno));
		free(p);
	}
	closedir(d);
	return rc;
}

int gitpack_write(struct gitpack_new *p, const char *dir, const struct gid *pending,
		  struct rerr *e)
{
	uint32_t fan[256] = {0}, crc;
	struct packw w;
	int ok = 1;

	if (fs_mkdirs(dir, e) < 0 || (pending && gitpack_clear_pending(dir, e) < 0))
		return -1;
	unique(p);
	for (size_t i = 0; i < p->n; i++)
		fan[p->v[i].id.b[0]]++;
	if (packw_open(&w, dir, (uint32_t)p->n, fan, e) < 0)
		return packw_close(&w, 0, dir, NULL, NULL, e);
	for (size_t i = 0; i < p->n && ok; i++) {
		uint64_t at = w.po.off;
		ok = put_entry(&w.po, p->v[i].type, p->v[i].data, p->v[i].len, &crc) == 0;
		if (ok)
			packw_entered(&w, p->v[i].id.b, crc, at);
		else
			rerr_set(e, RX_SOFTWARE, "zlib: cannot deflate");
	}
	return packw_close(&w, ok, dir, NULL, pending, e);
}

int gitpack_send(struct gitpack_new *p, FILE *f, struct rerr *e)
{
	struct out o = {.f = f};
	unsigned char sum[20];
	uint32_t crc;

	unique(p);
	sha1_init(&o.sha);
	put(&o, "PACK\0\0\0\2", 8);
	put_be32(&o, (uint32_t)p->n);
	for (size_t i = 0; i < p->n; i++)
		if (put_entry(&o, p->v[i].type, p->v[i].data, p->v[i].len, &crc) < 0)
			return rerr_set(e, RX_SOFTWARE, "zlib: cannot deflate");
	sha1_final(&o.sha, sum);
	fwrite(sum, 1, 20, f);
	return fflush(f) != 0 || ferror(f) ? rerr_set(e, RX_TEMP, "%s", strerror(errno ? errno : EIO)) : 0;
}

int gitrepo_sweep_pending(struct gitrepo *r, int (*named)(const struct gid *commit, void *arg),
			  void *arg, struct rerr *e)
{
	DIR *d = fs_opendir(r->dirs[0]);
	struct dirent *de;
	struct gid c;
	char hex[41];
	int rc = 0, swept = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : rerr_set(e, RX_IO, "%s: %s", r->dirs[0], strerror(errno));
	/* When main last moved: its file's time, or packed-refs' (git by hand). */
	struct stat ref, ms;
	char *rp = xasprintf("%s/refs/heads/main", r->gitdir), *pr = xasprintf("%s/packed-refs", r->gitdir);
	int has_ref = stat(rp, &ref) == 0 || stat(pr, &ref) == 0;
	free(rp);
	free(pr);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!pending_name(de->d_name, hex, &c))
			continue;
		char *mark = xasprintf("%s/%s", r->dirs[0], de->d_name);
		char *idx = xasprintf("%s/pack-%s.idx", r->dirs[0], hex);
		char *pack = xasprintf("%s/pack-%s.pack", r->dirs[0], hex);
		int moved_since = stat(mark, &ms) < 0 ||
				  (has_ref && ts_cmp(&ref.st_mtim, &ms.st_mtim) >= 0);
		if (!fs_exists(idx) && !fs_exists(pack)) {
			unlink(mark); /* its pack never came in (or was merged away) */
		} else if (!moved_since && named(&c, arg) == 0) {
			/* Made on main as it is, and main has not moved since: the batch died.
			 * The index first: a pack without one is invisible, and swept. */
			if ((unlink(idx) < 0 && errno != ENOENT) || (unlink(pack) < 0 && errno != ENOENT))
				rc = rerr_set(e, RX_IO, "%s: %s", pack, strerror(errno));
			else if (unlink(mark) == 0 || errno == ENOENT)
				swept = 1;
		} /* else kept: main moved since, names it, or it cannot tell */
		free(mark);
		free(idx);
		free(pack);
	}
	closedir(d);
	return rc < 0 ? -1 : swept ? gitrepo_refresh(r, e) : 0;
}

/* ---- merging packs ---- */

#define CHUNK 4096 /* index entries a merge reads at once */

/* One table of a pack's index (ids, CRCs or offsets: size bytes an entry), read in
 * order a chunk at a time: a merge of any size holds a few chunks, not its objects. */
struct table {
	struct pack *p;
	uint64_t at;
	size_t size;
	uint32_t first, n;
	unsigned char buf[CHUNK * 20];
};

static void table_init(struct table *t, struct pack *p, uint64_t at, size_t size)
{
	t->p = p;
	t->at = at;
	t->size = size;
	t->first = t->n = 0;
}

/* Entry i, for i from the last one asked for on; NULL if unreadable. */
static const unsigned char *table_at(struct table *t, uint32_t i)
{
	if (i >= t->first + t->n) {
		t->first = i;
		t->n = t->p->n - i < CHUNK ? t->p->n - i : CHUNK;
		if (pread_all(t->p->idx, t->buf, t->size * t->n, t->at + t->size * (uint64_t)i) < 0)
			return NULL;
	}
	return t->buf + t->size * (i - t->first);
}

#define AHEAD 65536 /* bytes of a pack a merge reads at once */

/* A pack being merged: its next entry i, in id order, and the bytes of the pack read
 * ahead from at (the pack's objects lie in id order when this writer made it). */
struct run {
	struct table ids, crcs, offs;
	uint32_t i;
	int ordered; /* objects in id order: each ends where the next id's begins */
	uint64_t end; /* where the objects end: the pack's trailer */
	uint64_t at;
	size_t n;
	unsigned char ahead[AHEAD];
};

/* The offset in the pack of entry i, for i from the last one asked for on. */
static int run_offset(struct run *u, uint32_t i, uint64_t *off)
{
	const unsigned char *o = table_at(&u->offs, i);

	return o ? pack_offset(u->ids.p, be32(o), off) : -1;
}

/* Whether p's index is what the SHA-1 in its trailer says: a merge copies objects
 * under the ids it gives, then removes the pack. */
static int index_intact(const struct pack *p)
{
	const size_t chunk = 65536;
	unsigned char *buf, sum[20];
	struct sha1 c;
	struct stat st;
	uint64_t at = 0, size;
	int intact;

	if (fstat(p->idx, &st) < 0 || st.st_size < 1072)
		return 0;
	size = (uint64_t)st.st_size - 20;
	buf = xcalloc(1, chunk); /* not on the stack (doc/CONVENTIONS.md, "The stack") */
	sha1_init(&c);
	while (at < size) {
		size_t n = size - at < chunk ? (size_t)(size - at) : chunk;
		if (pread_all(p->idx, buf, n, at) < 0)
			break;
		sha1_update(&c, buf, n);
		at += n;
	}
	sha1_final(&c, sum);
	intact = at >= size && pread_all(p->idx, buf, 20, size) == 0 && memcmp(buf, sum, 20) == 0;
	free(buf);
	return intact;
}

/* Starts a run at p's first id, its index checked whole. Its offsets read once first:
 * whether the objects lie in id order (this writer's packs; git's lie by type and
 * recency). */
static int run_start(struct run *u, struct pack *p)
{
	struct stat st;
	uint64_t prev = 0, off;

	if (!index_intact(p))
		return -1;
	table_init(&u->ids, p, 1032, 20);
	table_init(&u->crcs, p, 1032 + 20 * (uint64_t)p->n, 4);
	table_init(&u->offs, p, 1032 + 24 * (uint64_t)p->n, 4);
	u->i = 0;
	u->n = 0;
	u->ordered = 1;
	for (uint32_t i = 0; i < p->n && u->ordered; i++, prev = off)
		u->ordered = run_offset(u, i, &off) == 0 && (i == 0 || off > prev);
	table_init(&u->offs, p, 1032 + 24 * (uint64_t)p->n, 4);
	if (fstat(p->fd, &st) < 0 || st.st_size < 32)
		return -1;
	u->end = (uint64_t)st.st_size - 20;
	return 0;
}

/* The pack's bytes [off, end), from those read ahead: NULL if more than AHEAD or
 * unreadable. */
static const unsigned char *run_bytes(struct run *u, uint64_t off, uint64_t end)
{
	if (end - off > AHEAD)
		return NULL;
	if (off < u->at || end > u->at + u->n) {
		ssize_t got = pread(u->ids.p->fd, u->ahead, AHEAD, (off_t)off);
		u->n = 0;
		if (got < (ssize_t)(end - off))
			return NULL;
		u->at = off;
		u->n = (size_t)got;
	}
	return u->ahead + (off - u->at);
}

/* The first run holding the smallest next id: its index, k when all are done, -1 when
 * unreadable. */
static int next_run(struct run *u, size_t k, unsigned char id[20])
{
	const unsigned char *best = NULL, *x;
	size_t at = k;

	for (size_t i = 0; i < k; i++) {
		if (u[i].i >= u[i].ids.p->n)
			continue;
		if ((x = table_at(&u[i].ids, u[i].i)) == NULL)
			return -1;
		if (best == NULL || memcmp(x, best, 20) < 0)
			best = x, at = i;
	}
	if (at < k)
		memcpy(id, best, 20);
	return (int)at;
}

/* Whether run u's next id is id. */
static int run_holds(struct run *u, const unsigned char id[20])
{
	const unsigned char *x = u->i < u->ids.p->n ? table_at(&u->ids, u->i) : NULL;

	return x && memcmp(x, id, 20) == 0;
}

/* Steps every run whose next id is id past it: each object is taken once. */
static void step_past(struct run *u, size_t k, const unsigned char id[20])
{
	for (size_t i = 0; i < k; i++)
		if (run_holds(&u[i], id))
			u[i].i++;
}

/* Where the entry at off of p (a whole object: its header, then a zlib stream) ends,
 * and the CRC of its bytes: 0, or -1 if its stream is damaged. */
static int entry_end(struct pack *p, uint64_t off, uint64_t *end, uint32_t *crc)
{
	unsigned char in[8192], sink[4096];
	ssize_t got = pread(p->fd, in, sizeof in, (off_t)off);
	size_t n = got > 0 ? (size_t)got : 0, hl = 1;
	z_stream z = {0};
	int zr = Z_OK;

	while (hl < n && in[hl - 1] & 0x80)
		hl++;
	if (hl >= n || z_or_oom(inflateInit(&z)) != Z_OK)
		return -1;
	*crc = (uint32_t)crc32(0, in, (uInt)hl);
	z.next_in = in + hl;
	z.avail_in = (uInt)(n - hl);
	*end = off + n;
	while (zr == Z_OK) {
		if (z.avail_in == 0) {
			if ((got = pread(p->fd, in, sizeof in, (off_t)*end)) <= 0)
				break;
			*end += (uint64_t)got;
			z.next_in = in;
			z.avail_in = (uInt)got;
		}
		const unsigned char *from = z.next_in;
		z.next_out = sink;
		z.avail_out = sizeof sink;
		zr = z_or_oom(inflate(&z, Z_NO_FLUSH));
		*crc = (uint32_t)crc32(*crc, from, (uInt)(z.next_in - from));
	}
	*end -= z.avail_in; /* the stream's bytes, not those of the entry after it */
	inflateEnd(&z);
	return zr == Z_STREAM_END ? 0 : -1;
}

/* Copies the entry at off of p into o (its CRC to *crc), a whole object's bytes as
 * they are, which must match want, the CRC the index has for them: 0; -1 with nothing
 * copied if it is damaged or a delta (copy_whole makes that one whole); -2 if the
 * copy failed part way. */
static int copy_entry(struct pack *p, uint64_t off, uint32_t want, struct out *o, uint32_t *crc)
{
	unsigned char buf[8192];
	uint64_t end;
	ssize_t got = pread(p->fd, buf, 1, (off_t)off);
	int type = got == 1 ? (buf[0] >> 4) & 7 : 0;

	if (type < GIT_COMMIT || type > 4 || entry_end(p, off, &end, crc) < 0 || *crc != want)
		return -1;
	for (; off < end; off += (uint64_t)got) {
		size_t n = end - off < sizeof buf ? (size_t)(end - off) : sizeof buf;
		if ((got = pread(p->fd, buf, n, (off_t)off)) <= 0)
			return -2; /* read a moment ago, and part of it copied: the merge fails */
		put(o, buf, (size_t)got);
	}
	return 0;
}

/* How many of the smallest packs (sorted by size) to merge so that, from the smallest
 * up, each pack left holds at least twice the objects of all smaller ones together. */
static size_t merge_count(struct pack *const *packs, size_t n)
{
	size_t k = 0, sum = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		sum += packs[i]->n;
		if (packs[i + 1]->n < 2 * sum)
			k = i + 2;
	}
	return k;
}

/* Copies run x's next object, id, into w as it is stored: 0; -1 with nothing copied if
 * its copy is damaged or a delta; -2 if the copy failed part way. */
static int copy_from(struct run *x, const unsigned char id[20], struct packw *w)
{
	const unsigned char *c = table_at(&x->crcs, x->i), *raw = NULL;
	uint64_t off, next = x->end, at = w->po.off;
	uint32_t crc = c ? be32(c) : 0;
	int rc;

	if (c == NULL || run_offset(x, x->i, &off) < 0 ||
	    (x->i + 1 < x->ids.p->n && run_offset(x, x->i + 1, &next) < 0))
		return -1;
	/* In a pack in id order, up to the next entry's offset: the object's stored bytes,
	 * if their CRC is the index's and they are a whole object, not a delta; else
	 * copy_entry finds where the object ends. */
	if (x->ordered && next > off && (raw = run_bytes(x, off, next)) != NULL &&
	    ((raw[0] >> 4 & 7) < GIT_COMMIT || (raw[0] >> 4 & 7) > 4 || crc32(0, raw, (uInt)(next - off)) != crc))
		raw = NULL;
	if (raw)
		put(&w->po, raw, next - off);
	else if ((rc = copy_entry(x->ids.p, off, crc, &w->po, &crc)) < 0)
		return rc;
	packw_entered(w, id, crc, at);
	return 0;
}

/* Copies object id, read whole from any pack or loose, into w: 0; -1 with nothing
 * copied if no copy is good; -2 if the copy failed part way. */
static int copy_whole(struct gitrepo *r, const unsigned char id[20], struct packw *w)
{
	uint64_t at = w->po.off;
	uint32_t crc;
	char *data;
	size_t len;
	int type;

	if (read_object(r, (const struct gid *)id, &type, &data, &len, 0) != 0)
		return -1;
	int rc = put_entry(&w->po, type, data, len, &crc) < 0 ? -2 : 0;
	free(data);
	if (rc == 0)
		packw_entered(w, id, crc, at);
	return rc;
}

/* Copies the next object of the runs into w, the first good copy of those they hold as
 * it is stored, else the object made whole from any pack (a delta; or a damaged copy
 * passed over for another, which a rebuild writes, in a pack not merged): 0, 1 when
 * there are none left, -1 on an error (*bad: the object's id and pack, when it is
 * damaged). */
static int merge_one(struct gitrepo *r, struct run *u, size_t k, struct packw *w, char bad[100])
{
	unsigned char id[20];
	char hex[41];
	int j = next_run(u, k, id), rc = -1;

	if (j < 0 || (size_t)j == k)
		return j < 0 ? -1 : 1;
	for (size_t i = (size_t)j; i < k && rc == -1; i++)
		if (run_holds(&u[i], id))
			rc = copy_from(&u[i], id, w);
	if (rc == -1)
		rc = copy_whole(r, id, w);
	if (rc == 0) {
		step_past(u, k, id);
		return 0;
	}
	/* named here only: the loop copies millions of objects */
	gid_hex(hex, (const struct gid *)id);
	snprintf(bad, 100, "object %s of %s", hex, u[j].ids.p->name);
	return -1;
}

/* Writes the k packs' objects, each once, as one pack and its index in dir, in id
 * order; made gets the pack's name. A pass over their ids counts them (a pack's head
 * and fanout come first); then each index is checked whole (run_start) and a second
 * pass copies the objects. */
static int merge_write(struct gitrepo *r, struct pack **ps, size_t k, const char *dir,
		       char made[46], struct rerr *e)
{
	struct run *u = xcalloc(k, sizeof *u);
	uint32_t fan[256] = {0}, count = 0;
	unsigned char id[20];
	char bad[100] = "an object";
	struct packw w;
	int j;

	for (size_t i = 0; i < k; i++) {
		table_init(&u[i].ids, ps[i], 1032, 20);
		u[i].i = 0;
	}
	while ((j = next_run(u, k, id)) >= 0 && (size_t)j < k)
		fan[id[0]]++, count++, step_past(u, k, id);
	for (size_t i = 0; i < k && j >= 0; i++)
		j = run_start(&u[i], ps[i]);
	if (j < 0) {
		free(u);
		return rerr_set(e, RX_IO, "%s: an index is damaged or unreadable", dir);
	}
	if (packw_open(&w, dir, count, fan, e) < 0) {
		j = -1;
	} else {
		while ((j = merge_one(r, u, k, &w, bad)) == 0)
			;
		if (j < 0) /* git's own reads name it too (git verify-pack) */
			rerr_set(e, RX_IO, "%s: %s is damaged or unreadable", dir, bad);
	}
	free(u);
	return packw_close(&w, j > 0, dir, made, NULL, e);
}

/* Whether dir has room for a merge of the k packs ps: their bytes and a tenth more.
 * Without, the merge would fail after writing most of them, at every try. */
static int room_to_merge(const char *dir, struct pack **ps, size_t k)
{
	struct statvfs v;
	struct stat a, b;
	uint64_t need = 0;

	for (size_t i = 0; i < k; i++)
		if (fstat(ps[i]->fd, &a) == 0 && fstat(ps[i]->idx, &b) == 0)
			need += (uint64_t)a.st_size + (uint64_t)b.st_size;
	return statvfs(dir, &v) < 0 || (uint64_t)v.f_bavail * v.f_frsize > need + need / 10;
}

int gitrepo_merge(struct gitrepo *r, int all, struct rerr *e)
{
	/* A scratch store (a rebuild's) merges its own packs, in its folder. */
	const char *dir = r->dirs[1] ? r->dirs[1] : r->dirs[0];
	struct pack **ps = xcalloc(r->npacks + 1, sizeof *ps);
	size_t n = 0, k;
	char made[46] = "";
	int rc = 0;

	for (size_t i = 0; i < r->npacks; i++)
		if (r->packs[i].dir == dir)
			ps[n++] = &r->packs[i];
	/* Without room, the merge waits for it: the packs stay as they are meanwhile. */
	if ((k = all ? n : merge_count(ps, n)) < 2 || !room_to_merge(dir, ps, k)) {
		free(ps);
		return 0;
	}
	rc = merge_write(r, ps, k, dir, made, e);
	crash_point("merged");
	for (size_t i = 0; rc == 0 && i < k; i++) {
		/* The same objects make the same pack: one left by a merge killed here. */
		if (strcmp(ps[i]->name, made) == 0)
			continue;
		char *idx = xasprintf("%s/%s.idx", dir, ps[i]->name);
		char *pack = xasprintf("%s/%s.pack", dir, ps[i]->name);
		/* The index first: a pack without one is invisible, and swept; so are the
		 * files stock git keeps beside a pack (gitrepo_sweep). */
		if ((unlink(idx) < 0 && errno != ENOENT) || (unlink(pack) < 0 && errno != ENOENT))
			rc = rerr_set(e, RX_IO, "%s: %s", pack, strerror(errno));
		free(idx);
		free(pack);
	}
	free(ps);
	if (rc == 0)
		gitrepo_sweep(dir);
	return rc == 0 ? gitrepo_refresh(r, e) : rc;
}

/* Whether packdir/NAME (a pack's or an index's name) has its other half, EXT. */
static int has_half(const char *packdir, const char *name, const char *ext)
{
	char *p = xasprintf("%s/%.45s.%s", packdir, name, ext);
	int has = fs_exists(p);

	free(p);
	return has;
}

/* Whether name is one of the files stock git keeps beside a pack of its own (a bitmap,
 * a reverse index, its objects' times, a mark to keep it), of no use without it. */
static int pack_side(const char *name)
{
	static const char *const ext[] = {".bitmap", ".rev", ".mtimes", ".keep"};

	if (strncmp(name, "pack-", 5) != 0 || strspn(name + 5, "0123456789abcdef") != 40)
		return 0;
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
		if (strcmp(name + 45, ext[i]) == 0)
			return 1;
	return 0;
}

void gitrepo_sweep(const char *packdir)
{
	DIR *d = fs_opendir(packdir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		size_t l = strlen(n);
		/* Temp files (ours, and a fetch's in libgit2), a lock a fetch left; an index
		 * whose pack never came (a writer died between its renames: ours and
		 * libgit2's rename the index first). Stock git's index of many packs (git
		 * repack --write-midx), with its bitmap and reverse index: it names packs a
		 * merge takes away, and git then reads no pack; without it, git reads each
		 * pack's own index. Not a pack whose index is gone: no writer leaves one, and
		 * its objects may be the history's (gitrepo_unindexed names it; git
		 * index-pack makes its index again). */
		int garbage = !strncmp(n, "tmp_", 4) || !strncmp(n, "pack_git2_", 10) ||
			      !strncmp(n, "multi-pack-index", 16) ||
			      (l > 5 && !strcmp(n + l - 5, ".lock")) ||
			      (l == 49 && !strcmp(n + 45, ".idx") && !has_half(packdir, n, "pack")) ||
			      (pack_side(n) && !has_half(packdir, n, "pack"));
		if (garbage) {
			char *p = xasprintf("%s/%s", packdir, n);
			unlink(p);
			free(p);
		}
	}
	closedir(d);
}

int gitrepo_unindexed(const char *packdir, char name[51])
{
	DIR *d = fs_opendir(packdir);
	struct dirent *de;
	int found = 0;

	while (d && !found && (de = readdir(d)) != NULL)
		if (strlen(de->d_name) == 50 && !strncmp(de->d_name, "pack-", 5) &&
		    !strcmp(de->d_name + 45, ".pack") && !has_half(packdir, de->d_name, "idx")) {
			snprintf(name, 51, "%s", de->d_name);
			found = 1;
		}
	if (d)
		closedir(d);
	return found;
}
