/* Unit tests of key files and signatures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gitsig.h"
#include "sign.h"

static char dir[] = "/tmp/rental-sign-XXXXXX";

static void key_file_round_trip_and_mode(void **state)
{
	struct seckey k, back;
	struct rerr e = {0};
	struct stat st;
	char *path = NULL;

	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&path, "%s/alice.key", dir) > 0);
	assert_int_equal(seckey_generate(&k, &e), 0);
	assert_int_equal(seckey_save(&k, path, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(seckey_load(&back, path, &e), 0);
	assert_memory_equal(k.pk, back.pk, sizeof k.pk);
	/* Never overwritten. */
	assert_int_equal(seckey_save(&k, path, &e), -1);
	/* Readable by others: refused, as ssh does. */
	chmod(path, 0644);
	seckey_free(&back);
	assert_int_equal(seckey_load(&back, path, &e), -1);
	assert_int_equal(e.code, RX_PERM);
	assert_non_null(strstr(e.msg, "readable by others"));
	unlink(path);
	rmdir(dir);
	free(path);
	seckey_free(&k);
}

static void signature_is_standard_base64(void **state)
{
	struct seckey k;
	struct rerr e = {0};
	char sig[SIG_B64], pk[SIG_PK_B64];
	unsigned char raw[32];

	assert_int_equal(seckey_generate(&k, &e), 0);
	sig_sign(sig, &k, "hello", 5);
	assert_int_equal(strlen(sig), 88);
	assert_int_equal(sig[87], '=');
	assert_true(sig_verify(k.pk, "hello", 5, sig));
	assert_false(sig_verify(k.pk, "hellp", 5, sig));
	assert_false(sig_verify(k.pk, "hello", 5, "AAAA"));
	sig_pk_b64(pk, k.pk);
	assert_int_equal(strlen(pk), 44);
	assert_int_equal(sig_pk_decode(raw, pk), 0);
	assert_memory_equal(raw, k.pk, 32);
	assert_int_equal(sig_pk_decode(raw, "AAAA"), -1);
	seckey_free(&k);
}

static const char commit[] =
	"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
	"author dispatcher <dispatcher@rental> 1796524069 +0000\n"
	"committer dispatcher <dispatcher@rental> 1796524069 +0000\n"
	"\n"
	"admin key.add admin\n";

/* A signed commit keeps every byte of the unsigned one, with one gpgsig header (its
 * lines after the first indented) between the headers and the message. */
static void commit_signature_as_git_places_it(void **state)
{
	struct seckey k;
	struct rerr e = {0};
	size_t len;
	char *signed_ = NULL;

	assert_int_equal(seckey_generate(&k, &e), 0);
	signed_ = gitsig_sign_commit(&k, commit, strlen(commit), &len);
	assert_int_equal(strlen(signed_), len);
	const char *sig = strstr(signed_, "gpgsig -----BEGIN SSH SIGNATURE-----\n ");
	assert_non_null(sig);
	assert_ptr_equal(sig, signed_ + strlen(commit) - strlen("\nadmin key.add admin\n"));
	assert_non_null(strstr(sig, "\n -----END SSH SIGNATURE-----\n\nadmin key.add admin\n"));
	for (const char *l = strchr(sig, '\n') + 1; *l != '\n'; l = strchr(l, '\n') + 1) {
		assert_int_equal(l[0], ' ');
		assert_true(strchr(l, '\n') - l <= 71); /* base64 in lines of 70 */
	}
	assert_memory_equal(signed_, commit, strlen(commit) - strlen("\nadmin key.add admin\n"));
	free(signed_);
	seckey_free(&k);
}

static uint32_t be32_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* c's signature blob (its reserved field reserved, if not NULL), with extra bytes
 * after it, armored again in lines of width: a copy of the commit under another id
 * whose signed bytes are the same. */
static char *rearmored_as(const char *c, const char *reserved, const char *extra, size_t nextra,
			  size_t width);

static char *rearmored(const char *c, const char *extra, size_t nextra, size_t width)
{
	return rearmored_as(c, NULL, extra, nextra, width);
}

static char *rearmored_as(const char *c, const char *reserved, const char *extra, size_t nextra,
			  size_t width)
{
	const char *b = strstr(c, "-----BEGIN SSH SIGNATURE-----\n"), *e = strstr(c, " -----END SSH SIGNATURE-----\n");
	unsigned char blob[1024];
	char enc[2048], *out = calloc(1, strlen(c) + 256), *o = out;
	size_t n = 0;

	b += strlen("-----BEGIN SSH SIGNATURE-----\n");
	assert_int_equal(sodium_base642bin(blob, sizeof blob, b, (size_t)(e - b), " \n", &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL), 0);
	memcpy(blob + n, extra, nextra);
	n += nextra;
	if (reserved) { /* after the magic, the key and the namespace: the reserved string */
		size_t at = 10, rl = strlen(reserved);
		for (int f = 0; f < 2; f++)
			at += 4 + be32_at(blob + at);
		assert_int_equal(be32_at(blob + at), 0);
		memmove(blob + at + 4 + rl, blob + at + 4, n - at - 4);
		blob[at + 3] = (unsigned char)rl;
		memcpy(blob + at + 4, reserved, rl);
		n += rl;
	}
	sodium_bin2base64(enc, sizeof enc, blob, n, sodium_base64_VARIANT_ORIGINAL);
	memcpy(o, c, (size_t)(b - c));
	o += b - c;
	for (size_t i = 0, el = strlen(enc); i < el; i += width)
		o += sprintf(o, " %.*s\n", (int)width, enc + i);
	strcpy(o, e);
	return out;
}

static void commit_signature_verifies_only_as_made(void **state)
{
	struct seckey k, other;
	struct rerr e = {0};
	size_t len;
	char *c;

	assert_int_equal(seckey_generate(&k, &e), 0);
	assert_int_equal(seckey_generate(&other, &e), 0);
	c = gitsig_sign_commit(&k, commit, strlen(commit), &len);
	assert_int_equal(gitsig_verify_commit(c, len, k.pk, &e), 0);
	assert_int_equal(gitsig_verify_commit(commit, strlen(commit), k.pk, &e), 1);
	assert_int_equal(gitsig_verify_commit(c, len, other.pk, &e), -1);
	assert_non_null(strstr(e.msg, "not the trusted one"));
	c[len - 3] ^= 1; /* the message */
	assert_int_equal(gitsig_verify_commit(c, len, k.pk, &e), -1);
	assert_non_null(strstr(e.msg, "does not match"));
	c[len - 3] ^= 1;
	c[strlen("tree 4b82")] ^= 1; /* a header */
	assert_int_equal(gitsig_verify_commit(c, len, k.pk, &e), -1);
	c[strlen("tree 4b82")] ^= 1;
	char *copy = rearmored(c, "", 0, 70);
	assert_string_equal(copy, c); /* the helper makes what the signer makes */
	free(copy);
	copy = rearmored(c, "", 0, 64); /* other wrapping: another id */
	assert_int_equal(gitsig_verify_commit(copy, strlen(copy), k.pk, &e), -1);
	assert_non_null(strstr(e.msg, "not in the form its signer writes"));
	free(copy);
	copy = rearmored(c, "\0\0\0\0", 4, 70); /* bytes after the blob's fields */
	assert_int_equal(gitsig_verify_commit(copy, strlen(copy), k.pk, &e), -1);
	free(copy);
	copy = rearmored_as(c, "x", "", 0, 70); /* a reserved field no signature covers */
	assert_int_equal(gitsig_verify_commit(copy, strlen(copy), k.pk, &e), -1);
	free(copy);
	char *sig = strstr(c, "gpgsig ") + 50; /* the signature itself */
	*sig = *sig == 'A' ? 'B' : 'A';
	assert_int_equal(gitsig_verify_commit(c, len, k.pk, &e), -1);
	free(c);
	seckey_free(&k);
	seckey_free(&other);
}

/* A key to trust may be written as we write keys, as OpenSSH does, or as a line of
 * git's allowed signers file. */
static void public_keys_in_every_form(void **state)
{
	struct seckey k;
	struct rerr e = {0};
	unsigned char pk[32];
	char b64[SIG_PK_B64], *ssh, *line;

	assert_int_equal(seckey_generate(&k, &e), 0);
	sig_pk_b64(b64, k.pk);
	ssh = gitsig_ssh_pubkey(k.pk);
	line = gitsig_allowed_signer(k.pk);
	assert_int_equal(strncmp(ssh, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37), 0);
	assert_int_equal(strncmp(line, "dispatcher@rental namespaces=\"git\" ssh-ed25519 ", 47), 0);
	assert_int_equal(strncmp(line + 35, ssh, strlen(ssh)), 0);
	const char *forms[] = {b64, ssh, ssh + strlen("ssh-ed25519 "), line};
	for (size_t i = 0; i < 4; i++) {
		memset(pk, 0, sizeof pk);
		assert_int_equal(gitsig_parse_pubkey(pk, forms[i]), 0);
		assert_memory_equal(pk, k.pk, 32);
	}
	assert_int_equal(gitsig_parse_pubkey(pk, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ"), -1);
	assert_int_equal(gitsig_parse_pubkey(pk, "nokey"), -1);
	assert_int_equal(gitsig_parse_pubkey(pk, ""), -1);
	free(ssh);
	free(line);
	seckey_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_file_round_trip_and_mode),
		cmocka_unit_test(signature_is_standard_base64),
		cmocka_unit_test(commit_signature_as_git_places_it),
		cmocka_unit_test(commit_signature_verifies_only_as_made),
		cmocka_unit_test(public_keys_in_every_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
