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
#include <sys/stat.h>
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

/* One deflate stream for a whole pack: compress2 would set up (and clear) zlib's
 * window and tables again for every object, most of them a few hundred bytes.
 * Objects are stored in it, not compressed (level 0, as git's core.compression 0):
 * a batch is mostly trees, whose 20-byte ids do not compress (deflate kept ~80%
 * of the bytes), while deflating was a third of the dispatcher's CPU time.
 * Measured on 1,000-event batches: user time -30%, wall -12%, pack +23%. */
struct deflater {
	z_stream zs;
	unsigned char *buf;
	size_t cap;
	int ready;
};

static void deflater_free(struct deflater *d)
{
	if (d->ready)
		deflateEnd(&d->zs);
	free(d->buf);
	memset(d, 0, sizeof *d);
}

/* Deflates size bytes at p into d->buf: its length, or 0 on failure. */
static size_t deflater_run(struct deflater *d, const void *p, size_t size)
{
	if (!d->ready) {
		if (deflateInit(&d->zs, Z_NO_COMPRESSION) != Z_OK)
			return 0;
		d->ready = 1;
	} else if (deflateReset(&d->zs) != Z_OK) {
		return 0;
	}
	size_t bound = deflateBound(&d->zs, (uLong)size);
	if (bound > d->cap) {
		d->cap = bound;
		d->buf = xrealloc(d->buf, d->cap);
	}
	d->zs.next_in = (Bytef *)p;
	d->zs.avail_in = (uInt)size;
	d->zs.next_out = d->buf;
	d->zs.avail_out = (uInt)d->cap;
	if (deflate(&d->zs, Z_FINISH) != Z_STREAM_END)
		return 0;
	return d->cap - d->zs.avail_out;
}

/* Appends one object to the pack; its offset and CRC go to *off and *crc. */
static int put_object(struct sink *o, git_odb *odb, const git_oid *id, uint64_t *off, uint32_t *crc,
		      struct deflater *d)
{
	git_odb_object *obj;
	unsigned char h[16];

	if (git_odb_read(&obj, odb, id) < 0)
		return -1;
	size_t size = git_odb_object_size(obj), hl = entry_header(h, git_odb_object_type(obj), size);
	size_t zlen = deflater_run(d, git_odb_object_data(obj), size);
	git_odb_object_free(obj);
	if (zlen == 0)
		return -1;
	*off = o->off;
	*crc = (uint32_t)crc32(crc32(0, h, (uInt)hl), d->buf, (uInt)zlen);
	sink_put(o, h, hl);
	sink_put(o, d->buf, zlen);
	return 0;
}

/* One object of a pack being written: where it lands, and (in a merge) where it is. */
struct pobj {
	git_oid oid;
	union {           /* a merge of 300k objects holds 300k of these: 40 bytes */
		uint64_t from; /* in its old pack, until it is copied */
		uint64_t off;  /* in the new pack */
	};
	uint32_t crc, len;
	uint32_t pack; /* which old pack */
};

static int pobj_oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(&((const struct pobj *)a)->oid, &((const struct pobj *)b)->oid);
}

static int pobj_from_cmp(const void *a, const void *b)
{
	const struct pobj *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

/* Sorts by id and drops repeats (an object in two packs, a blob made twice). */
static size_t pobj_unique(struct pobj *o, size_t n)
{
	size_t m = 0;

	qsort(o, n, sizeof *o, pobj_oid_cmp);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || !git_oid_equal(&o[m - 1].oid, &o[i].oid))
			o[m++] = o[i];
	return m;
}

/* Writes the index (objects sorted by id) into a new file made from template path. */
static int write_index(char *path, const struct pobj *obj, size_t n, const unsigned char packsum[20])
{
	struct sink o;
	unsigned char sum[20];
	size_t large = 0, k = 0;

	if (sink_open(&o, path) < 0)
		return -1;
	sink_put(&o, "\377tOc", 4);
	sink_be32(&o, 2);
	for (unsigned b = 0; b < 256; b++) {
		while (k < n && obj[k].oid.id[0] <= b)
			k++;
		sink_be32(&o, (uint32_t)k);
	}
	for (size_t i = 0; i < n; i++)
		sink_put(&o, obj[i].oid.id, GIT_OID_RAWSZ);
	for (size_t i = 0; i < n; i++)
		sink_be32(&o, obj[i].crc);
	for (size_t i = 0; i < n; i++)
		sink_be32(&o, obj[i].off < 0x80000000u ? (uint32_t)obj[i].off : 0x80000000u | (uint32_t)large++);
	for (size_t i = 0; i < n; i++)
		if (obj[i].off >= 0x80000000u) {
			sink_be32(&o, (uint32_t)(obj[i].off >> 32));
			sink_be32(&o, (uint32_t)obj[i].off);
		}
	sink_put(&o, packsum, 20);
	if (sink_finish(&o, sum) < 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* Ends the pack in o, writes its index, renames both in (the index last: git sees a
 * pack only through its index) and syncs the folder. */
static int seal_pack(struct sink *o, char *ptmp, const struct pobj *obj, size_t m, const char *dir,
		     char name[46], struct rerr *e)
{
	char *itmp = xasprintf("%s/tmp_idx_XXXXXX", dir), *pfin = NULL, *ifin = NULL, hex[41];
	unsigned char sum[20];
	int rc = -1;

	if (sink_finish(o, sum) < 0) {
		rerr_set(e, RX_IO, "%s: %s", ptmp, strerror(o->failed));
		unlink(ptmp);
		goto out;
	}
	for (int i = 0; i < 20; i++)
		sprintf(hex + 2 * i, "%02x", sum[i]);
	snprintf(name, 46, "pack-%s", hex);
	pfin = xasprintf("%s/%s.pack", dir, name);
	ifin = xasprintf("%s/%s.idx", dir, name);
	if (write_index(itmp, obj, m, sum) < 0) {
		rerr_set(e, RX_IO, "%s: %s", itmp, strerror(errno));
		unlink(ptmp);
		goto out;
	}
	if (rename(ptmp, pfin) < 0 || rename(itmp, ifin) < 0) {
		rerr_set(e, RX_IO, "%s: %s", ifin, strerror(errno));
		unlink(ptmp);
		unlink(itmp);
		goto out;
	}
	rc = fs_fsync_dir(dir, e);
out:
	free(pfin);
	free(ifin);
	free(itmp);
	return rc;
}

static void pack_header(struct sink *o, size_t m)
{
	sink_put(o, "PACK", 4);
	sink_be32(o, 2);
	sink_be32(o, (uint32_t)m);
}

int gitpack_write(git_odb *odb, const git_oid *ids, size_t n, const char *dir, char name[46],
		  struct rerr *e)
{
	struct pobj *obj = xcalloc(n + 1, sizeof *obj);
	char *ptmp = xasprintf("%s/tmp_pack_XXXXXX", dir);
	struct deflater z = {0};
	size_t m;
	struct sink o;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		git_oid_cpy(&obj[i].oid, &ids[i]);
	m = pobj_unique(obj, n);
	if (sink_open(&o, ptmp) < 0) {
		rerr_set(e, RX_IO, "%s: %s", ptmp, strerror(errno));
		goto out;
	}
	pack_header(&o, m);
	for (size_t i = 0; i < m; i++)
		if (put_object(&o, odb, &obj[i].oid, &obj[i].off, &obj[i].crc, &z) < 0) {
			const git_error *g = git_error_last();
			rerr_set(e, RX_IO, "state: pack: %s", g && g->message ? g->message : "object unreadable");
			sink_abandon(&o, ptmp);
			goto out;
		}
	rc = seal_pack(&o, ptmp, obj, m, dir, name, e);
out:
	deflater_free(&z);
	free(ptmp);
	free(obj);
	return rc;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int pread_all(int fd, void *buf, size_t len, uint64_t at)
{
	return pread(fd, buf, len, (off_t)at) == (ssize_t)len ? 0 : -1;
}

/* Adds the objects of pack p to obj at *n, with the offset and length of each entry
 * in the pack file. The index is read in slices, not whole: it can be 8 MB. */
static int read_pack_index(const char *dir, const char *name, uint32_t p, struct pobj *obj,
			   size_t max, size_t *n, struct rerr *e)
{
	char *idx = xasprintf("%s/%s.idx", dir, name), *pack = xasprintf("%s/%s.pack", dir, name);
	unsigned char head[8 + 1024], slice[4096 * 28];
	size_t count = 0, start = *n;
	int fd = open(idx, O_RDONLY | O_CLOEXEC), rc = -1;
	struct stat st, ist;

	if (fd < 0 || fstat(fd, &ist) < 0 || stat(pack, &st) < 0 || pread_all(fd, head, sizeof head, 0) < 0 ||
	    memcmp(head, "\377tOc\0\0\0\2", 8) != 0) {
		rerr_set(e, RX_IO, "%s: not a readable pack", idx);
		goto out;
	}
	count = be32(head + 8 + 255 * 4);
	const uint64_t ids = 8 + 1024, crcs = ids + count * 20, offs = crcs + count * 4, large = offs + count * 4;
	if (count > max - *n || (uint64_t)ist.st_size < large + 40) {
		rerr_set(e, RX_IO, "%s: truncated pack index", idx);
		goto out;
	}
	for (size_t i = 0; i < count;) {
		size_t k = count - i < 4096 ? count - i : 4096;
		unsigned char *sid = slice, *scrc = slice + k * 20, *soff = scrc + k * 4;
		if (pread_all(fd, sid, k * 20, ids + i * 20) < 0 || pread_all(fd, scrc, k * 4, crcs + i * 4) < 0 ||
		    pread_all(fd, soff, k * 4, offs + i * 4) < 0) {
			rerr_set(e, RX_IO, "%s: short read", idx);
			goto out;
		}
		for (size_t j = 0; j < k; j++) {
			struct pobj *o = &obj[*n + i + j];
			uint32_t off = be32(soff + j * 4);
			unsigned char big[8];
			git_oid_fromraw(&o->oid, sid + j * 20);
			o->crc = be32(scrc + j * 4);
			o->pack = p;
			o->from = off;
			if (off & 0x80000000u) {
				if (pread_all(fd, big, 8, large + (uint64_t)(off & 0x7fffffffu) * 8) < 0) {
					rerr_set(e, RX_IO, "%s: short read", idx);
					goto out;
				}
				o->from = (uint64_t)be32(big) << 32 | be32(big + 4);
			}
		}
		i += k;
	}
	/* An entry runs to the next one, the last to the 20-byte trailer. */
	qsort(obj + start, count, sizeof *obj, pobj_from_cmp);
	for (size_t i = 0; i < count; i++) {
		uint64_t end = i + 1 < count ? obj[start + i + 1].from : (uint64_t)st.st_size - 20;
		if (end <= obj[start + i].from || end - obj[start + i].from > UINT32_MAX) {
			rerr_set(e, RX_IO, "%s: bad offsets", idx);
			goto out;
		}
		obj[start + i].len = (uint32_t)(end - obj[start + i].from);
	}
	*n += count;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(idx);
	free(pack);
	return rc;
}

/* Reads a pack front to back through a large buffer: a merge takes each old pack's
 * entries in the order they lie, one read a megabyte instead of one an object. */
struct preader {
	int fd;
	unsigned char *buf;
	size_t cap, len;
	uint64_t start; /* file offset of buf[0] */
};

static const unsigned char *preader_get(struct preader *r, uint64_t from, size_t len)
{
	if (from >= r->start && from + len <= r->start + r->len)
		return r->buf + (from - r->start);
	size_t want = len > ((size_t)1 << 20) ? len : (size_t)1 << 20;
	if (want > r->cap) {
		r->cap = want;
		r->buf = xrealloc(r->buf, r->cap);
	}
	ssize_t got = pread(r->fd, r->buf, want, (off_t)from);
	if (got < (ssize_t)len)
		return NULL;
	r->start = from;
	r->len = (size_t)got;
	return r->buf;
}

static int pobj_place_cmp(const void *a, const void *b)
{
	const struct pobj *x = a, *y = b;

	if (x->pack != y->pack)
		return x->pack < y->pack ? -1 : 1;
	return pobj_from_cmp(a, b);
}

/* Copies one entry as it is, its CRC checked; an entry that is a delta (older packs
 * made by libgit2 have them) refers to its base by offset, so it is written whole. */
static int copy_entry(struct sink *o, struct preader *r, git_odb *odb, struct pobj *ob,
		      struct deflater *z)
{
	const unsigned char *p = preader_get(r, ob->from, ob->len);

	if (p == NULL)
		return -1;
	int type = (p[0] >> 4) & 7;
	if (type == 6 || type == 7) /* OFS_DELTA, REF_DELTA */
		return put_object(o, odb, &ob->oid, &ob->off, &ob->crc, z);
	if ((uint32_t)crc32(0, p, ob->len) != ob->crc) {
		errno = EIO;
		return -1;
	}
	ob->off = o->off;
	sink_put(o, p, ob->len);
	return 0;
}

int gitpack_merge(git_odb *odb, const char *dir, const struct gitpack_info *packs, size_t k,
		  char name[46], struct rerr *e)
{
	size_t total = 0, n = 0, m;
	struct pobj *obj;
	struct preader *rd = xcalloc(k + 1, sizeof *rd);
	char *ptmp = xasprintf("%s/tmp_pack_XXXXXX", dir);
	struct deflater z = {0};
	struct sink o;
	int rc = -1;

	for (size_t i = 0; i < k; i++) {
		total += packs[i].objects;
		rd[i].fd = -1;
	}
	obj = xcalloc(total + 1, sizeof *obj);
	for (size_t i = 0; i < k; i++) {
		char *path = xasprintf("%s/%s.pack", dir, packs[i].name);
		rd[i].fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
		if (rd[i].fd < 0 || read_pack_index(dir, packs[i].name, (uint32_t)i, obj, total, &n, e) < 0) {
			rerr_set(e, RX_IO, "%s/%s: %s", dir, packs[i].name, rd[i].fd < 0 ? strerror(errno) : e->msg);
			goto out;
		}
	}
	m = pobj_unique(obj, n);
	/* Written in the order the entries lie in the old packs; the index wants id order. */
	qsort(obj, m, sizeof *obj, pobj_place_cmp);
	if (sink_open(&o, ptmp) < 0) {
		rerr_set(e, RX_IO, "%s: %s", ptmp, strerror(errno));
		goto out;
	}
	pack_header(&o, m);
	for (size_t i = 0; i < m; i++)
		if (copy_entry(&o, &rd[obj[i].pack], odb, &obj[i], &z) < 0) {
			rerr_set(e, RX_IO, "%s/%s: object %s unreadable", dir, packs[obj[i].pack].name,
				 git_oid_tostr_s(&obj[i].oid));
			sink_abandon(&o, ptmp);
			goto out;
		}
	qsort(obj, m, sizeof *obj, pobj_oid_cmp);
	rc = seal_pack(&o, ptmp, obj, m, dir, name, e);
out:
	for (size_t i = 0; i < k; i++) {
		if (rd[i].fd >= 0)
			close(rd[i].fd);
		free(rd[i].buf);
	}
	free(rd);
	deflater_free(&z);
	free(ptmp);
	free(obj);
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
