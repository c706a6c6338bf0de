/* gitpack: git's pack and pack index (version 2), written in one pass. See gitpack.h;
 * the formats are those of git's Documentation/gitformat-pack.txt. */
#include "gitpack.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>

/* A file written through a buffer, its SHA-1 kept as it goes (git's trailers). */
struct sink {
	int fd;
	EVP_MD_CTX *sha;
	unsigned char buf[1 << 16];
	size_t len;
	uint64_t off;
	int failed;
};

static void sink_flush(struct sink *o)
{
	size_t done = 0;

	while (!o->failed && done < o->len) {
		ssize_t w = write(o->fd, o->buf + done, o->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			o->failed = errno ? errno : EIO;
		else
			done += (size_t)w;
	}
	o->len = 0;
}

static void sink_put(struct sink *o, const void *p, size_t n)
{
	const unsigned char *c = p;

	EVP_DigestUpdate(o->sha, p, n);
	o->off += n;
	while (n > 0) {
		size_t k = sizeof o->buf - o->len < n ? sizeof o->buf - o->len : n;
		memcpy(o->buf + o->len, c, k);
		o->len += k;
		c += k;
		n -= k;
		if (o->len == sizeof o->buf)
			sink_flush(o);
	}
}

static void sink_be32(struct sink *o, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			      (unsigned char)v};
	sink_put(o, b, 4);
}

/* Ends the file with its SHA-1 (returned in sum), flushes and fsyncs it. */
static int sink_finish(struct sink *o, unsigned char sum[20])
{
	unsigned int n = 0;

	EVP_DigestFinal_ex(o->sha, sum, &n);
	EVP_MD_CTX_free(o->sha);
	o->sha = NULL;
	if (o->len + 20 > sizeof o->buf)
		sink_flush(o);
	memcpy(o->buf + o->len, sum, 20); /* the trailer is not part of its own sum */
	o->len += 20;
	sink_flush(o);
	if (!o->failed && fsync(o->fd) < 0)
		o->failed = errno;
	if (close(o->fd) < 0 && !o->failed)
		o->failed = errno;
	o->fd = -1;
	return o->failed ? -1 : 0;
}

static int sink_open(struct sink *o, char *tmpl)
{
	memset(o, 0, sizeof *o);
	o->fd = mkstemp(tmpl);
	if (o->fd < 0)
		return -1;
	o->sha = EVP_MD_CTX_new();
	if (o->sha == NULL || EVP_DigestInit_ex(o->sha, EVP_sha1(), NULL) != 1) {
		close(o->fd);
		EVP_MD_CTX_free(o->sha);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static void sink_abandon(struct sink *o, const char *path)
{
	if (o->fd >= 0)
		close(o->fd);
	EVP_MD_CTX_free(o->sha);
	unlink(path);
}

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

/* A pack entry's header: type and inflated size, 4 bits then 7 bits a byte. */
static size_t entry_header(unsigned char h[16], int type, size_t size)
{
	size_t n = 0;
	unsigned c = ((unsigned)type << 4) | (size & 15);

	size >>= 4;
	while (size) {
		h[n++] = (unsigned char)(c | 0x80);
		c = size & 0x7f;
		size >>= 7;
	}
	h[n++] = (unsigned char)c;
	return n;
}

/* Appends one object to the pack; its offset and CRC go to *off and *crc. */
static int put_object(struct sink *o, git_odb *odb, const git_oid *id, uint64_t *off, uint32_t *crc,
		      unsigned char **z, size_t *zcap)
{
	git_odb_object *obj;
	unsigned char h[16];

	if (git_odb_read(&obj, odb, id) < 0)
		return -1;
	size_t size = git_odb_object_size(obj), hl = entry_header(h, git_odb_object_type(obj), size);
	uLongf zlen = compressBound((uLong)size);
	if (zlen > *zcap) {
		*zcap = zlen;
		*z = xrealloc(*z, *zcap);
	}
	int zr = compress2(*z, &zlen, git_odb_object_data(obj), (uLong)size, Z_BEST_SPEED);
	git_odb_object_free(obj);
	if (zr != Z_OK)
		return -1;
	*off = o->off;
	*crc = (uint32_t)crc32(crc32(0, h, (uInt)hl), *z, (uInt)zlen);
	sink_put(o, h, hl);
	sink_put(o, *z, zlen);
	return 0;
}

/* Writes the index into a new file made from template path (which gets its name). */
static int write_index(char *path, const git_oid *ids, size_t n, const uint64_t *off,
		       const uint32_t *crc, const unsigned char packsum[20])
{
	struct sink o;
	unsigned char sum[20];
	size_t large = 0, k = 0;

	if (sink_open(&o, path) < 0)
		return -1;
	sink_put(&o, "\377tOc", 4);
	sink_be32(&o, 2);
	for (unsigned b = 0; b < 256; b++) {
		while (k < n && ids[k].id[0] <= b)
			k++;
		sink_be32(&o, (uint32_t)k);
	}
	for (size_t i = 0; i < n; i++)
		sink_put(&o, ids[i].id, GIT_OID_RAWSZ);
	for (size_t i = 0; i < n; i++)
		sink_be32(&o, crc[i]);
	for (size_t i = 0; i < n; i++)
		sink_be32(&o, off[i] < 0x80000000u ? (uint32_t)off[i] : 0x80000000u | (uint32_t)large++);
	for (size_t i = 0; i < n; i++)
		if (off[i] >= 0x80000000u) {
			sink_be32(&o, (uint32_t)(off[i] >> 32));
			sink_be32(&o, (uint32_t)off[i]);
		}
	sink_put(&o, packsum, 20);
	if (sink_finish(&o, sum) < 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

int gitpack_write(git_odb *odb, const git_oid *in, size_t n, const char *dir, char name[46],
		  struct rerr *e)
{
	git_oid *ids = xcalloc(n + 1, sizeof *ids);
	uint64_t *off = xcalloc(n + 1, sizeof *off);
	uint32_t *crc = xcalloc(n + 1, sizeof *crc);
	char *ptmp = xasprintf("%s/tmp_pack_XXXXXX", dir), *itmp = xasprintf("%s/tmp_idx_XXXXXX", dir);
	char *pfin = NULL, *ifin = NULL, hex[41];
	unsigned char sum[20], *z = NULL;
	size_t m = 0, zcap = 0;
	struct sink o;
	int rc = -1;

	if (n)
		memcpy(ids, in, n * sizeof *ids);
	qsort(ids, n, sizeof *ids, oid_cmp);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || !git_oid_equal(&ids[m - 1], &ids[i]))
			git_oid_cpy(&ids[m++], &ids[i]);
	if (sink_open(&o, ptmp) < 0) {
		rerr_set(e, RX_IO, "%s: %s", ptmp, strerror(errno));
		goto out;
	}
	sink_put(&o, "PACK", 4);
	sink_be32(&o, 2);
	sink_be32(&o, (uint32_t)m);
	for (size_t i = 0; i < m; i++)
		if (put_object(&o, odb, &ids[i], &off[i], &crc[i], &z, &zcap) < 0) {
			const git_error *g = git_error_last();
			rerr_set(e, RX_IO, "state: pack: %s", g && g->message ? g->message : "object unreadable");
			sink_abandon(&o, ptmp);
			goto out;
		}
	if (sink_finish(&o, sum) < 0) {
		rerr_set(e, RX_IO, "%s: %s", ptmp, strerror(o.failed));
		unlink(ptmp);
		goto out;
	}
	for (int i = 0; i < 20; i++)
		sprintf(hex + 2 * i, "%02x", sum[i]);
	snprintf(name, 46, "pack-%s", hex);
	pfin = xasprintf("%s/%s.pack", dir, name);
	ifin = xasprintf("%s/%s.idx", dir, name);
	if (write_index(itmp, ids, m, off, crc, sum) < 0) {
		rerr_set(e, RX_IO, "%s: %s", itmp, strerror(errno));
		unlink(ptmp);
		goto out;
	}
	/* The index last: git sees a pack only through its index. */
	if (rename(ptmp, pfin) < 0 || rename(itmp, ifin) < 0) {
		rerr_set(e, RX_IO, "%s: %s", ifin, strerror(errno));
		unlink(ptmp);
		unlink(itmp);
		goto out;
	}
	rc = fs_fsync_dir(dir, e);
out:
	free(z);
	free(pfin);
	free(ifin);
	free(ptmp);
	free(itmp);
	free(crc);
	free(off);
	free(ids);
	return rc;
}

/* Reads the header and fan-out of an index: its object count. */
static int index_count(const char *path, size_t *count)
{
	unsigned char h[8 + 1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h && memcmp(h, "\377tOc\0\0\0\2", 8) == 0;
	close(fd);
	if (!ok)
		return -1;
	const unsigned char *last = h + 8 + 255 * 4;
	*count = (size_t)last[0] << 24 | (size_t)last[1] << 16 | (size_t)last[2] << 8 | last[3];
	return 0;
}

static int info_cmp(const void *a, const void *b)
{
	const struct gitpack_info *x = a, *y = b;

	return x->objects < y->objects ? -1 : x->objects > y->objects ? 1 : strcmp(x->name, y->name);
}

int gitpack_list(const char *dir, struct gitpack_info **packs, size_t *n, struct rerr *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*packs = NULL;
	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? 0 : rerr_set(e, RX_IO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name), count;
		if (len != 49 || strncmp(de->d_name, "pack-", 5) != 0 || strcmp(de->d_name + 45, ".idx") != 0)
			continue;
		char *idx = xasprintf("%s/%s", dir, de->d_name), *pack = xasprintf("%s/%.45s.pack", dir, de->d_name);
		int ok = fs_exists(pack) && index_count(idx, &count) == 0;
		free(idx);
		free(pack);
		if (!ok)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*packs = xrealloc(*packs, cap * sizeof **packs);
		}
		snprintf((*packs)[*n].name, sizeof (*packs)[*n].name, "%.45s", de->d_name);
		(*packs)[(*n)++].objects = count;
	}
	closedir(d);
	if (*n)
		qsort(*packs, *n, sizeof **packs, info_cmp);
	return 0;
}

int gitpack_ids(const char *dir, const char *name, git_oid **ids, size_t *n, struct rerr *e)
{
	char *path = xasprintf("%s/%s.idx", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

	*ids = NULL;
	*n = 0;
	if (fd < 0 || index_count(path, n) < 0) {
		rerr_set(e, RX_IO, "%s: not a readable pack index", path);
		goto out;
	}
	*ids = xcalloc(*n + 1, sizeof **ids);
	size_t want = *n * GIT_OID_RAWSZ;
	unsigned char *raw = xcalloc(want + 1, 1);
	if (pread(fd, raw, want, 8 + 1024) != (ssize_t)want) {
		rerr_set(e, RX_IO, "%s: short pack index", path);
		free(raw);
		free(*ids);
		*ids = NULL;
		goto out;
	}
	for (size_t i = 0; i < *n; i++)
		git_oid_fromraw(&(*ids)[i], raw + i * GIT_OID_RAWSZ);
	free(raw);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

size_t gitpack_geometric(const struct gitpack_info *packs, size_t n, size_t max)
{
	size_t split = 0, sum = 0;

	/* The largest pack that breaks the progression, and every smaller one, merge. */
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && packs[i].objects < 2 * sum)
			split = i + 1;
		sum += packs[i].objects;
	}
	sum = 0;
	for (size_t i = 0; i < split; i++)
		sum += packs[i].objects;
	/* A bounded merge: drop the largest until the new pack fits under max. */
	while (split > 1 && sum > max)
		sum -= packs[--split].objects;
	return split;
}

int gitpack_remove(const char *dir, const char *name, struct rerr *e)
{
	char *idx = xasprintf("%s/%s.idx", dir, name), *pack = xasprintf("%s/%s.pack", dir, name);
	int rc = fs_unlink(idx, e) < 0 || fs_unlink(pack, e) < 0 ? -1 : 0;

	free(idx);
	free(pack);
	return rc;
}

int gitpack_sweep(const char *dir, struct rerr *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : rerr_set(e, RX_IO, "%s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char *p = xasprintf("%s/%s", dir, de->d_name), *idx = NULL;
		int litter = strncmp(de->d_name, "tmp_pack_", 9) == 0 || strncmp(de->d_name, "tmp_idx_", 8) == 0;
		if (!litter && len > 5 && strncmp(de->d_name, "pack-", 5) == 0 &&
		    strcmp(de->d_name + len - 5, ".pack") == 0) {
			idx = xasprintf("%s/%.*s.idx", dir, (int)(len - 5), de->d_name);
			litter = !fs_exists(idx);
		}
		if (litter)
			rc = fs_unlink(p, e);
		free(idx);
		free(p);
	}
	closedir(d);
	return rc;
}
