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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_file_round_trip_and_mode),
		cmocka_unit_test(signature_is_standard_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
