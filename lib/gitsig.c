/* gitsig: SSHSIG signatures in git commits (see gitsig.h). The wire format is SSH's:
 * a string is a big-endian uint32 length and its bytes. */
#include "gitsig.h"
#include "git.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMESPACE "git"
#define KEYTYPE "ssh-ed25519"
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define HEADER "gpgsig "

/* A buffer of SSH wire data. */
struct wire {
	unsigned char *b;
	size_t n, cap;
};

static void put(struct wire *w, const void *p, size_t n)
{
	if (w->n + n > w->cap) {
		w->cap = (w->n + n) * 2 + 64;
		w->b = xrealloc(w->b, w->cap);
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void put_string(struct wire *w, const void *p, size_t n)
{
	unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
				(unsigned char)(n >> 8), (unsigned char)n};

	put(w, len, 4);
	put(w, p, n);
}

/* Takes the next string of [*p, end): 0 and its bytes, or -1 if the data ends first. */
static int get_string(const unsigned char **p, const unsigned char *end, const unsigned char **s,
		      size_t *n)
{
	if (end - *p < 4)
		return -1;
	*n = (size_t)(*p)[0] << 24 | (size_t)(*p)[1] << 16 | (size_t)(*p)[2] << 8 | (*p)[3];
	if ((size_t)(end - *p - 4) < *n)
		return -1;
	*s = *p + 4;
	*p += 4 + *n;
	return 0;
}

static int is(const unsigned char *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* OpenSSH's blob of an ed25519 public key. */
static void key_blob(struct wire *w, const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	put_string(w, KEYTYPE, strlen(KEYTYPE));
	put_string(w, pk, crypto_sign_PUBLICKEYBYTES);
}

static char *b64(const unsigned char *p, size_t n)
{
	size_t size = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *out = xcalloc(1, size);

	sodium_bin2base64(out, size, p, n, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

char *gitsig_ssh_pubkey(const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	struct wire w = {0};
	char *enc, *line;

	key_blob(&w, pk);
	enc = b64(w.b, w.n);
	line = xasprintf(KEYTYPE " %s", enc);
	free(enc);
	free(w.b);
	return line;
}

char *gitsig_allowed_signer(const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	char *key = gitsig_ssh_pubkey(pk), *line;

	line = xasprintf(GITSIG_PRINCIPAL " namespaces=\"" NAMESPACE "\" %s\n", key);
	free(key);
	return line;
}

int gitsig_parse_pubkey(unsigned char pk[crypto_sign_PUBLICKEYBYTES], const char *text)
{
	unsigned char blob[128];
	const unsigned char *p = blob, *s;
	const char *at = strstr(text, KEYTYPE " "), *end;
	char word[128];
	size_t n, len;

	if (sig_pk_decode(pk, text) == 0)
		return 0;
	/* "ssh-ed25519 BASE64 [comment]", alone or at the end of an allowed signer. */
	at = at ? at + strlen(KEYTYPE) + 1 : text;
	len = strcspn(at, " \t\r\n");
	if (len == 0 || len >= sizeof word)
		return -1;
	memcpy(word, at, len);
	word[len] = '\0';
	if (sodium_base642bin(blob, sizeof blob, word, len, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || *end != '\0')
		return -1;
	if (get_string(&p, blob + n, &s, &len) < 0 || !is(s, len, KEYTYPE) ||
	    get_string(&p, blob + n, &s, &len) < 0 || len != crypto_sign_PUBLICKEYBYTES || p != blob + n)
		return -1;
	memcpy(pk, s, len);
	return 0;
}

/* What an SSHSIG signs: the preamble, the namespace, the hash of the message. */
static void signed_data(struct wire *w, const char *hashalg, const char *msg, size_t len)
{
	unsigned char h[crypto_hash_sha512_BYTES];
	size_t hl = sizeof h;

	if (strcmp(hashalg, "sha512") == 0) {
		crypto_hash_sha512(h, (const unsigned char *)msg, len);
	} else {
		crypto_hash_sha256(h, (const unsigned char *)msg, len);
		hl = crypto_hash_sha256_BYTES;
	}
	put(w, "SSHSIG", 6);
	put_string(w, NAMESPACE, strlen(NAMESPACE));
	put_string(w, "", 0);
	put_string(w, hashalg, strlen(hashalg));
	put_string(w, h, hl);
}

/* The end of a commit's headers: the offset of the empty line (or the length). */
static size_t headers_end(const char *commit, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (commit[i] == '\n' && commit[i + 1] == '\n')
			return i + 1;
	return len;
}

/* The commit with blob as its signature: the headers, the armored blob as one header
 * (its lines after the first indented by a space), then the rest; base64 in lines of
 * 70, as ssh-keygen. */
static void put_signed(struct wire *out, const char *commit, size_t len, const unsigned char *blob,
		       size_t n)
{
	size_t at = headers_end(commit, len);
	char *enc = b64(blob, n);

	put(out, commit, at);
	put(out, HEADER ARMOR_BEGIN "\n", strlen(HEADER ARMOR_BEGIN) + 1);
	for (size_t i = 0, el = strlen(enc); i < el; i += 70) {
		put(out, " ", 1);
		put(out, enc + i, el - i < 70 ? el - i : 70);
		put(out, "\n", 1);
	}
	put(out, " " ARMOR_END "\n", strlen(ARMOR_END) + 2);
	put(out, commit + at, len - at);
	free(enc);
}

char *gitsig_sign_commit(const struct seckey *k, const char *commit, size_t len, size_t *outlen)
{
	struct wire data = {0}, key = {0}, sig = {0}, blob = {0}, out = {0};
	unsigned char s[crypto_sign_BYTES];

	signed_data(&data, "sha512", commit, len);
	crypto_sign_detached(s, NULL, data.b, data.n, k->sk);
	put_string(&sig, KEYTYPE, strlen(KEYTYPE));
	put_string(&sig, s, sizeof s);
	put(&blob, "SSHSIG\0\0\0\1", 10);
	key_blob(&key, k->pk);
	put_string(&blob, key.b, key.n);
	put_string(&blob, NAMESPACE, strlen(NAMESPACE));
	put_string(&blob, "", 0);
	put_string(&blob, "sha512", 6);
	put_string(&blob, sig.b, sig.n);
	put_signed(&out, commit, len, blob.b, blob.n);
	put(&out, "", 1);
	*outlen = out.n - 1;
	free(data.b);
	free(key.b);
	free(sig.b);
	free(blob.b);
	return (char *)out.b;
}

/* Splits commit into its payload (every line but the gpgsig header's, as git's
 * parse_signed_commit) and the signature's text (the header's lines, unindented). */
static void split_signed(const char *commit, size_t len, struct wire *payload, struct wire *sig)
{
	size_t hend = headers_end(commit, len), at = 0;
	int in_sig = 0;

	while (at < hend) {
		const char *line = commit + at, *nl = memchr(line, '\n', hend - at);
		size_t ll = nl ? (size_t)(nl - line) + 1 : hend - at;
		if (ll > strlen(HEADER) && memcmp(line, HEADER, strlen(HEADER)) == 0 && sig->n == 0) {
			in_sig = 1;
			put(sig, line + strlen(HEADER), ll - strlen(HEADER));
		} else if (in_sig && line[0] == ' ') {
			put(sig, line + 1, ll - 1);
		} else {
			in_sig = 0;
			put(payload, line, ll);
		}
		at += ll;
	}
	put(payload, commit + hend, len - hend);
	put(sig, "", 1);
}

/* Decodes the armored signature into its blob. */
static int dearmor(const char *text, unsigned char **blob, size_t *n)
{
	const char *b = strstr(text, ARMOR_BEGIN "\n"), *e = strstr(text, ARMOR_END);
	size_t max;

	if (b == NULL || e == NULL || e < b)
		return -1;
	b += strlen(ARMOR_BEGIN) + 1;
	max = (size_t)(e - b);
	*blob = xcalloc(1, max + 1);
	if (sodium_base642bin(*blob, max, b, (size_t)(e - b), "\r\n", n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(*blob);
		*blob = NULL; /* the caller frees *blob either way */
		return -1;
	}
	return 0;
}

/* Checks an SSHSIG blob over msg for pk. */
static int check_blob(const unsigned char *blob, size_t n, const char *msg, size_t len,
		      const unsigned char pk[crypto_sign_PUBLICKEYBYTES], struct rerr *e)
{
	const unsigned char *p = blob + 10, *end = blob + n, *key, *ns, *res, *alg, *sig, *q, *s;
	size_t kl, nl, rl, al, sl, l;
	struct wire data = {0};
	char hashalg[8];
	int ok;

	/* Every byte of the blob is what a signer writes: its reserved field empty, nothing
	 * after its fields (bytes no signature covers would give a copy another id). */
	if (n < 10 || memcmp(blob, "SSHSIG\0\0\0\1", 10) != 0 || get_string(&p, end, &key, &kl) < 0 ||
	    get_string(&p, end, &ns, &nl) < 0 || get_string(&p, end, &res, &rl) < 0 || rl != 0 ||
	    get_string(&p, end, &alg, &al) < 0 || get_string(&p, end, &sig, &sl) < 0 || p != end)
		return rerr_set(e, RX_DATA, "its signature is not an SSH signature");
	q = key;
	if (get_string(&q, key + kl, &s, &l) < 0 || !is(s, l, KEYTYPE))
		return rerr_set(e, RX_DATA, "it is signed with a key that is not ed25519");
	if (get_string(&q, key + kl, &s, &l) < 0 || l != crypto_sign_PUBLICKEYBYTES || q != key + kl ||
	    sodium_memcmp(s, pk, l) != 0)
		return rerr_set(e, RX_PERM, "it is signed by a key that is not the trusted one");
	if (!is(ns, nl, NAMESPACE))
		return rerr_set(e, RX_PERM, "its signature is not for git (namespace %.*s)", (int)nl, ns);
	if (!is(alg, al, "sha512") && !is(alg, al, "sha256"))
		return rerr_set(e, RX_DATA, "its signature uses the hash %.*s", (int)al, alg);
	q = sig;
	if (get_string(&q, sig + sl, &s, &l) < 0 || !is(s, l, KEYTYPE) ||
	    get_string(&q, sig + sl, &s, &l) < 0 || l != crypto_sign_BYTES || q != sig + sl)
		return rerr_set(e, RX_DATA, "its signature is damaged");
	snprintf(hashalg, sizeof hashalg, "%.*s", (int)al, alg);
	signed_data(&data, hashalg, msg, len);
	ok = crypto_sign_verify_detached(s, data.b, data.n, pk) == 0;
	free(data.b);
	return ok ? 0 : rerr_set(e, RX_PERM, "its signature does not match its bytes");
}

int gitsig_verify_commit(const char *commit, size_t len,
			 const unsigned char pk[crypto_sign_PUBLICKEYBYTES], struct rerr *e)
{
	struct wire payload = {0}, sig = {0};
	unsigned char *blob = NULL;
	size_t n;
	int rc;

	split_signed(commit, len, &payload, &sig);
	if (sig.n == 1)
		rc = 1;
	else if (dearmor((const char *)sig.b, &blob, &n) < 0)
		rc = rerr_set(e, RX_DATA, "its gpgsig is not an armored SSH signature");
	else if ((rc = check_blob(blob, n, (const char *)payload.b, payload.n, pk, e)) == 0) {
		/* Bytes no signature covers (a line after the armor, other wrapping, the
		 * header elsewhere, bytes after the blob's fields) would make a copy of the
		 * commit under another id that verifies all the same: a replica that took it
		 * would never see its primary's next commits descend from its main. */
		struct wire again = {0};
		put_signed(&again, (const char *)payload.b, payload.n, blob, n);
		if (again.n != len || memcmp(again.b, commit, len) != 0)
			rc = rerr_set(e, RX_DATA, "its signature is not in the form its signer writes it "
				      "(a copy of a commit under another id)");
		free(again.b);
	}
	free(blob);
	free(payload.b);
	free(sig.b);
	return rc;
}

int gitsig_commit_by(struct gitrepo *r, const struct gid *id,
		     const unsigned char pk[crypto_sign_PUBLICKEYBYTES], struct git_commit_info *c,
		     struct rerr *e)
{
	struct rerr why = {0};
	char *data;
	size_t len;
	int sig;

	if (git_read_commit(r, id, &data, &len, c, e) < 0)
		return -1;
	sig = gitsig_verify_commit(data, len, pk, &why);
	free(data);
	return sig != 0;
}
